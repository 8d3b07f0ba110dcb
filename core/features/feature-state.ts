/**
 * The stateful part of the features, fed with the top of the book after every applied depth diff (or
 * bestBidAsk update: pick one source and use the same one in every place that computes features).
 *
 * It keeps, on a 100 ms event-time grid (grid point k is time k * 100 ms):
 * - the mid and the top-level depth as of each grid point: M[k] = the value after the last update
 *   with time <= k * 100 ms (carried forward), 60 s back plus a 4 s margin, so returns and realised
 *   volatility are defined on fixed instants whatever the update rate;
 * - order-flow imbalance per 100 ms bucket (bucket b: times in ((b - 1) * 100 ms, b * 100 ms], as in
 *   core/trades), 10 s back plus the margin.
 *
 * Order-flow imbalance (Cont, Kukanov and Stoikov 2014, "The price impact of order book events"), per
 * update n of the best bid (Pb, qb) and best ask (Pa, qa):
 *   e_n = [Pb_n >= Pb_n-1] qb_n - [Pb_n <= Pb_n-1] qb_n-1 - [Pa_n <= Pa_n-1] qa_n + [Pa_n >= Pa_n-1] qa_n-1
 * OFI over a window = sum of e_n in its buckets / mean top depth, where mean top depth is the average
 * of (qb + qa) / 2 over the window's grid points: a dimensionless count of "average top sizes".
 * Quantities are held in integer units of 1e-8 so the sums are exact.
 *
 * Times are exchange event times in µs and should not decrease; an update older than the last one is
 * applied at the last one's time (counted in `lateUpdates`) so the grid never rewrites the past.
 * Pure: no clock, no I/O.
 */
import { BUCKET_US, bucketOf } from '../trades/trade-windows.ts';
import { type BookTop, imbalance, validBest } from './book-top.ts';

/** Grid step: 100 ms, the trade windows' bucket width. */
export const GRID_US = BUCKET_US;
/** How far a reader's time may trail the latest update and still see every sample it needs. */
const LAG_MARGIN_SLOTS = 40;
/** 60 s of mid samples (longest return and volatility window) + the lag margin. */
const MID_SLOTS = 600 + LAG_MARGIN_SLOTS;
/** 10 s (longest OFI window) + the lag margin, for depth samples and OFI buckets. */
const OFI_SLOTS = 100 + LAG_MARGIN_SLOTS;
const UNITS_PER_ONE = 1e8;
const LONGEST_OFI_MS = 10_000;

type Best = [bidPrice: number, bidUnits: number, askPrice: number, askUnits: number];
/** Run-length encoding of grid samples: [value (null for NaN), how many consecutive grid points]. */
type Runs = [value: number | null, length: number][];

export interface FeatureStateSnapshot {
  v: 1;
  firstTimeUs: number | null;
  lastTimeUs: number | null;
  /** The last grid index whose sample is final; later indices take the current values. */
  filledThrough: number | null;
  currentMid: number | null;
  currentDepthUnits: number | null;
  previousBest: Best | null;
  lateUpdates: number;
  /** Samples from grid index `midsFrom` to `filledThrough`. */
  midsFrom: number | null;
  mids: Runs;
  depthsFrom: number | null;
  depths: Runs;
  /**
   * Imbalance over the best 1 and 10 levels: current, then grid samples from `imbalancesFrom`. Absent
   * from snapshots saved before these features existed: restored as unknown, so their averages are
   * NaN until a whole window has been observed again.
   */
  currentImbalance?: [l1: number | null, l10: number | null];
  imbalancesFrom?: number | null;
  imbalancesL1?: Runs;
  imbalancesL10?: Runs;
  /** [bucket, sum of e_n in qty units], non-zero buckets only, oldest first. */
  ofi: [bucket: number, units: number][];
}

export class InvalidBookUpdateError extends Error {
  override readonly name = 'InvalidBookUpdateError';
  constructor(eventTimeUs: number) {
    super(`Book update time ${eventTimeUs} is not a non-negative integer of microseconds.`);
  }
}

export class FeatureStateSnapshotError extends Error {
  override readonly name = 'FeatureStateSnapshotError';
  constructor(reason: string) {
    super(`Cannot restore FeatureState from this snapshot: ${reason}.`);
  }
}

