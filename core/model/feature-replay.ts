/**
 * Replays a market tape (a REST depth snapshot, depth diffs, trades; exchange event time) through the
 * feature code exactly as the aggregator runs it (docs/adr/0030-features.md): the book follows
 * Binance's diff rule, `FeatureState.onBookTop` is fed after every applied diff, trades go to
 * `TradeWindows` on their trade time, and `computeFeatures` runs at every tick of the event-time grid
 * once every event at or before the tick has been applied. The mid after each applied diff forms the
 * series the labels are read from (`pairWithLabels`).
 *
 * Feed events in exchange-time order (a recording is in receive order: sort it first). Diffs that
 * arrive before the snapshot are buffered and synced by Binance's procedure; a gap marks the book
 * unsynced until the next snapshot, and nothing is computed from an unsynced book. Pure.
 */
import type { BookDiff, Level, OrderBook } from '../book/order-book.ts';
import { syncFromSnapshot } from '../book/sync-from-snapshot.ts';
import { type BookTop, bookTopFromSides, validBest } from '../features/book-top.ts';
import { computeFeatures } from '../features/compute-features.ts';
import type { FeatureVector } from '../features/feature-names.ts';
import { FeatureState, GRID_US } from '../features/feature-state.ts';
import type { MidPoint } from '../features/label.ts';
import { type TradeInput, TradeWindows } from '../trades/trade-windows.ts';

/** The inference service predicts every 2 s. */
export const PREDICTION_INTERVAL_US = 2_000_000;

export type TapeEvent =
  | { kind: 'snapshot'; lastUpdateId: number; bids: readonly Level[]; asks: readonly Level[] }
  | ({ kind: 'diff'; timeUs: number } & BookDiff)
  | { kind: 'trade'; timeUs: number; trade: TradeInput };

export interface ReplayStats {
  diffsApplied: number;
  diffsOld: number;
  gaps: number;
  diffsWhileUnsynced: number;
  trades: number;
  tradeDuplicates: number;
}

export interface ReplayResult {
  vectors: FeatureVector[];
  mids: MidPoint[];
  stats: ReplayStats;
}

export interface FeatureReplayOptions {
  /** Tick of the prediction grid; a multiple of the 100 ms feature grid. Default 2 s. */
  tickUs?: number;
  /** Mantissa exponents of prices and quantities (Binance BTCUSDT: -8). */
  priceExponent?: number;
  qtyExponent?: number;
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
  private book: OrderBook | undefined;
  private buffered: (BookDiff & { timeUs: number })[] = [];
  private top: BookTop = EMPTY_TOP;
  private nextTickUs: number | undefined;
  private lastTimeUs = Number.NEGATIVE_INFINITY;
  private readonly vectors: FeatureVector[] = [];
  private readonly mids: MidPoint[] = [];
  private readonly stats: ReplayStats = {
    diffsApplied: 0,
    diffsOld: 0,
    gaps: 0,
    diffsWhileUnsynced: 0,
    trades: 0,
    tradeDuplicates: 0,
  };

  constructor(options: FeatureReplayOptions = {}) {
    this.tickUs = options.tickUs ?? PREDICTION_INTERVAL_US;
    if (!(this.tickUs > 0 && this.tickUs % GRID_US === 0))
      throw new RangeError(`tickUs ${this.tickUs} is not a positive multiple of ${GRID_US} µs.`);
    this.priceExponent = options.priceExponent ?? -8;
    this.qtyExponent = options.qtyExponent ?? -8;
  }

  push(event: TapeEvent): void {
    if (event.kind === 'snapshot') {
      this.onSnapshot(event);
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
      return;
    }
    const verdict = this.book.apply(event);
    if (verdict === 'old') this.stats.diffsOld++;
    else if (verdict === 'gap') {
      // The book cannot be brought past the hole: wait for the next snapshot, keeping this diff for
      // it (a snapshot taken inside the hole continues with it, as the re-anchor's diff log does).
      this.stats.gaps++;
      this.book = undefined;
      this.buffered = [event];
      this.top = EMPTY_TOP;
    } else this.onApplied(event.timeUs);
  }

  /** Computes the ticks up to the last event and returns everything replayed. */
  finish(): ReplayResult {
    // The tick at or after the last event: everything up to it has been applied.
    if (this.nextTickUs !== undefined) this.emit(this.nextTickUs);
    return { vectors: this.vectors, mids: this.mids, stats: { ...this.stats } };
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
    if (this.book === undefined) return;
    this.vectors.push(computeFeatures(this.state, this.top, this.trades, tickUs));
  }

  private onSnapshot(snapshot: {
    lastUpdateId: number;
    bids: readonly Level[];
    asks: readonly Level[];
  }): void {
    if (this.book) return; // in sync already: a later snapshot adds nothing the diffs did not
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
    this.buffered = [];
    if (outcome.status !== 'synced') return;
    this.book = outcome.book;
    this.stats.diffsOld += outcome.discarded;
    for (const { timeUs, top } of tops) this.onApplied(timeUs, top);
  }

  private onApplied(timeUs: number, top?: BookTop): void {
    const book = this.book as OrderBook;
    this.stats.diffsApplied++;
    this.top = top ?? bookTopFromSides(book.bids, book.asks, this.priceExponent, this.qtyExponent);
    this.state.onBookTop(this.top, timeUs);
    const best = validBest(this.top);
    this.mids.push({ timeUs, mid: best ? (best.bidPrice + best.askPrice) / 2 : Number.NaN });
  }
}

/** Replays a whole tape (already in exchange-time order). */
export function replayTape(events: Iterable<TapeEvent>, options?: FeatureReplayOptions): ReplayResult {
  const replay = new FeatureReplay(options);
  for (const e of events) replay.push(e);
  return replay.finish();
}
