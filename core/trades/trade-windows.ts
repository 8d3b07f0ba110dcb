/**
 * Rolling trade statistics over 1 s to 60 s, kept as a ring of 100 ms buckets keyed by trade time.
 *
 * Buckets: bucket b holds the trades with time in ((b - 1) * 100 ms, b * 100 ms], i.e.
 * b = ceil(timeUs / 100 000). A window of W ms at `nowUs` is the W / 100 buckets ending with the
 * bucket that holds `nowUs`: buckets B - W/100 + 1 ... B where B = ceil(nowUs / 100 000). At a
 * `nowUs` on the 100 ms grid (the 2 s ticks are) this is exactly the trades in (nowUs - W, nowUs];
 * elsewhere the window runs to the end of the current bucket.
 *
 * Exactness: quantities are held as integer units of 1e-8 (Binance's BTCUSDT exponent) and notional
 * as an exact two-limb integer, so sums do not depend on the order trades arrived in: a replay, a
 * restart from a snapshot and a reordered delivery all give bit-identical statistics.
 *
 * Duplicates: Kinesis is at-least-once and the ingestor forwards late frames that fill a hole, so each
 * trade id passes through IdContinuity: a duplicate is dropped, a hole fill is counted. The first
 * trade seen fixes the start: an older id arriving afterwards cannot be told from a replay of
 * something before the start and is treated as a duplicate.
 *
 * Pure: no clock (time is the exchange's trade time in µs), no I/O.
 */
import { IdContinuity } from '../sequence/id-continuity.ts';

/** The windows the pipeline publishes (`tr:{SYMBOL}:<window>`) and the features read. */
export const TRADE_WINDOWS_MS = [1000, 5000, 10000, 30000, 60000] as const;
export type TradeWindowMs = (typeof TRADE_WINDOWS_MS)[number];
export type WindowKey = '1s' | '5s' | '10s' | '30s' | '60s';

/** Bucket width: 100 ms, fine enough that a 1 s window is 10 buckets. */
export const BUCKET_US = 100_000;
/** 60 s of buckets plus 4 s of margin, so a reader whose `nowUs` trails the newest trade by up to
 * 4 s still sees complete 60 s windows. */
export const RING_BUCKETS = 640;
const LONGEST_WINDOW_MS = 60_000;

/** Quantities and notional are counted in units of 1e-8 (BTCUSDT's SBE exponent is -8). */
const UNITS_PER_ONE = 1e8;
/** Notional limb size: the low limb holds 1e-8 quote units below one whole quote unit. */
const LIMB = 1e8;

/** Bucket holding `timeUs`: bucket b covers ((b - 1) * 100 ms, b * 100 ms]. */
export function bucketOf(timeUs: number): number {
  return Math.ceil(timeUs / BUCKET_US);
}

/** A trade in domain units: price in quote currency, qty in base, time = the exchange's trade time. */
export interface TradeInput {
  id: number;
  timeUs: number;
  price: number;
  qty: number;
  /** true: the buyer was the maker, so the taker (aggressor) SOLD. */
  isBuyerMaker: boolean;
}

export type AddResult = 'added' | 'duplicate' | 'too-old';

export interface WindowStats {
  windowMs: number;
  /** End of the window: the end of the bucket holding `nowUs` (µs). */
  endTimeUs: number;
  count: number;
  /** Base quantity traded. */
  volume: number;
  /** Base quantity bought by takers (isBuyerMaker === false). */
  buyVolume: number;
  /** Base quantity sold by takers (isBuyerMaker === true). */
  sellVolume: number;
  /** Volume-weighted average price; NaN when the window holds no trade (as are last/high/low). */
  vwap: number;
  /** Price of the trade with the greatest id in the window (ids order trades, arrival does not). */
  last: number;
  high: number;
  low: number;
  /** Id of that last trade, or NaN. */
  lastTradeId: number;
  /**
   * True when the whole window was observed: the first trade seen is at or before the window's start
   * and no bucket it needs has been evicted. An incomplete window's counts are lower bounds.
   */
  complete: boolean;
}

export interface BatchResult {
  added: number;
  duplicate: number;
  tooOld: number;
}

