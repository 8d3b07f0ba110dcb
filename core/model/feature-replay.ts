/**
 * Replays a market tape (a REST depth snapshot, depth diffs, trades; exchange event time) through the
 * feature code exactly as the aggregator runs it (docs/adr/0030-features.md): the book follows
 * Binance's diff rule, `FeatureState.onBookTop` is fed after every applied diff, trades go to
 * `TradeWindows` on their trade time, and `computeFeatures` runs at every tick of the event-time grid
 * once every event at or before the tick has been applied. The mid after each applied diff forms the
 * series the labels are read from (`pairWithLabels`).
 *
 * Feed events in exchange-time order (a recording is in receive order: core/history/tape-order.ts
 * sorts it, streaming). Diffs that arrive before the snapshot are buffered and synced by Binance's
 * procedure; a gap marks the book unsynced until the next snapshot, and nothing is computed from an
 * unsynced book. When no snapshot comes within `anchorWaitUs` of the first buffered diff (a
 * recording made without one), the book is rebuilt from the diff stream alone (core/book/
 * known-levels.ts, docs/adr/0090): features start once its top is certain, and true tops in the
 * tape (`top` events: bookTicker, partial depth) check and complete it.
 *
 * Memory is flat in the tape's length but for the output: the vectors, and the mid series kept at
 * one point per tick (the last mid at or before each tick is all a label on the tick grid reads). Pure.
 */
import { DEFAULT_TICK_MANTISSA, KnownLevels } from '../book/known-levels.ts';
import { type BookDiff, type Level, OrderBook } from '../book/order-book.ts';
import { syncFromSnapshot } from '../book/sync-from-snapshot.ts';
import { type BookTop, bookTopFromSides, validBest } from '../features/book-top.ts';
import { computeFeatures } from '../features/compute-features.ts';
import type { FeatureVector } from '../features/feature-names.ts';
import { FeatureState, GRID_US } from '../features/feature-state.ts';
import type { MidPoint } from '../features/label.ts';
import { type TradeInput, TradeWindows } from '../trades/trade-windows.ts';

/** The inference service predicts every 2 s. */
export const PREDICTION_INTERVAL_US = 2_000_000;

/** Wait this long for a snapshot before rebuilding the book from the diffs alone. */
export const DEFAULT_ANCHOR_WAIT_US = 10_000_000;

export type TapeEvent =
  | {
      kind: 'snapshot';
      lastUpdateId: number;
      bids: readonly Level[];
      asks: readonly Level[];
      /** Replace the book even when in sync (tardis.dev's snapshot after a reconnection). */
      reset?: boolean;
    }
  | ({ kind: 'diff'; timeUs: number } & BookDiff)
  | { kind: 'trade'; timeUs: number; trade: TradeInput }
  /** The exchange's true top at one update id (bookTicker, partial depth); no time of its own. */
  | {
      kind: 'top';
      source: 'bookTicker' | 'depth20';
      updateId: number;
      bids: readonly Level[];
      asks: readonly Level[];
    };

export type BookAnchor = 'none' | 'snapshot' | 'reconstructed';

export interface ReplayStats {
  diffsApplied: number;
  diffsOld: number;
  gaps: number;
  diffsWhileUnsynced: number;
  trades: number;
  tradeDuplicates: number;
  /** How the (last) book was anchored: a snapshot, or rebuilt from the diffs alone. */
  anchor: BookAnchor;
  /** Books rebuilt from the diffs alone (no snapshot within anchorWaitUs). */
  reconstructions: number;
  /** Exchange time from which a rebuilt book's top was certain and features flowed (null: never). */
  trustedFromUs: number | null;
  /** True tops compared with a rebuilt book at their exact update id, and how many disagreed. */
  topsChecked: number;
  topsDisagreed: number;
}

export interface ReplayResult {
  vectors: FeatureVector[];
  mids: MidPoint[];
  stats: ReplayStats;
  /** Spans of ticks passed with no trusted book (no vector): before the anchor, after a gap. */
  unsynced: TickSpan[];
  /** The last tick computed, or undefined before any. */
  lastTickUs: number | undefined;
}

