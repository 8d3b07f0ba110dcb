/**
 * Ground truth: the true book of every symbol at every update id, and every trade, kept by applying
 * the source's truth events to the venue's own books. Faults never touch it: they only alter what
 * is sent. Tests and the run summary check a pipeline against it.
 *
 * Bounds (memory stays flat however long the venue runs):
 * - book history: the last `historyChanges` level changes in a ring, plus a full-book checkpoint
 *   every `checkpointEvery` changes; any update id from the oldest retained checkpoint to the
 *   newest id can be rebuilt (checkpoint + forward replay);
 * - trades: the last `tradeCapacity` trades.
 * A recorded diff is only known as a block [U, u]: inside such a block the truth has the block's
 * resolution, and `bookAt` says so with `exact: false`.
 *
 * A replay without a snapshot is anchored on its first diff (`reconstructed`): the book starts empty
 * and learns each level as a diff names it (core/book/known-levels.ts). Its top is trusted once
 * certain (every tick from the best levels inwards known) or once a bookTicker at its exact update id
 * agrees with it; from then on `/api/v3/depth` serves it (before,
 * 503), and `anchor()` says how the book was anchored and from which update id it was trusted.
 */
import { type BookSideView, KnownLevels } from '../../core/book/known-levels.ts';
import type { PriceLevel, Trade } from '../../core/sbe/messages.ts';
import { TruthOutOfRangeError, UnknownSymbolError } from './errors.ts';
import type { BestBidAskEvent, BookChangesEvent, SnapshotEvent, TradesEvent } from './market-events.ts';
import { OrderBook, Side } from './order-book.ts';

export interface GroundTruthOptions {
  /** @default 500_000 level changes (about 3 min of the synthetic market, all of the 2024 replay) */
  historyChanges?: number;
  /** @default 20_000 */
  checkpointEvery?: number;
  /** @default 500_000 trades (about 4.6 h at 30 trades/s) */
  tradeCapacity?: number;
}

export interface TruthBook {
  symbol: string;
  /** The update id the book is at: the requested id when exact, else the last block boundary before it. */
  lastUpdateId: number;
  /** False when the requested id falls strictly inside a recorded diff block. */
  exact: boolean;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

/** How a symbol's true book was anchored (the truth API and the run summary report it). */
export interface BookAnchorInfo {
  kind: 'none' | 'snapshot' | 'reconstructed';
  /** A rebuilt book: the first update id at which its top was certain (null: not yet). */
  trustedFromUpdateId: number | null;
  /** Exchange time of that update (µs). */
  trustedFromUs: number | null;
  /** Prices a rebuilt book has learnt; bookTicker tops compared at their exact id, and disagreements. */
  knownPrices: number;
  topsChecked: number;
  topsDisagreed: number;
}

export interface TruthTrade extends Trade {
  timeUs: number;
}

/** Blocks kept while waiting for the first snapshot (a recording has a handful). */
const MAX_EARLY_BLOCKS = 10_000;

interface Checkpoint {
  updateId: number;
  /** Absolute index of the first change recorded after the checkpoint. */
  index: number;
  book: OrderBook;
}

/** A ring of level changes with periodic full-book checkpoints. */
class BookHistory {
  private readonly firstIds: Float64Array;
  private readonly updateIds: Float64Array;
  private readonly prices: Float64Array;
  private readonly qtys: Float64Array;
  private readonly sides: Uint8Array;
  private total = 0;
  private checkpoints: Checkpoint[] = [];
  private changesSinceCheckpoint = 0;

  constructor(
    private readonly capacity: number,
    private readonly checkpointEvery: number,
  ) {
    this.firstIds = new Float64Array(capacity);
    this.updateIds = new Float64Array(capacity);
    this.prices = new Float64Array(capacity);
    this.qtys = new Float64Array(capacity);
    this.sides = new Uint8Array(capacity);
  }

  reset(book: OrderBook): void {
    this.checkpoints = [{ updateId: book.lastUpdateId, index: this.total, book: book.clone() }];
    this.changesSinceCheckpoint = 0;
  }

  record(side: Side, price: number, qty: number, firstId: number, updateId: number): void {
    const slot = this.total % this.capacity;
    this.firstIds[slot] = firstId;
    this.updateIds[slot] = updateId;
    this.prices[slot] = price;
    this.qtys[slot] = qty;
    this.sides[slot] = side;
    this.total++;
    this.changesSinceCheckpoint++;
  }

