import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_INDEX } from '../../core/features/feature-names.ts';
import { type Dataset, datasetFromReplay, datasetFromServedVectors } from '../../core/model/dataset.ts';
import { replayTape } from '../../core/model/feature-replay.ts';
import { collectTape } from '../../lambdas/shared/history/history-tape.ts';
import { hasSharedData, RECORDING_2024, REPO_ROOT, sharedDataPath } from '../support/shared-data.ts';

const run = promisify(execFile);
const files = RECORDING_2024.map((f) => sharedDataPath(f));

describe.skipIf(!hasSharedData('eval on the 2024 recording', ...RECORDING_2024))(
  'the 2024-08-08/09 recording',
  () => {
    let replayed: Dataset;
    let served: Dataset;

    beforeAll(async () => {
      const { vectors, mids, stats } = replayTape(await collectTape(files));
      expect(stats.gaps).toBe(0);
      replayed = datasetFromReplay(vectors, mids, 'replay');
      served = datasetFromServedVectors(vectors, 'served');
    }, 30_000);

    it('labels served vectors (ret_10s_bp 10 s later) exactly as pairWithLabels does', () => {
      expect(replayed.rows.length).toBeGreaterThan(300);
      const byTime = new Map(replayed.rows.map((r) => [r.eventTimeUs, r.label]));
      let compared = 0;
      for (const r of served.rows) {
        const label = byTime.get(r.eventTimeUs);
        if (label === undefined) continue;
        expect(Math.abs(r.label - label)).toBeLessThanOrEqual(1e-15 + 1e-12 * Math.abs(label));
        compared++;
      }
      expect(compared).toBeGreaterThan(280);
      // Sanity: the feature the label comes from is a 10 s return in bp.
      expect(FEATURE_INDEX.ret_10s_bp).toBeGreaterThan(0);
    });

    it('`npm run eval` prints one JSON scorecard line', async () => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'scripts/eval.ts', '--data', files.join(',')],
        { cwd: REPO_ROOT, timeout: 60_000 },
      );
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const card = JSON.parse(lines[0] as string);
      console.info(`[eval] ${lines[0]}`);
      expect(card).toMatchObject({ bench: 'eval', n: expect.any(Number) });
      expect(card.n).toBeGreaterThan(100);
      for (const k of ['rmseRatioVsRandomWalk', 'corr', 'hitRate']) expect(typeof card[k]).toBe('number');
      expect(Object.keys(card.baselines).sort()).toEqual(['microprice', 'momentum', 'randomWalk', 'ridge']);
      expect(card.baselines.randomWalk.rmseRatioVsRandomWalk).toBe(1);
      for (const b of Object.values(card.baselines) as { n: number }[]) expect(b.n).toBe(card.n);
      expect(Object.keys(card.families).sort()).toEqual([
        'microprice',
        'mlp',
        'momentum',
        'online',
        'randomWalk',
        'ridge',
      ]);
      for (const f of Object.values(card.families) as { n: number }[]) expect(f.n).toBe(card.n);
      expect(['momentum', 'microprice', 'ridge', 'mlp']).toContain(card.bestOfflineFamily);
    }, 60_000);
  },
);
