import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX } from '../../core/features/feature-names.ts';
import { fitRidge, momentumForecast, ridgeForecast, selectRidge } from '../../core/model/baselines.ts';
import { baselineForecasts, heldOutReport, regimeThreshold } from '../../core/model/evaluation.ts';
import { scoreForecast } from '../../core/model/metrics.ts';
import { fitNormalisation, standardiseInto, standardiseRows } from '../../core/model/normalisation.ts';
import { Rng } from '../../core/random/rng.ts';
import { syntheticRows } from './rows.ts';

describe('forecast scores (hand-checked)', () => {
  it('computes RMSE ratio, correlation and hit rate on non-zero moves', () => {
    const labels = [2e-4, -1e-4, 0, 3e-4];
    const forecasts = [1e-4, 1e-4, 5e-5, 0];
    const s = scoreForecast(labels, forecasts);
    // errors: -1, 2, 0.5, -3 (1e-4) → MSE = (1 + 4 + 0.25 + 9) / 4 = 3.5625; RW MSE = (4 + 1 + 0 + 9) / 4 = 3.5
    expect(s.rmseBp).toBeCloseTo(Math.sqrt(3.5625), 10);
    expect(s.rmseRatioVsRandomWalk).toBeCloseTo(Math.sqrt(3.5625 / 3.5), 12);
    // Rows where both move: 0 (hit) and 1 (miss); row 2 has no move, row 3 no forecast.
    expect(s.hitN).toBe(2);
    expect(s.hitRate).toBe(0.5);
    const rw = scoreForecast(labels, [0, 0, 0, 0]);
    expect(rw.rmseRatioVsRandomWalk).toBe(1);
    expect(rw.corr).toBeNull();
    expect(rw.hitRate).toBeNull();
    expect(scoreForecast([1, 2, 3], [2, 4, 6]).corr).toBeCloseTo(1, 12);
  });
});

describe('baselines', () => {
  it('are computed on exactly the rows the model is scored on', () => {
    const rows = syntheticRows(120, 0.5, 3);
    const model = rows.map((r) => r.label * 0.5);
    const report = heldOutReport(rows, { model, ...baselineForecasts(rows) }, regimeThreshold(rows));
    const rms = Math.sqrt(rows.reduce((a, r) => a + r.label ** 2, 0) / rows.length);
    for (const name of ['model', 'randomWalk', 'momentum', 'microprice']) {
      const s = report.scores[name]?.all;
      expect(s?.n).toBe(rows.length);
      // Every ratio is against the RMS of these same labels.
      expect((s?.rmseBp as number) / 1e4 / (s?.rmseRatioVsRandomWalk as number)).toBeCloseTo(rms, 15);
      const regimeN = (report.scores[name]?.quiet?.n ?? 0) + (report.scores[name]?.volatile?.n ?? 0);
      expect(regimeN).toBe(rows.length);
    }
    expect(report.scores.momentum?.all.rmseBp).toBeCloseTo(
      scoreForecast(
        rows.map((r) => r.label),
        rows.map((r) => momentumForecast(r.x)),
      ).rmseBp,
      12,
    );
    expect(report.scores.randomWalk?.all.rmseRatioVsRandomWalk).toBe(1);
  });

  it('closed-form ridge recovers a linear relation and shrinks towards the mean as λ grows', () => {
    const rng = new Rng(7);
    const normal = () => rng.normal();
    const d = 3;
    const n = 500;
    const z = new Float64Array(n * d);
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) z[i * d + j] = normal();
      y.push(1e-4 * (0.5 + 2 * (z[i * d] as number) - (z[i * d + 2] as number) + 0.01 * normal()));
    }
    const m = fitRidge(z, y, d, 1e-6);
    expect(m.weights[0]).toBeCloseTo(2, 2);
    expect(m.weights[1]).toBeCloseTo(0, 2);
    expect(m.weights[2]).toBeCloseTo(-1, 2);
    expect(m.interceptBp).toBeCloseTo(0.5, 2);
    expect(ridgeForecast(m, [1, 0, 0])).toBeCloseTo(2.5e-4, 5);
    const heavy = fitRidge(z, y, d, 1e9);
    expect(Math.abs(heavy.weights[0] as number)).toBeLessThan(0.01);
    const picked = selectRidge(z.subarray(0, 400 * d), y.slice(0, 400), z.subarray(400 * d), y.slice(400), d);
    expect(picked.lambda).toBeLessThanOrEqual(10);
  });

  it('standardises with training statistics, clips, and imputes NaN with the training mean', () => {
    const norm = fitNormalisation(
      [
        [1, 5],
        [3, 5],
        [5, 5],
      ],
      1.5,
    );
    expect(norm.mean).toEqual([3, 5]);
    expect(norm.std).toEqual([2, 1]); // a constant feature gets std 1
    const out = new Float64Array(2);
    expect(standardiseInto([Number.NaN, 9], norm, out)).toBe(1);
    expect(Array.from(out)).toEqual([0, 1.5]);
    expect(Array.from(standardiseRows([[5, 4]], norm))).toEqual([1, -1]);
    expect(FEATURE_INDEX.rv_60s_bp).toBeGreaterThan(0);
  });
});