/** Compact JSON form: only non-empty buckets, oldest first. */
export interface TradeWindowsSnapshot {
  v: 1;
  newestBucket: number | null;
  firstTradeTimeUs: number | null;
  counters: BatchResult;
  continuity: ReturnType<IdContinuity['toJSON']>;
  /** [bucket, count, qtyUnits, buyQtyUnits, notionalHi, notionalLo, high, low, lastId, lastPrice] */
  buckets: BucketRow[];
}

type BucketRow = [
  bucket: number,
  count: number,
  qtyUnits: number,
  buyQtyUnits: number,
  notionalHi: number,
  notionalLo: number,
  high: number,
  low: number,
  lastId: number,
  lastPrice: number,
];

export class InvalidTradeError extends Error {
  override readonly name = 'InvalidTradeError';
  constructor(trade: unknown, reason: string) {
    super(`Trade ${JSON.stringify(trade)} is not usable: ${reason}.`);
  }
}

export class InvalidWindowError extends Error {
  override readonly name = 'InvalidWindowError';
  constructor(windowMs: number) {
    super(
      `A window of ${windowMs} ms is not a multiple of 100 ms between 100 ms and ${LONGEST_WINDOW_MS} ms.`,
    );
  }
}

export class TradeWindowsSnapshotError extends Error {
  override readonly name = 'TradeWindowsSnapshotError';
  constructor(reason: string) {
    super(`Cannot restore TradeWindows from this snapshot: ${reason}.`);
  }
}

export function windowKey(windowMs: TradeWindowMs): WindowKey {
  return `${windowMs / 1000}s` as WindowKey;
}

function checkWindow(windowMs: number): void {
  if (
    !Number.isInteger(windowMs) ||
    windowMs < BUCKET_US / 1000 ||
    windowMs > LONGEST_WINDOW_MS ||
    windowMs % (BUCKET_US / 1000) !== 0
  )
    throw new InvalidWindowError(windowMs);
}

export class TradeWindows {
  // One column per statistic, indexed by bucket % RING_BUCKETS; `bucket[slot]` says which bucket a
  // slot holds (NaN: never written), so stale slots are recognised without clearing them.
  private readonly bucket = new Float64Array(RING_BUCKETS).fill(Number.NaN);
  private readonly count = new Float64Array(RING_BUCKETS);
  private readonly qtyUnits = new Float64Array(RING_BUCKETS);
  private readonly buyQtyUnits = new Float64Array(RING_BUCKETS);
  private readonly notionalHi = new Float64Array(RING_BUCKETS);
  private readonly notionalLo = new Float64Array(RING_BUCKETS);
  private readonly high = new Float64Array(RING_BUCKETS);
  private readonly low = new Float64Array(RING_BUCKETS);
  private readonly lastId = new Float64Array(RING_BUCKETS);
  private readonly lastPrice = new Float64Array(RING_BUCKETS);
  private newestBucket: number | undefined;
  private firstTimeUs: number | undefined;
  private continuity = new IdContinuity();
  private readonly counters: BatchResult = { added: 0, duplicate: 0, tooOld: 0 };

  /** The greatest trade id accepted so far (undefined before the first trade). */
  get lastTradeId(): number | undefined {
    return this.continuity.lastId;
  }

  /** Earliest trade time counted (µs): windows starting before it are incomplete. */
  get firstTradeTimeUs(): number | undefined {
    return this.firstTimeUs;
  }

  /** Totals since creation: trades added, duplicates dropped, trades too old for the ring. */
  get totals(): Readonly<BatchResult> {
    return { ...this.counters };
  }

