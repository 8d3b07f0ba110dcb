/**
 * Long histories in parts (containers/trainer/replay-parts.ts): split by period, replayed in worker
 * threads, the rows equal those of the same plan replayed in one thread; each part begins at the
 * snapshot its file starts with (npm run record --rotate).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  planParts,
  progressLine,
  type ReplayProgress,
  replayParts,
} from '../../containers/trainer/replay-parts.ts';
import { record } from '../../scripts/record.ts';

describe('replay in parts', () => {
  let files: string[];
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parts-'));
    await record({
      out: join(dir, 'h.txt.gz'),
      durationUs: 90_000_000,
      seed: 3,
      startUs: Date.parse('2026-01-01T00:00:00Z') * 1000,
      symbol: 'BTCUSDT',
      rotateUs: 30_000_000,
      rotateFiles: true,
    });
    files = readdirSync(dir).map((f) => join(dir, f));
  }, 60_000);

  it('gives the same rows with two worker threads as in one thread, parts in order', async () => {
    const parts = await planParts(files, 30_000_000);
    expect(parts.map((p) => p.files.length)).toEqual([1, 1, 1]);
    expect(parts[0]?.tailFile).toBe(parts[1]?.files[0]);
    const progress: ReplayProgress[] = [];
    const one = await replayParts(parts, { workers: 0, source: 'one' });
    const two = await replayParts(parts, { workers: 2, source: 'two', onProgress: (p) => progress.push(p) });
    expect(one.parts.map((p) => p.stats.anchor)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    expect(two.events).toBe(one.events);
    expect(two.dataset.rows.length).toBe(one.dataset.rows.length);
    expect(two.dataset.rows).toEqual(one.dataset.rows);
    // Rows of a part stay inside it, and every part's last rows kept their labels (the tail file).
    const times = two.dataset.rows.map((r) => r.eventTimeUs);
    expect([...new Set(times)].sort((a, b) => a - b)).toEqual(times);
    expect(two.parts.map((p) => p.rows)).toEqual(one.parts.map((p) => p.rows));
    expect(two.parts[0]?.rows).toBe(15 - 1); // ticks at 2 s in (0, 30 s): 14, all labelled
    expect(progress.at(-1)).toMatchObject({ partsDone: 3, parts: 3 });
    expect(progressLine(progress.at(-1) as ReplayProgress)).toMatch(/^\[replay\] parts 3\/3 · /);
  }, 60_000);
});