/** Ticks `fromUs` through `toUs` (inclusive). */
export interface TickSpan {
  fromUs: number;
  toUs: number;
}

export interface FeatureReplayOptions {
  /** Tick of the prediction grid; a multiple of the 100 ms feature grid. Default 2 s. */
  tickUs?: number;
  /** Mantissa exponents of prices and quantities (Binance BTCUSDT: -8). */
  priceExponent?: number;
  qtyExponent?: number;
  /** Wait for a snapshot this long (event time) before rebuilding from diffs. @default 10 s */
  anchorWaitUs?: number;
  /** Price tick as a mantissa, for certifying a rebuilt book. @default 0.01 at exponent -8 */
  tickMantissa?: number;
  /** Levels per side that must be certain before a rebuilt book is trusted. @default 1 */
  trustDepth?: number;
  /** Called after every applied diff (measurements, tests). */
  onBook?: (book: OrderBook, timeUs: number, trusted: boolean) => void;
}

export class ReplayOrderError extends Error {
  override readonly name = 'ReplayOrderError';
  constructor(timeUs: number, previousUs: number) {
    super(`Tape event at ${timeUs} µs comes after one at ${previousUs} µs: sort the tape by event time.`);
  }
}

const EMPTY_TOP: BookTop = { bids: [], asks: [] };

export class FeatureReplay {
  private readonly tickUs: number;
  private readonly priceExponent: number;
  private readonly qtyExponent: number;
  private readonly state = new FeatureState();
  private readonly trades = new TradeWindows();
  private readonly anchorWaitUs: number;
  private readonly tickMantissa: number;
  private readonly trustDepth: number;
  private readonly onBook: FeatureReplayOptions['onBook'];
  private book: OrderBook | undefined;
  /** Set while the book is rebuilt from diffs; `trusted` once its top has been certain. */
  private known: KnownLevels | undefined;
  private trusted = true;
  private pendingTops: Extract<TapeEvent, { kind: 'top' }>[] = [];
  private buffered: (BookDiff & { timeUs: number })[] = [];
  private top: BookTop = EMPTY_TOP;
  private nextTickUs: number | undefined;
  private lastTimeUs = Number.NEGATIVE_INFINITY;
  private readonly vectors: FeatureVector[] = [];
  private readonly mids: MidPoint[] = [];
  private readonly unsynced: TickSpan[] = [];
  private lastTickUs: number | undefined;
  private readonly stats: ReplayStats = {
    diffsApplied: 0,
    diffsOld: 0,
    gaps: 0,
    diffsWhileUnsynced: 0,
    trades: 0,
    tradeDuplicates: 0,
    anchor: 'none',
    reconstructions: 0,
    trustedFromUs: null,
    topsChecked: 0,
    topsDisagreed: 0,
  };

  constructor(options: FeatureReplayOptions = {}) {
    this.tickUs = options.tickUs ?? PREDICTION_INTERVAL_US;
    if (!(this.tickUs > 0 && this.tickUs % GRID_US === 0))
      throw new RangeError(`tickUs ${this.tickUs} is not a positive multiple of ${GRID_US} µs.`);
    this.priceExponent = options.priceExponent ?? -8;
    this.qtyExponent = options.qtyExponent ?? -8;
    this.anchorWaitUs = options.anchorWaitUs ?? DEFAULT_ANCHOR_WAIT_US;
    this.tickMantissa = options.tickMantissa ?? DEFAULT_TICK_MANTISSA;
    this.trustDepth = options.trustDepth ?? 1;
    this.onBook = options.onBook;
  }