  add(trade: TradeInput): AddResult {
    const { id, timeUs, price, qty } = trade;
    if (!Number.isSafeInteger(id) || id < 0)
      throw new InvalidTradeError(trade, 'id is not a non-negative integer');
    if (!Number.isSafeInteger(timeUs) || timeUs < 0)
      throw new InvalidTradeError(trade, 'timeUs is not a non-negative integer');
    if (!(price > 0) || !Number.isFinite(price)) throw new InvalidTradeError(trade, 'price is not positive');
    if (!(qty > 0) || !Number.isFinite(qty)) throw new InvalidTradeError(trade, 'qty is not positive');
    const units = Math.round(qty * UNITS_PER_ONE);
    const notional = Math.round(price * qty * UNITS_PER_ONE);
    if (!Number.isSafeInteger(notional)) throw new InvalidTradeError(trade, 'notional beyond 2^53 units');

    if (!this.continuity.accept(id, id).forward) {
      this.counters.duplicate++;
      return 'duplicate';
    }
    const b = bucketOf(timeUs);
    if (this.newestBucket !== undefined && b <= this.newestBucket - RING_BUCKETS) {
      this.counters.tooOld++;
      return 'too-old';
    }
    if (this.newestBucket === undefined || b > this.newestBucket) this.newestBucket = b;
    if (this.firstTimeUs === undefined || timeUs < this.firstTimeUs) this.firstTimeUs = timeUs;

    const s = slotOf(b);
    if (this.bucket[s] !== b) this.resetSlot(s, b);
    this.count[s] = (this.count[s] as number) + 1;
    this.qtyUnits[s] = (this.qtyUnits[s] as number) + units;
    if (!trade.isBuyerMaker) this.buyQtyUnits[s] = (this.buyQtyUnits[s] as number) + units;
    const [hi, lo] = addLimbs(this.notionalHi[s] as number, this.notionalLo[s] as number, notional);
    this.notionalHi[s] = hi;
    this.notionalLo[s] = lo;
    if (price > (this.high[s] as number)) this.high[s] = price;
    if (price < (this.low[s] as number)) this.low[s] = price;
    if (id > (this.lastId[s] as number)) {
      this.lastId[s] = id;
      this.lastPrice[s] = price;
    }
    this.counters.added++;
    return 'added';
  }

  addBatch(trades: Iterable<TradeInput>): BatchResult {
    const result: BatchResult = { added: 0, duplicate: 0, tooOld: 0 };
    for (const trade of trades) {
      const r = this.add(trade);
      if (r === 'added') result.added++;
      else if (r === 'duplicate') result.duplicate++;
      else result.tooOld++;
    }
    return result;
  }

  /** Statistics of the `windowMs` window ending with the bucket that holds `nowUs` (see header). */
  stats(windowMs: number, nowUs: number): WindowStats {
    checkWindow(windowMs);
    const end = bucketOf(nowUs);
    const first = end - windowMs / (BUCKET_US / 1000) + 1;
    let count = 0;
    let qty = 0;
    let buy = 0;
    let hi = 0;
    let lo = 0;
    let high = Number.NEGATIVE_INFINITY;
    let low = Number.POSITIVE_INFINITY;
    let lastId = -1;
    let lastPrice = Number.NaN;
    for (let b = first; b <= end; b++) {
      const s = slotOf(b);
      if (this.bucket[s] !== b) continue;
      count += this.count[s] as number;
      qty += this.qtyUnits[s] as number;
      buy += this.buyQtyUnits[s] as number;
      [hi, lo] = addLimbs(hi + (this.notionalHi[s] as number), lo, this.notionalLo[s] as number);
      high = Math.max(high, this.high[s] as number);
      low = Math.min(low, this.low[s] as number);
      if ((this.lastId[s] as number) > lastId) {
        lastId = this.lastId[s] as number;
        lastPrice = this.lastPrice[s] as number;
      }
    }
    const evicted = this.newestBucket !== undefined && first <= this.newestBucket - RING_BUCKETS;
    const observedFromStart = this.firstTimeUs !== undefined && this.firstTimeUs <= (first - 1) * BUCKET_US;
    const empty = count === 0;
    return {
      windowMs,
      endTimeUs: end * BUCKET_US,
      count,
      volume: qty / UNITS_PER_ONE,
      buyVolume: buy / UNITS_PER_ONE,
      sellVolume: (qty - buy) / UNITS_PER_ONE,
      vwap: empty ? Number.NaN : (hi * LIMB + lo) / qty,
      last: lastPrice,
      high: empty ? Number.NaN : high,
      low: empty ? Number.NaN : low,
      lastTradeId: empty ? Number.NaN : lastId,
      complete: observedFromStart && !evicted,
    };
  }

  allStats(nowUs: number): Record<WindowKey, WindowStats> {
    const out = {} as Record<WindowKey, WindowStats>;
    for (const w of TRADE_WINDOWS_MS) out[windowKey(w)] = this.stats(w, nowUs);
    return out;
  }

