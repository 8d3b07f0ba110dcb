/**
 * Long histories replayed in parts, in parallel: the files are grouped into parts by the period their
 * first line falls in (a day by default; each part begins at the snapshot its first file starts with,
 * or a book rebuilt from its diffs: docs/adr/0090), each part is replayed on its own (in a worker
 * thread, or in this thread with `workers: 0`) and its labelled rows, for the ticks inside the part,
 * come back in part order. A part also reads the head of the next part's first file, up to the label
 * horizon past its end, so its last rows keep their labels. The result does not depend on the number
 * of workers (tested). Progress (events, parts done, ETA) goes to a callback.
 */
import { Worker } from 'node:worker_threads';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { LABEL_HORIZON_US } from '../../core/features/label.ts';
import type { Dataset, LabelledRow } from '../../core/model/dataset.ts';
import type { ReplayStats } from '../../core/model/feature-replay.ts';
import { readHistoryRecords } from '../../lambdas/shared/history/history-files.ts';
import { type PartResult, type ReplayPart, replayPart } from './replay-part.ts';

export const DAY_US = 86_400_000_000;

/** The first receive time of each file (its first record), to group files by period. */
async function firstTimeUs(path: string): Promise<number> {
  const records = readHistoryRecords(path);
  try {
    const first = await records.next();
    if (first.done) return Number.POSITIVE_INFINITY;
    return first.value.recvUs;
  } finally {
    await records.return(undefined);
  }
}

/** Groups files (any order) into parts of `partUs` by the period of their first record. */
export async function planParts(paths: readonly string[], partUs: number = DAY_US): Promise<ReplayPart[]> {
  const starts = await Promise.all(paths.map(async (p) => ({ path: p, startUs: await firstTimeUs(p) })));
  starts.sort((a, b) => a.startUs - b.startUs);
  const byPeriod = new Map<number, string[]>();
  for (const s of starts) {
    const period = Math.floor(s.startUs / partUs);
    byPeriod.set(period, [...(byPeriod.get(period) ?? []), s.path]);
  }
  const periods = [...byPeriod.keys()].sort((a, b) => a - b);
  return periods.map((period, i) => {
    const next = periods[i + 1];
    return {
      index: i,
      files: byPeriod.get(period) as string[],
      ...(next !== undefined ? { tailFile: (byPeriod.get(next) as string[])[0] as string } : {}),
      fromUs: i === 0 ? Number.NEGATIVE_INFINITY : period * partUs,
      toUs: next === undefined ? Number.POSITIVE_INFINITY : next * partUs,
      periodUs: [period * partUs, (period + 1) * partUs] as [number, number],
      labelHorizonUs: LABEL_HORIZON_US,
    };
  });
}

export interface ReplayProgress {
  partsDone: number;
  parts: number;
  events: number;
  elapsedS: number;
  /** Estimated seconds left, from the share of the history's market time replayed. */
  etaS: number | null;
}

export interface ReplayPartsResult {
  dataset: Dataset;
  parts: {
    index: number;
    files: number;
    events: number;
    rows: number;
    stats: ReplayStats;
    marketUs: [number, number];
  }[];
  events: number;
  seconds: number;
}

type WorkerMessage =
  | { type: 'progress'; events: number; share: number }
  | { type: 'done'; result: PartResult }
  | { type: 'failed'; name: string; message: string };

/** A worker thread that replays parts sent to it one at a time. */
class PartWorker {
  private readonly worker = new Worker(new URL('./replay-part-worker.mjs', import.meta.url));
  private pending:
    | {
        resolve: (r: PartResult) => void;
        reject: (e: Error) => void;
        onProgress: (e: number, s: number) => void;
      }
    | undefined;

  constructor() {
    this.worker.on('message', (m: WorkerMessage) => {
      const p = this.pending;
      if (!p) return;
      if (m.type === 'progress') p.onProgress(m.events, m.share);
      else {
        this.pending = undefined;
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.message), { name: m.name }));
      }
    });
    this.worker.on('error', (e) => this.pending?.reject(e));
  }

  run(part: ReplayPart, onProgress: (events: number, share: number) => void): Promise<PartResult> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, onProgress };
      this.worker.postMessage(part);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Replays the parts with up to `workers` worker threads (0: sequentially in this thread). */
export async function replayParts(
  parts: readonly ReplayPart[],
  o: { workers: number; source: string; onProgress?: (p: ReplayProgress) => void },
): Promise<ReplayPartsResult> {
  const t0 = performance.now();
  const results: PartResult[] = new Array(parts.length);
  const eventsByPart = new Array<number>(parts.length).fill(0);
  const shareByPart = new Array<number>(parts.length).fill(0);
  let partsDone = 0;
  const report = () => {
    if (!o.onProgress) return;
    const elapsedS = (performance.now() - t0) / 1000;
    const share = shareByPart.reduce((a, b) => a + b, 0) / parts.length;
    o.onProgress({
      partsDone,
      parts: parts.length,
      events: eventsByPart.reduce((a, b) => a + b, 0),
      elapsedS,
      etaS: share > 0 ? (elapsedS / share) * (1 - share) : null,
    });
  };
  const progressOf = (i: number) => (events: number, shareDone: number) => {
    eventsByPart[i] = events;
    shareByPart[i] = shareDone;
    report();
  };
  let next = 0;
  const lane = async () => {
    const worker = o.workers > 0 ? new PartWorker() : undefined;
    try {
      await drain(worker);
    } finally {
      await worker?.close();
    }
  };
  const drain = async (worker: PartWorker | undefined) => {
    while (next < parts.length) {
      const i = next++;
      const part = parts[i] as ReplayPart;
      results[i] = worker ? await worker.run(part, progressOf(i)) : await replayPart(part, progressOf(i));
      eventsByPart[i] = (results[i] as PartResult).events;
      shareByPart[i] = 1;
      partsDone++;
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.workers, parts.length)) }, lane));
  const rows: LabelledRow[] = results.flatMap((r) => r.rows);
  return {
    dataset: {
      featureVersion: FEATURE_VERSION,
      featureNames: FEATURE_NAMES,
      horizonUs: LABEL_HORIZON_US,
      rows,
      source: o.source,
    },
    parts: results.map((r, i) => ({
      index: i,
      files: (parts[i] as ReplayPart).files.length,
      events: r.events,
      rows: r.rows.length,
      stats: r.stats,
      marketUs: r.marketUs,
    })),
    events: results.reduce((a, r) => a + r.events, 0),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** `[replay] parts 2/6 · 1.2M events · 85k events/s · ETA 1m10s` */
export function progressLine(p: ReplayProgress): string {
  const m = (n: number) =>
    n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : `${n}`;
  const eta =
    p.etaS === null ? '?' : `${Math.floor(p.etaS / 60)}m${String(Math.round(p.etaS % 60)).padStart(2, '0')}s`;
  return `[replay] parts ${p.partsDone}/${p.parts} · ${m(p.events)} events · ${m(p.events / Math.max(p.elapsedS, 1e-3))} events/s · ETA ${eta}`;
}