  push(event: TapeEvent): void {
    if (event.kind === 'snapshot') {
      this.onSnapshot(event);
      return;
    }
    if (event.kind === 'top') {
      this.onTop(event);
      return;
    }
    if (event.timeUs < this.lastTimeUs) throw new ReplayOrderError(event.timeUs, this.lastTimeUs);
    this.lastTimeUs = event.timeUs;
    this.advanceTo(event.timeUs);
    if (event.kind === 'trade') {
      this.stats.trades++;
      if (this.trades.add(event.trade) !== 'added') this.stats.tradeDuplicates++;
      return;
    }
    if (!this.book) {
      this.buffered.push(event);
      this.stats.diffsWhileUnsynced++;
      const first = this.buffered[0] as { timeUs: number };
      if (event.timeUs - first.timeUs >= this.anchorWaitUs) this.reconstruct();
      return;
    }
    const verdict = this.book.apply(event);
    if (verdict === 'apply') this.known?.learnDiff(event.bids, event.asks);
    if (verdict === 'old') this.stats.diffsOld++;
    else if (verdict === 'gap') {
      // The book cannot be brought past the hole: wait for the next snapshot, keeping this diff for
      // it (a snapshot taken inside the hole continues with it, as the re-anchor's diff log does).
      this.stats.gaps++;
      this.book = undefined;
      this.known = undefined;
      this.trusted = true;
      this.buffered = [event];
      this.top = EMPTY_TOP;
    } else this.onApplied(event.timeUs);
  }

  /** No snapshot came: rebuild the book from the buffered diffs alone, from the first one on. */
  private reconstruct(): void {
    const buffered = this.buffered;
    this.buffered = [];
    const first = buffered[0] as BookDiff;
    this.book = OrderBook.fromSnapshot(first.firstUpdateId - 1, [], []);
    this.known = new KnownLevels(this.tickMantissa);
    this.trusted = false;
    this.stats.anchor = 'reconstructed';
    this.stats.reconstructions++;
    for (const d of buffered) {
      const verdict = this.book.apply(d);
      if (verdict === 'apply') {
        this.known.learnDiff(d.bids, d.asks);
        this.onApplied(d.timeUs);
      } else if (verdict === 'old') this.stats.diffsOld++;
      else {
        // A hole inside the buffer: start again after it.
        this.stats.gaps++;
        this.book = undefined;
        this.known = undefined;
        this.trusted = true;
        this.buffered = buffered.slice(buffered.indexOf(d));
        return;
      }
    }
  }

  private onTop(top: Extract<TapeEvent, { kind: 'top' }>): void {
    if (!this.known || !this.book) return;
    if (top.updateId < this.book.updateId) return;
    if (top.updateId === this.book.updateId) this.learnTop(top);
    else if (this.pendingTops.length < 256) this.pendingTops.push(top);
  }

  private learnTop(top: Extract<TapeEvent, { kind: 'top' }>): void {
    const book = this.book as OrderBook;
    const known = this.known as KnownLevels;
    known.learnTop(book.bids, book.asks, top.bids, top.asks, top.source === 'depth20');
    this.stats.topsChecked = known.topsChecked;
    this.stats.topsDisagreed = known.topsDisagreed;
  }

  /** Computes the ticks up to the last event and returns everything replayed. */
  finish(): ReplayResult {
    // The tick at or after the last event: everything up to it has been applied.
    if (this.nextTickUs !== undefined) this.emit(this.nextTickUs);
    return {
      vectors: this.vectors,
      mids: this.mids,
      stats: { ...this.stats },
      unsynced: this.unsynced,
      lastTickUs: this.lastTickUs,
    };
  }

  /** Emits every tick strictly before `timeUs` (events at a tick's time belong to that tick). */
  private advanceTo(timeUs: number): void {
    if (this.nextTickUs === undefined) this.nextTickUs = Math.ceil(timeUs / this.tickUs) * this.tickUs;
    while (this.nextTickUs < timeUs) {
      this.emit(this.nextTickUs);
      this.nextTickUs += this.tickUs;
    }
  }

  private emit(tickUs: number): void {
    this.lastTickUs = tickUs;
    if (this.book === undefined || !this.trusted) {
      const span = this.unsynced.at(-1);
      if (span && span.toUs === tickUs - this.tickUs) span.toUs = tickUs;
      else this.unsynced.push({ fromUs: tickUs, toUs: tickUs });
      return;
    }
    this.vectors.push(computeFeatures(this.state, this.top, this.trades, tickUs));
  }

