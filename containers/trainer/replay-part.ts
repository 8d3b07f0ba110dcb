/**
 * One part of a long history (containers/trainer/replay-parts.ts): its files streamed through
 * FeatureReplay (constant memory but for the rows), and the labelled rows for ticks in [fromUs, toUs).
 * The next part's first file is read only up to the label horizon past `toUs`.
 */
import { datasetFromReplay, type LabelledRow } from '../../core/model/dataset.ts';
import {
  FeatureReplay,
  PREDICTION_INTERVAL_US,
  type ReplayStats,
  type TapeEvent,
} from '../../core/model/feature-replay.ts';
import { historyTape } from '../../lambdas/shared/history/history-tape.ts';

export interface ReplayPart {
  index: number;
  files: string[];
  /** The next part's first file, read up to `toUs + labelHorizonUs`. */
  tailFile?: string;
  /** Rows for ticks in [fromUs, toUs) (±Infinity at the history's ends). */
  fromUs: number;
  toUs: number;
  /** The period the part covers, for progress. */
  periodUs: [number, number];
  labelHorizonUs: number;
}

export interface PartResult {
  rows: LabelledRow[];
  /** Tape events replayed (diffs, trades, snapshots, true tops). */
  events: number;
  stats: ReplayStats;
  /** Exchange time of the first and last diff or trade replayed (µs; 0 when none). */
  marketUs: [first: number, last: number];
}

const PROGRESS_EVERY = 100_000;

export async function replayPart(
  part: ReplayPart,
  onProgress?: (events: number, shareDone: number) => void,
): Promise<PartResult> {
  const { batches, order } = historyTape(part.tailFile ? [...part.files, part.tailFile] : part.files);
  const replay = new FeatureReplay();
  const stopUs = part.toUs + part.labelHorizonUs + PREDICTION_INTERVAL_US;
  let n = 0;
  let nextProgress = 0;
  read: for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as TapeEvent;
      if (e.kind === 'diff' || e.kind === 'trade') {
        if (e.timeUs > stopUs) break read;
        if (n >= nextProgress && onProgress) {
          nextProgress = n + PROGRESS_EVERY;
          const [from, to] = part.periodUs;
          onProgress(n, Math.min(1, Math.max(0, (e.timeUs - from) / (to - from))));
        }
      }
      replay.push(e);
      n++;
    }
  }
  const { vectors, mids, stats } = replay.finish();
  const inPart = vectors.filter((v) => v.eventTimeUs >= part.fromUs && v.eventTimeUs < part.toUs);
  return {
    rows: datasetFromReplay(inPart, mids, `part ${part.index}`).rows,
    events: n,
    stats,
    marketUs: [order.stats.firstTimeUs ?? 0, Math.min(order.stats.lastTimeUs ?? 0, stopUs)],
  };
}