export class FeatureState {
  private firstTimeUs: number | undefined;
  private lastTimeUs: number | undefined;
  private filledThrough: number | undefined;
  private currentMid = Number.NaN;
  private currentDepthUnits = Number.NaN;
  private previousBest: Best | undefined;
  private late = 0;
  private readonly mids = new Float64Array(MID_SLOTS);
  private readonly depths = new Float64Array(OFI_SLOTS);
  /** Book imbalance over the best 1 and 10 levels on the grid, for their time averages. */
  private currentImbalanceL1 = Number.NaN;
  private currentImbalanceL10 = Number.NaN;
  private readonly imbalancesL1 = new Float64Array(OFI_SLOTS).fill(Number.NaN);
  private readonly imbalancesL10 = new Float64Array(OFI_SLOTS).fill(Number.NaN);
  private readonly ofiBucket = new Float64Array(OFI_SLOTS).fill(Number.NaN);
  private readonly ofiUnits = new Float64Array(OFI_SLOTS);

  /** Time of the first book update seen (µs): nothing before it is known. */
  get firstBookTimeUs(): number | undefined {
    return this.firstTimeUs;
  }

  /** Time of the latest book update (µs), for feature age checks. */
  get lastBookTimeUs(): number | undefined {
    return this.lastTimeUs;
  }

  /** Updates that arrived with an event time older than an earlier one. */
  get lateUpdates(): number {
    return this.late;
  }

  onBookTop(top: BookTop, eventTimeUs: number): void {
    if (!Number.isSafeInteger(eventTimeUs) || eventTimeUs < 0) throw new InvalidBookUpdateError(eventTimeUs);
    let t = eventTimeUs;
    if (this.lastTimeUs !== undefined && t < this.lastTimeUs) {
      this.late++;
      t = this.lastTimeUs;
    }
    const b = bucketOf(t);
    if (this.firstTimeUs === undefined) {
      this.firstTimeUs = t;
      this.filledThrough = b - 1;
    } else {
      // Grid points strictly before t keep the values that held until now.
      this.fillThrough(b - 1);
    }
    const best = validBest(top);
    const now: Best | undefined = best && [
      best.bidPrice,
      Math.round(best.bidQty * UNITS_PER_ONE),
      best.askPrice,
      Math.round(best.askQty * UNITS_PER_ONE),
    ];
    if (now && this.previousBest) this.addOfi(b, orderFlow(this.previousBest, now));
    this.previousBest = now;
    this.currentMid = best ? (best.bidPrice + best.askPrice) / 2 : Number.NaN;
    this.currentDepthUnits = now ? now[1] + now[3] : Number.NaN;
    this.currentImbalanceL1 = best ? imbalance(top, 1) : Number.NaN;
    this.currentImbalanceL10 = best ? imbalance(top, 10) : Number.NaN;
    this.lastTimeUs = t;
  }

  /** The mid as of the grid point at or before `timeUs` (NaN before the first update or once evicted). */
  midAt(timeUs: number): number {
    return this.sample(this.mids, MID_SLOTS, Math.floor(timeUs / GRID_US), this.currentMid);
  }

  /**
   * Normalised order-flow imbalance over (T - windowMs, T], T = `nowUs` floored to the grid; NaN when
   * the book was not observed since the window's start, a bucket was evicted, or the depth is unknown.
   */
  ofi(windowMs: number, nowUs: number): number {
    if (!Number.isInteger(windowMs / 100) || windowMs <= 0 || windowMs > LONGEST_OFI_MS) return Number.NaN;
    if (this.firstTimeUs === undefined || this.lastTimeUs === undefined) return Number.NaN;
    const n = Math.floor(nowUs / GRID_US);
    const count = windowMs / (GRID_US / 1000);
    const first = n - count + 1;
    if (this.firstTimeUs > (first - 1) * GRID_US) return Number.NaN;
    if (first <= bucketOf(this.lastTimeUs) - OFI_SLOTS) return Number.NaN;
    let flowUnits = 0;
    let depthUnits = 0;
    for (let k = first; k <= n; k++) {
      const slot = k % OFI_SLOTS;
      if (this.ofiBucket[slot] === k) flowUnits += this.ofiUnits[slot] as number;
      depthUnits += this.sample(this.depths, OFI_SLOTS, k, this.currentDepthUnits);
    }
    // sum(e) / mean((qb + qa) / 2) with mean over `count` grid points.
    return depthUnits > 0 ? (2 * count * flowUnits) / depthUnits : Number.NaN;
  }

  /**
   * The mean over the grid points in (T - windowMs, T] of the imbalance over the best `depth` (1 or
   * 10) levels as of each point; NaN when any of them is unknown (not observed, evicted, too few levels).
   */
  imbalanceAverage(depth: 1 | 10, windowMs: number, nowUs: number): number {
    if (!Number.isInteger(windowMs / 100) || windowMs <= 0 || windowMs > LONGEST_OFI_MS) return Number.NaN;
    const ring = depth === 1 ? this.imbalancesL1 : this.imbalancesL10;
    const current = depth === 1 ? this.currentImbalanceL1 : this.currentImbalanceL10;
    const n = Math.floor(nowUs / GRID_US);
    const count = windowMs / (GRID_US / 1000);
    let sum = 0;
    for (let k = n - count + 1; k <= n; k++) sum += this.sample(ring, OFI_SLOTS, k, current);
    return sum / count;
  }