  private onSnapshot(snapshot: {
    lastUpdateId: number;
    bids: readonly Level[];
    asks: readonly Level[];
    reset?: boolean;
  }): void {
    if (
      this.book &&
      this.known === undefined &&
      !(snapshot.reset && snapshot.lastUpdateId > this.book.updateId)
    )
      return; // in sync already: a later snapshot adds nothing the diffs did not
    if (this.book) {
      // A rebuilt book (or a tardis.dev reset) gives way to a snapshot at or after its id.
      if (snapshot.lastUpdateId < this.book.updateId) return;
      this.book = OrderBook.fromSnapshot(snapshot.lastUpdateId, snapshot.bids, snapshot.asks);
      this.known = undefined;
      this.pendingTops = [];
      this.trusted = true;
      this.stats.anchor = 'snapshot';
      return;
    }
    // Each buffered diff above the snapshot is fed at its own time, as the re-anchor feeds the
    // diffs it replays (lambdas/re-anchor), once the whole buffer is known to connect.
    const buffered = this.buffered;
    const tops: { timeUs: number; top: BookTop }[] = [];
    const outcome = syncFromSnapshot(snapshot, buffered, (book, i) =>
      tops.push({
        timeUs: (buffered[i] as { timeUs: number }).timeUs,
        top: bookTopFromSides(book.bids, book.asks, this.priceExponent, this.qtyExponent),
      }),
    );
    // A snapshot that does not connect leaves the buffer for the next one (the re-anchor fetches a
    // newer snapshot and syncs it with the same diff log): older than the buffer, it changes
    // nothing; a hole inside the buffer leaves only the diffs from the hole on usable.
    if (outcome.status === 'snapshot-too-old') return;
    if (outcome.status === 'gap') {
      this.buffered = buffered.filter((d) => d.firstUpdateId >= outcome.receivedId);
      return;
    }
    this.buffered = [];
    this.book = outcome.book;
    this.stats.anchor = 'snapshot';
    this.stats.diffsOld += outcome.discarded;
    for (const { timeUs, top } of tops) this.onApplied(timeUs, top);
  }

  private onApplied(timeUs: number, top?: BookTop): void {
    const book = this.book as OrderBook;
    this.stats.diffsApplied++;
    if (this.known) {
      for (const t of this.pendingTops) if (t.updateId === book.updateId) this.learnTop(t);
      if (this.pendingTops.length > 0)
        this.pendingTops = this.pendingTops.filter((t) => t.updateId > book.updateId);
      if (!this.trusted) {
        const certain = this.known.certainDepth(book.bids, book.asks, this.trustDepth);
        if (certain.bids >= this.trustDepth && certain.asks >= this.trustDepth) {
          this.trusted = true;
          this.stats.trustedFromUs ??= timeUs;
        }
      }
    }
    this.onBook?.(book, timeUs, this.trusted);
    if (!this.trusted) return;
    this.top = top ?? bookTopFromSides(book.bids, book.asks, this.priceExponent, this.qtyExponent);
    this.state.onBookTop(this.top, timeUs);
    const best = validBest(this.top);
    this.pushMid(timeUs, best ? (best.bidPrice + best.askPrice) / 2 : Number.NaN);
  }

  /**
   * Keeps one mid per tick interval (the last): a label at a tick reads the mid after the last
   * update at or before a tick, and whether the series reaches past it (its last point is kept).
   */
  private pushMid(timeUs: number, mid: number): void {
    const last = this.mids[this.mids.length - 1];
    if (last && Math.ceil(last.timeUs / this.tickUs) === Math.ceil(timeUs / this.tickUs)) {
      last.timeUs = timeUs;
      last.mid = mid;
    } else this.mids.push({ timeUs, mid });
  }
}

/** Replays a whole tape (already in exchange-time order). */
export function replayTape(events: Iterable<TapeEvent>, options?: FeatureReplayOptions): ReplayResult {
  const replay = new FeatureReplay(options);
  for (const e of events) replay.push(e);
  return replay.finish();
}
