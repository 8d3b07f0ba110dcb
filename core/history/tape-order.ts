/**
 * Records (in file order, i.e. receive order) → the tape FeatureReplay consumes (exchange-time
 * order), streaming: a bounded reorder buffer holds the last `windowUs` of exchange time, so memory
 * does not grow with the length of the history. Diffs go at their event time `E`, trades at their
 * trade time `T` (as the aggregator keys TradeWindows), ties kept in file order.
 *
 * Events without an exchange time are placed where the recorder's clock puts them, shifted onto the
 * exchange clock by the offset (E − receive time) of the last event that had both: a REST snapshot
 * then lands after the diffs received before it (FeatureReplay buffers those and syncs them, as
 * Binance's procedure does), a bookTicker near the diffs of its update id. An event whose time falls
 * before what was already emitted is counted in `late` and left out (diffs and trades only; a
 * snapshot or a top is never late: it goes out at once). Pure.
 */
import { mantissaToNumber } from '../features/book-top.ts';
import type { TapeEvent } from '../model/feature-replay.ts';
import { type HistoryRecord, RECORD_EXPONENT } from './history-record.ts';

/** 5 s: the recorder receives the streams of one instant within far less than this of each other. */
export const DEFAULT_REORDER_WINDOW_US = 5_000_000;

export interface TapeOrderStats {
  records: number;
  diffs: number;
  trades: number;
  snapshots: number;
  tops: number;
  /** Diffs and trades older than what the buffer had already released: left out. */
  late: number;
  /** Records of another symbol than the one replayed. */
  otherSymbol: number;
  firstTimeUs: number | undefined;
  lastTimeUs: number | undefined;
}

/**
 * The reorder window: events sorted by (sortUs, arrival), kept in two parallel arrays from `head` on.
 * Records arrive nearly in order (a few milliseconds apart at most, but for the odd late one), so an
 * insertion walks back a step or two from the end: cheaper than a heap, and no wrapper object per
 * event. Ties keep arrival order (an insertion goes after every equal key).
 */
class ReorderWindow {
  private keys: number[] = [];
  private events: (TapeEvent | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.keys.length - this.head;
  }

  /** The smallest key, or undefined when empty. */
  peekKey(): number | undefined {
    return this.head < this.keys.length ? this.keys[this.head] : undefined;
  }

  push(key: number, event: TapeEvent): void {
    const keys = this.keys;
    const events = this.events;
    let i = keys.length;
    keys.push(key);
    events.push(event);
    while (i > this.head && (keys[i - 1] as number) > key) {
      keys[i] = keys[i - 1] as number;
      events[i] = events[i - 1];
      i--;
    }
    keys[i] = key;
    events[i] = event;
  }

  /** Removes and returns the event with the smallest key (call only when not empty). */
  shift(): TapeEvent {
    const event = this.events[this.head] as TapeEvent;
    this.events[this.head] = undefined;
    this.head++;
    // Drop the released prefix now and then (amortised O(1) per event).
    if (this.head >= 4096 && this.head * 2 >= this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    return event;
  }
}

const toNumber = (m: number) => mantissaToNumber(m, RECORD_EXPONENT);

export interface TapeOrderOptions {
  /** Only this symbol's records (upper case); others are counted. @default the first symbol seen */
  symbol?: string;
  windowUs?: number;
}

export class TapeOrder {
  readonly stats: TapeOrderStats = {
    records: 0,
    diffs: 0,
    trades: 0,
    snapshots: 0,
    tops: 0,
    late: 0,
    otherSymbol: 0,
    firstTimeUs: undefined,
    lastTimeUs: undefined,
  };
  private readonly window = new ReorderWindow();
  private readonly windowUs: number;
  private symbol: string | undefined;
  private offsetUs = 0;
  private maxSortUs = Number.NEGATIVE_INFINITY;
  private emittedUs = Number.NEGATIVE_INFINITY;

  constructor(options: TapeOrderOptions = {}) {
    this.windowUs = options.windowUs ?? DEFAULT_REORDER_WINDOW_US;
    this.symbol = options.symbol;
  }