  /** Called at block boundaries, where the live book is consistent at its lastUpdateId. */
  maybeCheckpoint(book: OrderBook): void {
    if (this.changesSinceCheckpoint < this.checkpointEvery) return;
    this.checkpoints.push({ updateId: book.lastUpdateId, index: this.total, book: book.clone() });
    this.changesSinceCheckpoint = 0;
    // A checkpoint is useful only while every change after it is still in the ring.
    const oldestIndex = this.total - this.capacity;
    while (this.checkpoints.length > 1 && (this.checkpoints[0] as Checkpoint).index < oldestIndex) {
      this.checkpoints.shift();
    }
  }

  /** The oldest id `bookAt` can rebuild: the oldest checkpoint whose changes are all still in the ring. */
  oldestUpdateId(): number {
    const oldestIndex = this.total - this.capacity;
    const usable = this.checkpoints.find((c) => c.index >= oldestIndex) ?? this.checkpoints.at(-1);
    return usable?.updateId ?? 0;
  }

  bookAt(updateId: number): { book: OrderBook; exact: boolean } | undefined {
    let cp: Checkpoint | undefined;
    for (let i = this.checkpoints.length - 1; i >= 0; i--) {
      const c = this.checkpoints[i] as Checkpoint;
      if (c.updateId <= updateId) {
        cp = c;
        break;
      }
    }
    if (!cp || cp.index < this.total - this.capacity) return undefined;
    const book = cp.book.clone();
    let exact = true;
    let applied = 0;
    for (let i = cp.index; i < this.total; i++) {
      const slot = i % this.capacity;
      const id = this.updateIds[slot] as number;
      if (id > updateId) {
        // Inside a recorded block [U, u] the changes are only known together (but the checkpoint's
        // own id is always exact).
        exact = (this.firstIds[slot] as number) > updateId || (applied === 0 && cp.updateId === updateId);
        break;
      }
      book.set(this.sides[slot] as Side, this.prices[slot] as number, this.qtys[slot] as number);
      book.lastUpdateId = id;
      applied++;
    }
    if (exact) book.lastUpdateId = updateId;
    return { book, exact };
  }
}

/** The trade tape: a ring ordered by trade id. */
class TradeTape {
  private readonly ids: Float64Array;
  private readonly prices: Float64Array;
  private readonly qtys: Float64Array;
  private readonly times: Float64Array;
  private readonly makers: Uint8Array;
  private total = 0;

  constructor(private readonly capacity: number) {
    this.ids = new Float64Array(capacity);
    this.prices = new Float64Array(capacity);
    this.qtys = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.makers = new Uint8Array(capacity);
  }

  add(t: Trade, timeUs: number): void {
    const slot = this.total % this.capacity;
    this.ids[slot] = t.id;
    this.prices[slot] = t.priceMantissa;
    this.qtys[slot] = t.qtyMantissa;
    this.times[slot] = timeUs;
    this.makers[slot] = t.isBuyerMaker ? 1 : 0;
    this.total++;
  }

  private get first(): number {
    return Math.max(0, this.total - this.capacity);
  }

  private at(i: number): TruthTrade {
    const slot = i % this.capacity;
    return {
      id: this.ids[slot] as number,
      priceMantissa: this.prices[slot] as number,
      qtyMantissa: this.qtys[slot] as number,
      isBuyerMaker: this.makers[slot] === 1,
      timeUs: this.times[slot] as number,
    };
  }

  range(): { oldest: number; newest: number } | undefined {
    if (this.total === 0) return undefined;
    return { oldest: this.at(this.first).id, newest: this.at(this.total - 1).id };
  }

  /** Trades with id >= fromId, oldest first. */
  from(fromId: number, limit: number): TruthTrade[] {
    let lo = this.first;
    let hi = this.total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ids[mid % this.capacity] as number) < fromId) lo = mid + 1;
      else hi = mid;
    }
    const out: TruthTrade[] = [];
    for (let i = lo; i < this.total && out.length < limit; i++) out.push(this.at(i));
    return out;
  }

  count(): number {
    return this.total;
  }
}

export interface SymbolTruthStats {
  lastUpdateId: number;
  oldestUpdateId: number;
  bidLevels: number;
  askLevels: number;
  bookChanges: number;
  trades: number;
  lastTradeId: number | null;
  /** Recorded diffs that came before the first snapshot, or ended at or before the book's id. */
  staleBlocksIgnored: number;
}

class SymbolTruth {
  readonly book = new OrderBook();
  readonly history: BookHistory;
  readonly tape: TradeTape;
  seeded = false;
  /** Blocks that came before the first snapshot (a recording's REST line follows a few diffs). */
  readonly early: BookChangesEvent[] = [];
  bookChanges = 0;
  staleBlocksIgnored = 0;
  anchorKind: BookAnchorInfo['kind'] = 'none';
  known: KnownLevels | undefined;
  trustedFromUpdateId: number | null = null;
  trustedFromUs: number | null = null;
  topsChecked = 0;
  topsDisagreed = 0;
  pendingTops: BestBidAskEvent[] = [];