  toJSON(): TradeWindowsSnapshot {
    const rows: BucketRow[] = [];
    if (this.newestBucket !== undefined) {
      for (let b = this.newestBucket - RING_BUCKETS + 1; b <= this.newestBucket; b++) {
        const s = slotOf(b);
        if (this.bucket[s] !== b) continue;
        rows.push([
          b,
          this.count[s] as number,
          this.qtyUnits[s] as number,
          this.buyQtyUnits[s] as number,
          this.notionalHi[s] as number,
          this.notionalLo[s] as number,
          this.high[s] as number,
          this.low[s] as number,
          this.lastId[s] as number,
          this.lastPrice[s] as number,
        ]);
      }
    }
    return {
      v: 1,
      newestBucket: this.newestBucket ?? null,
      firstTradeTimeUs: this.firstTimeUs ?? null,
      counters: { ...this.counters },
      continuity: this.continuity.toJSON(),
      buckets: rows,
    };
  }

  /** Restores what toJSON saved (after a JSON round trip); throws TradeWindowsSnapshotError if malformed. */
  static fromJSON(snapshot: unknown): TradeWindows {
    const s = snapshot as Partial<TradeWindowsSnapshot> | null;
    if (typeof s !== 'object' || s === null) throw new TradeWindowsSnapshotError('not an object');
    if (s.v !== 1) throw new TradeWindowsSnapshotError(`version ${String(s.v)} is not 1`);
    if (s.newestBucket !== null && !Number.isSafeInteger(s.newestBucket))
      throw new TradeWindowsSnapshotError('newestBucket is not an integer');
    if (s.firstTradeTimeUs !== null && !Number.isSafeInteger(s.firstTradeTimeUs))
      throw new TradeWindowsSnapshotError('firstTradeTimeUs is not an integer');
    const c = s.counters;
    if (!c || ![c.added, c.duplicate, c.tooOld].every((n) => Number.isSafeInteger(n)))
      throw new TradeWindowsSnapshotError('counters are missing');
    if (!Array.isArray(s.buckets)) throw new TradeWindowsSnapshotError('buckets is not an array');
    const w = new TradeWindows();
    w.continuity = IdContinuity.fromJSON(s.continuity);
    w.newestBucket = s.newestBucket ?? undefined;
    w.firstTimeUs = s.firstTradeTimeUs ?? undefined;
    Object.assign(w.counters, { added: c.added, duplicate: c.duplicate, tooOld: c.tooOld });
    for (const row of s.buckets) {
      if (
        !Array.isArray(row) ||
        row.length !== 10 ||
        !row.every((n) => typeof n === 'number' && Number.isFinite(n))
      )
        throw new TradeWindowsSnapshotError(`bucket row ${JSON.stringify(row)} is not 10 finite numbers`);
      const [b, count, qty, buy, hi, lo, high, low, lastId, lastPrice] = row as BucketRow;
      if (w.newestBucket === undefined || b > w.newestBucket || b <= w.newestBucket - RING_BUCKETS)
        throw new TradeWindowsSnapshotError(`bucket ${b} lies outside the ring`);
      const slot = slotOf(b);
      w.bucket[slot] = b;
      w.count[slot] = count;
      w.qtyUnits[slot] = qty;
      w.buyQtyUnits[slot] = buy;
      w.notionalHi[slot] = hi;
      w.notionalLo[slot] = lo;
      w.high[slot] = high;
      w.low[slot] = low;
      w.lastId[slot] = lastId;
      w.lastPrice[slot] = lastPrice;
    }
    return w;
  }

  private resetSlot(s: number, b: number): void {
    this.bucket[s] = b;
    this.count[s] = 0;
    this.qtyUnits[s] = 0;
    this.buyQtyUnits[s] = 0;
    this.notionalHi[s] = 0;
    this.notionalLo[s] = 0;
    this.high[s] = Number.NEGATIVE_INFINITY;
    this.low[s] = Number.POSITIVE_INFINITY;
    this.lastId[s] = -1;
    this.lastPrice[s] = Number.NaN;
  }
}

function slotOf(bucket: number): number {
  const s = bucket % RING_BUCKETS;
  return s < 0 ? s + RING_BUCKETS : s;
}

/**
 * Exact sum of non-negative integers beyond 2^53: value = hi * LIMB + lo with 0 <= lo < LIMB.
 * Integer `%` and division by the limb are exact, so the result never depends on the order of adds.
 */
function addLimbs(hi: number, lo: number, add: number): [number, number] {
  const sum = lo + add;
  const rest = sum % LIMB;
  return [hi + (sum - rest) / LIMB, rest];
}
