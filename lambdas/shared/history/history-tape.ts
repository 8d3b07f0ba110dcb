/**
 * History files → the exchange-time tape FeatureReplay consumes, streaming (core/history/
 * tape-order.ts): the one way the trainer, `npm run eval` and the replay benchmark read files.
 */
import type { TapeOrderOptions } from '../../../core/history/tape-order.ts';
import { orderTape, TapeOrder } from '../../../core/history/tape-order.ts';
import type { TapeEvent } from '../../../core/model/feature-replay.ts';
import { type HistoryReadCounts, readHistoryFiles } from './history-files.ts';

export interface HistoryTape {
  events: AsyncIterable<TapeEvent>;
  /** Counts of lines and records read, and of the ordering (late, other symbols). */
  counts: HistoryReadCounts;
  order: TapeOrder;
}

export function historyTape(paths: readonly string[], options: TapeOrderOptions = {}): HistoryTape {
  const counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 };
  const order = new TapeOrder(options);
  return { events: orderTape(readHistoryFiles(paths, counts), options, order), counts, order };
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