  side(side: Side): BookSideView {
    const book = this.book;
    return {
      best: () => book.best(side),
      priceAt: (i) => book.priceAt(side, i),
      quantity: (p) => book.qtyAt(side, p),
      set: (p, q) => book.set(side, p, q),
    };
  }

  constructor(o: Required<GroundTruthOptions>) {
    this.history = new BookHistory(o.historyChanges, o.checkpointEvery);
    this.tape = new TradeTape(o.tradeCapacity);
  }
}

export class GroundTruth {
  private readonly symbolsTruth = new Map<string, SymbolTruth>();
  private readonly options: Required<GroundTruthOptions>;

  constructor(symbols: readonly string[], options: GroundTruthOptions = {}) {
    const historyChanges = options.historyChanges ?? 500_000;
    this.options = {
      historyChanges,
      checkpointEvery: Math.min(options.checkpointEvery ?? 20_000, Math.floor(historyChanges / 4)),
      tradeCapacity: options.tradeCapacity ?? 500_000,
    };
    for (const s of symbols) this.symbolsTruth.set(s, new SymbolTruth(this.options));
  }

  symbols(): string[] {
    return [...this.symbolsTruth.keys()];
  }

  private of(symbol: string): SymbolTruth {
    const t = this.symbolsTruth.get(symbol);
    if (!t) throw new UnknownSymbolError(symbol);
    return t;
  }

  has(symbol: string): boolean {
    return this.symbolsTruth.has(symbol);
  }

  isSeeded(symbol: string): boolean {
    return this.of(symbol).seeded;
  }

  applySnapshot(e: SnapshotEvent): void {
    const t = this.of(e.symbol);
    t.book.clear();
    for (const l of e.bids) t.book.set(Side.Bid, l.priceMantissa, l.qtyMantissa);
    for (const l of e.asks) t.book.set(Side.Ask, l.priceMantissa, l.qtyMantissa);
    t.book.lastUpdateId = e.lastUpdateId;
    t.history.reset(t.book);
    t.seeded = true;
    t.anchorKind = e.reconstructed ? 'reconstructed' : 'snapshot';
    t.known = e.reconstructed ? new KnownLevels() : undefined;
    // A snapshot is the truth from its own id on; a rebuilt book from when its top is certain.
    t.trustedFromUpdateId = e.reconstructed ? null : e.lastUpdateId;
    t.trustedFromUs = e.reconstructed ? null : e.timeUs;
    // Binance: buffer the diffs, get the snapshot, then apply the buffered diffs that continue it.
    for (const block of t.early.splice(0)) this.applyChanges(block);
  }

  /**
   * Applies changes in order. Binance's rule for a recorded block: "If the event last update ID (u)
   * is less than the update ID of your local order book, ignore the event"; a block straddling the
   * book's id is applied whole (quantities are absolute, so re-applying a change is harmless).
   */
  applyChanges(e: BookChangesEvent): void {
    const t = this.of(e.symbol);
    const last = e.changes[e.changes.length - 1];
    if (!last) return;
    if (!t.seeded) {
      if (t.early.length < MAX_EARLY_BLOCKS) t.early.push(e);
      else t.staleBlocksIgnored++;
      return;
    }
    if (last.updateId <= t.book.lastUpdateId) {
      t.staleBlocksIgnored++;
      return;
    }
    for (const c of e.changes) {
      t.book.set(c.side, c.priceMantissa, c.qtyMantissa);
      t.book.lastUpdateId = c.updateId;
      t.history.record(c.side, c.priceMantissa, c.qtyMantissa, e.firstUpdateId ?? c.updateId, c.updateId);
    }
    t.bookChanges += e.changes.length;
    t.history.maybeCheckpoint(t.book);
    if (t.known) {
      const bids: [number, number][] = [];
      const asks: [number, number][] = [];
      for (const c of e.changes) (c.side === Side.Bid ? bids : asks).push([c.priceMantissa, c.qtyMantissa]);
      t.known.learnDiff(bids, asks);
      if (t.pendingTops.length > 0) {
        for (const top of t.pendingTops)
          if (top.bookUpdateId === t.book.lastUpdateId) this.compareTop(t, top);
        t.pendingTops = t.pendingTops.filter((top) => top.bookUpdateId > t.book.lastUpdateId);
      }
      if (t.trustedFromUpdateId === null) {
        const certain = t.known.certainDepth(t.side(Side.Bid), t.side(Side.Ask), 1);
        if (certain.bids >= 1 && certain.asks >= 1) this.trust(t, e.timeUs);
      }
    }
  }

