/** Cold start: a dataset from recordings, replayed through core/features (the aggregator's code). */
import { basename } from 'node:path';
import { type Dataset, datasetFromReplay } from '../../core/model/dataset.ts';
import { type ReplayStats, replayTape } from '../../core/model/feature-replay.ts';
import { readRecordingTape } from './recording-tape.ts';

export async function datasetFromRecordings(
  paths: readonly string[],
): Promise<Dataset & { replay: ReplayStats }> {
  const tape = await readRecordingTape(paths);
  const { vectors, mids, stats } = replayTape(tape);
  return {
    ...datasetFromReplay(vectors, mids, `recording:${paths.map((p) => basename(p)).join(',')}`),
    replay: stats,
  };
}