  toJSON(): FeatureStateSnapshot {
    const mids = this.runs(this.mids, MID_SLOTS);
    const depths = this.runs(this.depths, OFI_SLOTS);
    const imbalancesL1 = this.runs(this.imbalancesL1, OFI_SLOTS);
    const imbalancesL10 = this.runs(this.imbalancesL10, OFI_SLOTS);
    const ofi: [number, number][] = [];
    if (this.lastTimeUs !== undefined) {
      const newest = bucketOf(this.lastTimeUs);
      for (let b = newest - OFI_SLOTS + 1; b <= newest; b++) {
        const slot = b % OFI_SLOTS;
        if (this.ofiBucket[slot] === b && this.ofiUnits[slot] !== 0)
          ofi.push([b, this.ofiUnits[slot] as number]);
      }
    }
    return {
      v: 1,
      firstTimeUs: this.firstTimeUs ?? null,
      lastTimeUs: this.lastTimeUs ?? null,
      filledThrough: this.filledThrough ?? null,
      currentMid: nullIfNaN(this.currentMid),
      currentDepthUnits: nullIfNaN(this.currentDepthUnits),
      previousBest: this.previousBest ? [...this.previousBest] : null,
      lateUpdates: this.late,
      midsFrom: mids.from,
      mids: mids.runs,
      depthsFrom: depths.from,
      depths: depths.runs,
      currentImbalance: [nullIfNaN(this.currentImbalanceL1), nullIfNaN(this.currentImbalanceL10)],
      imbalancesFrom: imbalancesL1.from,
      imbalancesL1: imbalancesL1.runs,
      imbalancesL10: imbalancesL10.runs,
      ofi,
    };
  }

  /** Restores what toJSON saved (after a JSON round trip); throws FeatureStateSnapshotError if malformed. */
  static fromJSON(snapshot: unknown): FeatureState {
    const s = snapshot as Partial<FeatureStateSnapshot> | null;
    if (typeof s !== 'object' || s === null) throw new FeatureStateSnapshotError('not an object');
    if (s.v !== 1) throw new FeatureStateSnapshotError(`version ${String(s.v)} is not 1`);
    const st = new FeatureState();
    st.firstTimeUs = optionalInteger(s.firstTimeUs, 'firstTimeUs');
    st.lastTimeUs = optionalInteger(s.lastTimeUs, 'lastTimeUs');
    st.filledThrough = optionalInteger(s.filledThrough, 'filledThrough');
    if (
      (st.firstTimeUs === undefined) !== (st.lastTimeUs === undefined) ||
      (st.lastTimeUs === undefined) !== (st.filledThrough === undefined)
    )
      throw new FeatureStateSnapshotError('times and grid position must be all set or all null');
    st.currentMid = optionalNumber(s.currentMid, 'currentMid');
    st.currentDepthUnits = optionalNumber(s.currentDepthUnits, 'currentDepthUnits');
    if (s.previousBest !== null) {
      const p = s.previousBest;
      if (!Array.isArray(p) || p.length !== 4 || !p.every((x) => typeof x === 'number' && Number.isFinite(x)))
        throw new FeatureStateSnapshotError('previousBest is not 4 numbers');
      st.previousBest = [...p] as Best;
    }
    if (!Number.isSafeInteger(s.lateUpdates))
      throw new FeatureStateSnapshotError('lateUpdates is not an integer');
    st.late = s.lateUpdates as number;
    st.restoreRuns(st.mids, MID_SLOTS, s.midsFrom, s.mids, 'mids');
    st.restoreRuns(st.depths, OFI_SLOTS, s.depthsFrom, s.depths, 'depths');
    if (s.currentImbalance !== undefined) {
      const c = s.currentImbalance;
      if (!Array.isArray(c) || c.length !== 2)
        throw new FeatureStateSnapshotError('currentImbalance is not 2 values');
      st.currentImbalanceL1 = optionalNumber(c[0], 'currentImbalance');
      st.currentImbalanceL10 = optionalNumber(c[1], 'currentImbalance');
      st.restoreRuns(st.imbalancesL1, OFI_SLOTS, s.imbalancesFrom, s.imbalancesL1, 'imbalancesL1');
      st.restoreRuns(st.imbalancesL10, OFI_SLOTS, s.imbalancesFrom, s.imbalancesL10, 'imbalancesL10');
    }
    if (!Array.isArray(s.ofi)) throw new FeatureStateSnapshotError('ofi is not an array');
    for (const row of s.ofi) {
      const [b, units] = Array.isArray(row) ? row : [];
      if (!Number.isSafeInteger(b) || !Number.isSafeInteger(units))
        throw new FeatureStateSnapshotError(`ofi row ${JSON.stringify(row)} is not two integers`);
      st.ofiBucket[(b as number) % OFI_SLOTS] = b as number;
      st.ofiUnits[(b as number) % OFI_SLOTS] = units as number;
    }
    return st;
  }

