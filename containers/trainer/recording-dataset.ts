/**
 * Cold start: a dataset from history files (Binance recordings, tardis.dev CSV; lambdas/shared/history),
 * streamed through core/features (the aggregator's code) in constant memory but for the rows.
 */
import { basename } from 'node:path';
import type { TapeOrderStats } from '../../core/history/tape-order.ts';
import { type Dataset, datasetFromReplay } from '../../core/model/dataset.ts';
import {
  FeatureReplay,
  type FeatureReplayOptions,
  type ReplayStats,
} from '../../core/model/feature-replay.ts';
import { historyTape } from '../../lambdas/shared/history/history-tape.ts';

export async function datasetFromRecordings(
  paths: readonly string[],
  options: FeatureReplayOptions = {},
): Promise<Dataset & { replay: ReplayStats; tape: TapeOrderStats }> {
  const { events, order } = historyTape(paths);
  const replay = new FeatureReplay(options);
  for await (const e of events) replay.push(e);
  const { vectors, mids, stats } = replay.finish();
  return {
    ...datasetFromReplay(vectors, mids, `recording:${paths.map((p) => basename(p)).join(',')}`),
    replay: stats,
    tape: { ...order.stats },
  };
}