  /**
   * A bookTicker: when a rebuilt book reaches its exact update id (now or at a later block), a free
   * check of the top. Agreement makes the top trusted (verified against the exchange's own best bid
   * and ask); a disagreement is counted. The truth itself changes only through book changes, so its
   * history stays replayable.
   */
  checkTop(e: BestBidAskEvent): void {
    const t = this.of(e.symbol);
    if (!t.known || e.bookUpdateId < t.book.lastUpdateId) return;
    if (e.bookUpdateId === t.book.lastUpdateId) this.compareTop(t, e);
    else if (t.pendingTops.length < 64) t.pendingTops.push(e);
  }

  private compareTop(t: SymbolTruth, e: BestBidAskEvent): void {
    t.topsChecked++;
    const agrees =
      t.book.best(Side.Bid) === e.bidPriceMantissa &&
      t.book.qtyAt(Side.Bid, e.bidPriceMantissa) === e.bidQtyMantissa &&
      t.book.best(Side.Ask) === e.askPriceMantissa &&
      t.book.qtyAt(Side.Ask, e.askPriceMantissa) === e.askQtyMantissa;
    if (!agrees) t.topsDisagreed++;
    else if (t.trustedFromUpdateId === null) this.trust(t, e.eventTimeUs);
  }

  private trust(t: SymbolTruth, timeUs: number): void {
    t.trustedFromUpdateId = t.book.lastUpdateId;
    t.trustedFromUs = timeUs;
  }

  /** How the book was anchored; a rebuilt book is servable once trusted. */
  anchor(symbol: string): BookAnchorInfo {
    const t = this.of(symbol);
    return {
      kind: t.anchorKind,
      trustedFromUpdateId: t.trustedFromUpdateId,
      trustedFromUs: t.trustedFromUs,
      knownPrices: t.known?.knownPrices() ?? 0,
      topsChecked: t.topsChecked,
      topsDisagreed: t.topsDisagreed,
    };
  }

  /** True when `/api/v3/depth` can serve the book: seeded by a snapshot, or rebuilt and trusted. */
  isServable(symbol: string): boolean {
    const t = this.of(symbol);
    return t.seeded && (t.anchorKind !== 'reconstructed' || t.trustedFromUpdateId !== null);
  }

  recordTrades(e: TradesEvent): void {
    const t = this.of(e.symbol);
    for (const trade of e.trades) t.tape.add(trade, e.transactTimeUs);
  }

  /** The live true book (do not mutate). */
  liveBook(symbol: string): OrderBook {
    return this.of(symbol).book;
  }

  lastUpdateId(symbol: string): number {
    return this.of(symbol).book.lastUpdateId;
  }

  /** The book right after update id `updateId`, top `limit` levels per side. */
  bookAt(symbol: string, updateId: number, limit = 5000): TruthBook {
    const t = this.of(symbol);
    const newest = t.book.lastUpdateId;
    if (updateId === newest) {
      return {
        symbol,
        lastUpdateId: newest,
        exact: true,
        bids: t.book.top(Side.Bid, limit),
        asks: t.book.top(Side.Ask, limit),
      };
    }
    const oldest = t.history.oldestUpdateId();
    const found = updateId > newest || !t.seeded ? undefined : t.history.bookAt(updateId);
    if (!found) throw new TruthOutOfRangeError('Update id', updateId, oldest, newest);
    return {
      symbol,
      lastUpdateId: found.book.lastUpdateId,
      exact: found.exact,
      bids: found.book.top(Side.Bid, limit),
      asks: found.book.top(Side.Ask, limit),
    };
  }

  /** Trades with id >= fromId, oldest first. */
  trades(symbol: string, fromId: number, limit: number): TruthTrade[] {
    return this.of(symbol).tape.from(fromId, limit);
  }

  tradeRange(symbol: string): { oldest: number; newest: number } | undefined {
    return this.of(symbol).tape.range();
  }

  stats(symbol: string): SymbolTruthStats {
    const t = this.of(symbol);
    return {
      lastUpdateId: t.book.lastUpdateId,
      oldestUpdateId: t.history.oldestUpdateId(),
      bidLevels: t.book.size(Side.Bid),
      askLevels: t.book.size(Side.Ask),
      bookChanges: t.bookChanges,
      trades: t.tape.count(),
      lastTradeId: t.tape.range()?.newest ?? null,
      staleBlocksIgnored: t.staleBlocksIgnored,
    };
  }
}
