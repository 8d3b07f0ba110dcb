/**
 * History files → the exchange-time tape FeatureReplay consumes, streaming (core/history/
 * tape-order.ts): the one way the trainer, `npm run eval` and the replay benchmark read files.
 */
import type { TapeOrderOptions } from '../../../core/history/tape-order.ts';
import { orderTapeBatches, TapeOrder } from '../../../core/history/tape-order.ts';
import type { TapeEvent } from '../../../core/model/feature-replay.ts';
import { BULK_CHUNK_BYTES, type HistoryReadCounts, readHistoryFileBatches } from './history-files.ts';

export interface HistoryTape {
  /** The tape, an event at a time. */
  events: AsyncIterable<TapeEvent>;
  /** The same tape a batch at a time (long replays: one asynchronous step per batch). Read one of the two. */
  batches: AsyncIterable<TapeEvent[]>;
  /** Counts of lines and records read, and of the ordering (late, other symbols). */
  counts: HistoryReadCounts;
  order: TapeOrder;
}

export function historyTape(paths: readonly string[], options: TapeOrderOptions = {}): HistoryTape {
  const counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 };
  const order = new TapeOrder(options);
  const batches = orderTapeBatches(readHistoryFileBatches(paths, counts, BULK_CHUNK_BYTES), options, order);
  async function* events(): AsyncGenerator<TapeEvent> {
    for await (const batch of batches) yield* batch;
  }
  return { events: events(), batches, counts, order };
}

/** The whole tape in memory (tests and small files). */
export async function collectTape(
  paths: readonly string[],
  options?: TapeOrderOptions,
): Promise<TapeEvent[]> {
  const out: TapeEvent[] = [];
  for await (const e of historyTape(paths, options).events) out.push(e);
  return out;
}