  /** The sample at grid index k: final (ring), current (after the last final one), or NaN. */
  private sample(ring: Float64Array, slots: number, k: number, current: number): number {
    if (this.firstTimeUs === undefined || this.filledThrough === undefined) return Number.NaN;
    if (k * GRID_US < this.firstTimeUs) return Number.NaN;
    if (k > this.filledThrough) return current;
    if (k <= this.filledThrough - slots) return Number.NaN;
    return ring[k % slots] as number;
  }

  /** Finalises grid points up to `target` with the values current until now. */
  private fillThrough(target: number): void {
    const filled = this.filledThrough as number;
    for (let k = Math.max(filled + 1, target - MID_SLOTS + 1); k <= target; k++) {
      this.mids[k % MID_SLOTS] = this.currentMid;
      this.depths[k % OFI_SLOTS] = this.currentDepthUnits;
      this.imbalancesL1[k % OFI_SLOTS] = this.currentImbalanceL1;
      this.imbalancesL10[k % OFI_SLOTS] = this.currentImbalanceL10;
    }
    if (target > filled) this.filledThrough = target;
  }

  private addOfi(bucket: number, units: number): void {
    const slot = bucket % OFI_SLOTS;
    if (this.ofiBucket[slot] !== bucket) {
      this.ofiBucket[slot] = bucket;
      this.ofiUnits[slot] = 0;
    }
    this.ofiUnits[slot] = (this.ofiUnits[slot] as number) + units;
  }

  /** The retained, observed part of a ring as runs, oldest first. */
  private runs(ring: Float64Array, slots: number): { from: number | null; runs: Runs } {
    if (this.firstTimeUs === undefined || this.filledThrough === undefined) return { from: null, runs: [] };
    const from = Math.max(this.filledThrough - slots + 1, Math.ceil(this.firstTimeUs / GRID_US));
    const runs: Runs = [];
    for (let k = from; k <= this.filledThrough; k++) {
      const value = nullIfNaN(ring[k % slots] as number);
      const last = runs[runs.length - 1];
      if (last && Object.is(last[0], value)) last[1]++;
      else runs.push([value, 1]);
    }
    return { from, runs };
  }

  private restoreRuns(ring: Float64Array, slots: number, from: unknown, runs: unknown, what: string): void {
    if (!Array.isArray(runs)) throw new FeatureStateSnapshotError(`${what} is not an array`);
    if (runs.length === 0) return;
    if (!Number.isSafeInteger(from)) throw new FeatureStateSnapshotError(`${what}From is not an integer`);
    let k = from as number;
    for (const run of runs) {
      const [value, length] = Array.isArray(run) ? run : [];
      if ((value !== null && typeof value !== 'number') || !Number.isSafeInteger(length) || length < 1)
        throw new FeatureStateSnapshotError(`${what} run ${JSON.stringify(run)} is malformed`);
      for (let i = 0; i < length; i++, k++) ring[k % slots] = value === null ? Number.NaN : value;
    }
    if (k - 1 !== this.filledThrough)
      throw new FeatureStateSnapshotError(`${what} do not end at filledThrough`);
  }
}

/** Cont–Kukanov–Stoikov e_n for one change of the best bid/ask, in qty units. */
export function orderFlow(previous: Readonly<Best>, current: Readonly<Best>): number {
  const [pb0, qb0, pa0, qa0] = previous;
  const [pb, qb, pa, qa] = current;
  let e = 0;
  if (pb >= pb0) e += qb;
  if (pb <= pb0) e -= qb0;
  if (pa <= pa0) e -= qa;
  if (pa >= pa0) e += qa0;
  return e;
}

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function optionalInteger(x: unknown, what: string): number | undefined {
  if (x === null) return undefined;
  if (!Number.isSafeInteger(x)) throw new FeatureStateSnapshotError(`${what} is not an integer`);
  return x as number;
}

function optionalNumber(x: unknown, what: string): number {
  if (x === null) return Number.NaN;
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new FeatureStateSnapshotError(`${what} is not a number`);
  return x;
}
