/**
 * A seeded synthetic depth feed for aggregator and re-anchor tests: a true book, diffs that
 * continue it (as SBE frames), snapshots of the truth at any past update id, and Kinesis-shaped
 * records (frame envelopes).
 */
import { type BookDiff, type Level, OrderBook } from '../../core/book/order-book.ts';
import { EnvelopeBuilder } from '../../core/envelope/frame-envelope.ts';
import { Rng } from '../../core/random/rng.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { encodeDepthDiff, encodeDepthSnapshot } from '../../core/sbe/encoder.ts';

const TICK = 1_000_000; // 0.01 at exponent -8

export interface FeedDiff {
  diff: BookDiff;
  frame: Uint8Array;
  eventTimeUs: number;
}

export class DepthFeed {
  readonly truth: OrderBook;
  private readonly rng: Rng;
  private timeUs: number;
  private readonly history = new Map<number, { bids: Level[]; asks: Level[] }>();

  constructor(
    readonly symbol: string,
    seed = 1,
    startId = 50_093_239_218,
    /** Event time of the start, µs (the next diff comes 20 ms later). */
    startTimeUs = 1_723_161_255_000_000,
  ) {
    this.rng = new Rng(seed);
    this.timeUs = startTimeUs;
    const mid = 6_000_000;
    const side = (sign: number) =>
      Array.from({ length: 200 }, (_, i) => [(mid + sign * (i + 1)) * TICK, 1000 + i * 7] as Level);
    this.truth = OrderBook.fromSnapshot(startId, side(-1), side(1));
    this.remember();
  }

  private random(): number {
    return this.rng.next();
  }

  /** The next diff: a few levels near the top change (some removed), never crossing the book. */
  next(): FeedDiff {
    const first = this.truth.updateId + 1;
    const last = first + Math.floor(this.random() * 5);
    const bestBid = (this.truth.bids.best() as number) / TICK;
    const bestAsk = (this.truth.asks.best() as number) / TICK;
    const change = (base: number, sign: number): Level[] =>
      Array.from({ length: 1 + Math.floor(this.random() * 6) }, () => {
        const offset = Math.floor(this.random() * 30);
        const qty = this.random() < 0.2 ? 0 : Math.floor(this.random() * 100_000) + 1;
        return [(base + sign * offset) * TICK, qty] as Level;
      });
    const bids = change(bestBid, -1);
    const asks = change(bestAsk, 1);
    const diff: BookDiff = { firstUpdateId: first, lastUpdateId: last, bids, asks };
    this.truth.apply(diff);
    this.timeUs += 20_000;
    this.remember();
    const frame = encodeDepthDiff({
      eventTimeUs: this.timeUs,
      firstBookUpdateId: first,
      lastBookUpdateId: last,
      priceExponent: -8,
      qtyExponent: -8,
      bids: bids.map(([p, q]) => ({ priceMantissa: p, qtyMantissa: q })),
      asks: asks.map(([p, q]) => ({ priceMantissa: p, qtyMantissa: q })),
      symbol: this.symbol,
    });
    return { diff, frame, eventTimeUs: this.timeUs };
  }

  take(n: number): FeedDiff[] {
    return Array.from({ length: n }, () => this.next());
  }

  /** The true book right after update id `id` (a REST snapshot taken then). */
  snapshotAt(id: number): { lastUpdateId: number; bids: Level[]; asks: Level[] } {
    const book = this.history.get(id);
    if (!book) throw new Error(`No truth recorded at ${id}.`);
    return { lastUpdateId: id, bids: book.bids, asks: book.asks };
  }

  /** A depth20 frame of the truth at the current id, optionally with one quantity wrong. */
  depth20(corrupt = false): Uint8Array {
    const top = (levels: [number, number][]) =>
      levels.map(([p, q]) => ({ priceMantissa: p, qtyMantissa: q }));
    const bids = top(this.truth.bids.top(20));
    if (corrupt && bids[0]) bids[0] = { ...bids[0], qtyMantissa: bids[0].qtyMantissa + 1 };
    return encodeDepthSnapshot({
      eventTimeUs: this.timeUs,
      bookUpdateId: this.truth.updateId,
      priceExponent: -8,
      qtyExponent: -8,
      bids,
      asks: top(this.truth.asks.top(20)),
      symbol: this.symbol,
    });
  }

  private remember(): void {
    this.history.set(this.truth.updateId, {
      bids: this.truth.bids.top(this.truth.bids.size),
      asks: this.truth.asks.top(this.truth.asks.size),
    });
  }
}

let sequence = 0;

/** Kinesis-shaped records, `framesPerRecord` frames in each envelope, received at `receiveTimeUs`. */
export function toRecords(frames: Uint8Array[], framesPerRecord = 50, receiveTimeUs = 0) {
  const records: { data: Uint8Array; sequenceNumber: string }[] = [];
  for (let i = 0; i < frames.length; i += framesPerRecord) {
    const builder = new EnvelopeBuilder();
    for (const f of frames.slice(i, i + framesPerRecord)) builder.tryAdd(f, receiveTimeUs);
    records.push({ data: builder.finish(), sequenceNumber: String(++sequence).padStart(20, '0') });
  }
  return records;
}

export const isDiff = (templateId: number) => templateId === TemplateId.DepthDiff;