  /** Adds one record; returns the events it releases, in tape order. */
  push(r: HistoryRecord, out: TapeEvent[] = []): TapeEvent[] {
    this.stats.records++;
    if (r.symbol !== undefined) {
      this.symbol ??= r.symbol.toUpperCase();
      if (r.symbol.toUpperCase() !== this.symbol) {
        this.stats.otherSymbol++;
        return out;
      }
    }
    let sortUs: number;
    let event: TapeEvent;
    switch (r.kind) {
      case 'diff':
        this.stats.diffs++;
        this.offsetUs = r.timeUs - r.recvUs;
        sortUs = r.timeUs;
        event = {
          kind: 'diff',
          timeUs: r.timeUs,
          firstUpdateId: r.firstUpdateId,
          lastUpdateId: r.lastUpdateId,
          bids: r.bids,
          asks: r.asks,
        };
        break;
      case 'trade':
        this.stats.trades++;
        this.offsetUs = r.eventTimeUs - r.recvUs;
        sortUs = r.timeUs;
        event = {
          kind: 'trade',
          timeUs: r.timeUs,
          trade: {
            id: r.id,
            timeUs: r.timeUs,
            price: toNumber(r.priceMantissa),
            qty: toNumber(r.qtyMantissa),
            isBuyerMaker: r.isBuyerMaker,
          },
        };
        break;
      case 'snapshot':
        this.stats.snapshots++;
        sortUs = r.recvUs + this.offsetUs;
        event = {
          kind: 'snapshot',
          lastUpdateId: r.lastUpdateId,
          bids: r.bids,
          asks: r.asks,
          ...(r.reset ? { reset: true } : {}),
        };
        break;
      case 'top':
        this.stats.tops++;
        sortUs = r.timeUs ?? r.recvUs + this.offsetUs;
        event = { kind: 'top', source: r.source, updateId: r.updateId, bids: r.bids, asks: r.asks };
        break;
    }
    const timed = event.kind === 'diff' || event.kind === 'trade';
    if (sortUs < this.emittedUs) {
      if (timed) {
        this.stats.late++;
        return out;
      }
      sortUs = this.emittedUs;
    }
    this.window.push(sortUs, event);
    if (sortUs > this.maxSortUs) this.maxSortUs = sortUs;
    this.release(this.maxSortUs - this.windowUs, out);
    return out;
  }

  /** Releases everything still buffered (call at the end of the history). */
  finish(out: TapeEvent[] = []): TapeEvent[] {
    this.release(Number.POSITIVE_INFINITY, out);
    return out;
  }

  private release(untilUs: number, out: TapeEvent[]): void {
    const window = this.window;
    for (let key = window.peekKey(); key !== undefined && key <= untilUs; key = window.peekKey()) {
      const e = window.shift();
      this.emittedUs = key;
      if (e.kind === 'diff' || e.kind === 'trade') {
        this.stats.firstTimeUs ??= e.timeUs;
        this.stats.lastTimeUs = e.timeUs;
      }
      out.push(e);
    }
  }
}

/**
 * The tape of a stream of record batches, in exchange-time order, streaming: a batch of events for
 * each batch of records that released any (one asynchronous step per batch, not per event).
 */
export async function* orderTapeBatches(
  batches: AsyncIterable<readonly HistoryRecord[]>,
  options: TapeOrderOptions = {},
  order: TapeOrder = new TapeOrder(options),
): AsyncGenerator<TapeEvent[]> {
  for await (const records of batches) {
    const out: TapeEvent[] = [];
    for (let i = 0; i < records.length; i++) order.push(records[i] as HistoryRecord, out);
    if (out.length > 0) yield out;
  }
  const rest = order.finish();
  if (rest.length > 0) yield rest;
}

/** The tape of a record stream, in exchange-time order, streaming. */
export async function* orderTape(
  records: AsyncIterable<HistoryRecord> | Iterable<HistoryRecord>,
  options: TapeOrderOptions = {},
  order: TapeOrder = new TapeOrder(options),
): AsyncGenerator<TapeEvent> {
  const out: TapeEvent[] = [];
  for await (const r of records) {
    order.push(r, out);
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
  }
  yield* order.finish(out);
}
