/**
 * Every model family behind one interface: the online learner equals the closed-form weighted ridge
 * it stands for, every artifact kind round-trips through JSON and serves exactly what the trainer
 * scored, the live arena's shadow forecasts are those same numbers, and artifacts written before the
 * families shared a format still load.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assembleArtifact,
  type Fit,
  familyBody,
  fitSegment,
  OFFLINE_FAMILIES,
} from '../../containers/trainer/fit.ts';
import { parseHyperparameters } from '../../containers/trainer/hyperparameters.ts';
import { FEATURE_COUNT } from '../../core/features/feature-names.ts';
import { LEGACY_MLP_FORMAT, ModelArtifactError, parseModelArtifact } from '../../core/model/artifact.ts';
import { micropriceForecast, momentumForecast, ridgeForecast } from '../../core/model/baselines.ts';
import { forecasterFromArtifact, forecastRows } from '../../core/model/forecaster.ts';
import { standardiseRows } from '../../core/model/normalisation.ts';
import { OnlineLearner, RecursiveLeastSquares } from '../../core/model/online-learner.ts';
import { Rng } from '../../core/random/rng.ts';
import { CandidateArena, CHAMPION } from '../../core/scoring/candidate-arena.ts';
import { syntheticRows } from './rows.ts';

/** Solves the weighted ridge normal equations (X'WX + penalty I) w = X'Wy by Gaussian elimination. */
function weightedRidge(x: number[][], y: number[], weights: number[], penalty: number): number[] {
  const d = (x[0] as number[]).length;
  // Augmented matrix [A | b], row-major, (d + 1) columns.
  const a = new Float64Array(d * (d + 1));
  for (let i = 0; i < d; i++) a[i * (d + 1) + i] = penalty;
  x.forEach((row, n) => {
    const w = weights[n] as number;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++)
        a[i * (d + 1) + j] = (a[i * (d + 1) + j] as number) + w * (row[i] as number) * (row[j] as number);
      a[i * (d + 1) + d] = (a[i * (d + 1) + d] as number) + w * (row[i] as number) * (y[n] as number);
    }
  });
  for (let c = 0; c < d; c++) {
    const pivot = a[c * (d + 1) + c] as number;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = (a[r * (d + 1) + c] as number) / pivot;
      for (let k = c; k <= d; k++)
        a[r * (d + 1) + k] = (a[r * (d + 1) + k] as number) - f * (a[c * (d + 1) + k] as number);
    }
  }
  return Array.from({ length: d }, (_, i) => (a[i * (d + 1) + d] as number) / (a[i * (d + 1) + i] as number));
}

describe('recursive least squares with forgetting', () => {
  it('equals the closed-form ridge weighted by β^(n−i) with penalty δβ^n, after every update', () => {
    const rng = new Rng(5);
    const d = 4;
    const beta = 0.97;
    const delta = 3;
    const rls = new RecursiveLeastSquares(d, beta, delta);
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let n = 1; n <= 120; n++) {
      const x = [rng.normal(), rng.normal(), rng.normal(), 1];
      const y = 0.5 * (x[0] as number) - 0.2 * (x[2] as number) + 0.1 + 0.3 * rng.normal();
      rls.update(x, y);
      xs.push(x);
      ys.push(y);
      if (n % 30 !== 0 && n !== 1) continue;
      const weights = xs.map((_, i) => beta ** (n - 1 - i));
      const closed = weightedRidge(xs, ys, weights, delta * beta ** n);
      closed.forEach((w, j) => {
        expect(rls.weights[j]).toBeCloseTo(w, 9);
      });
    }
    // With no forgetting it is the plain ridge on every row.
    const plain = new RecursiveLeastSquares(d, 1, delta);
    for (const [i, x] of xs.entries()) plain.update(x, ys[i] as number);
    weightedRidge(xs, ys, new Array(xs.length).fill(1), delta).forEach((w, j) => {
      expect(plain.weights[j]).toBeCloseTo(w, 9);
    });
  });

  it('the online learner forecasts zero while warming up, then learns a real signal', () => {
    const rows = syntheticRows(900, 1, 4);
    const learner = new OnlineLearner({ warmupRows: 50, deltas: [10, 10_000], forgetting: 0.999 });
    for (const r of rows.slice(0, 49)) learner.learn(r.x, r.label);
    expect(learner.warmingUp).toBe(true);
    expect(learner.forecast((rows[0] as { x: Float64Array }).x)).toBe(0);
    expect(learner.toArtifact('BTCUSDT', '2026-12-01T00:00:00.000Z')).toBeUndefined();
    for (const r of rows.slice(49, 600)) learner.learn(r.x, r.label);
    expect(learner.updates).toBe(600);
    const test = rows.slice(600);
    const mse = (f: (x: Float64Array) => number) =>
      test.reduce((s, r) => s + (r.label - f(r.x)) ** 2, 0) / test.length;
    expect(mse((x) => learner.forecast(x))).toBeLessThan(0.5 * mse(() => 0));
    // With this much signal the weaker penalty has earned its place by its prequential error.
    expect(learner.delta).toBe(10);
  });
});

describe('every family behind one interface', () => {
  const rows = syntheticRows(420, 1, 12);
  const train = rows.slice(0, 250);
  const validation = rows.slice(256, 330);
  const test = rows.slice(336);
  let fit: Fit;
  beforeAll(async () => {
    fit = await fitSegment(
      train,
      validation,
      parseHyperparameters({ maxEpochs: 6, patience: 6, hiddenUnits: '8', seed: 4 }),
    );
  }, 30_000);

  it('serves every kind from its JSON artifact exactly as the trainer scored it', () => {
    const z = standardiseRows(
      test.map((r) => r.x),
      fit.normalisation,
    );
    const direct: Record<string, number[]> = {
      momentum: test.map((r) => momentumForecast(r.x)),
      microprice: test.map((r) => micropriceForecast(r.x)),
      ridge: test.map((_, i) =>
        ridgeForecast(fit.ridge, z.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
      ),
    };
    for (const family of OFFLINE_FAMILIES) {
      const artifact = assembleArtifact(
        familyBody(fit, family),
        fit.normalisation,
        `v-${family}`,
        '2026-12-01T00:00:00.000Z',
      );
      const served = forecasterFromArtifact(JSON.parse(JSON.stringify(artifact)));
      expect(served.version).toBe(`v-${family}`);
      const offline = forecastRows(fit.forecasters[family], test);
      expect(forecastRows(served, test)).toEqual(offline);
      const expected = direct[family];
      if (expected)
        offline.forEach((f, i) => {
          expect(f).toBeCloseTo(expected[i] as number, 15);
        });
    }
  });

  it('the live arena forecasts each candidate as the offline scorer does', () => {
    const arena = new CandidateArena();
    const ridge = fit.forecasters.ridge;
    arena.setChampion(ridge);
    for (const [i, r] of test.entries()) {
      const tick = arena.predict(r.eventTimeUs, 1e12, r.x);
      expect(tick.forecasts[CHAMPION]).toBe(forecastRows(ridge, test)[i]);
      expect(tick.forecasts.momentum).toBe(momentumForecast(r.x));
      expect(tick.forecasts.microprice).toBe(micropriceForecast(r.x));
      expect(tick.forecasts['random-walk']).toBe(0);
      expect(tick).toMatchObject({ served: 'random-walk', forecast: 0 });
    }
  });

  it('round-trips an online learner and still reads the MLP artifacts written before the families', () => {
    const learner = new OnlineLearner({ warmupRows: 30 });
    for (const r of rows.slice(0, 200)) learner.learn(r.x, r.label);
    const artifact = learner.toArtifact('BTCUSDT', '2026-12-01T00:00:00.000Z');
    const resumed = forecasterFromArtifact(JSON.parse(JSON.stringify(artifact)));
    expect(resumed.kind).toBe('online');
    expect(forecastRows(resumed, test)).toEqual(forecastRows(learner, test));

    const mlp = assembleArtifact(fit.mlp.layers, fit.normalisation, 'v-old', '2026-11-01T00:00:00.000Z');
    const { kind: _, ...legacy } = { ...mlp, format: LEGACY_MLP_FORMAT };
    expect(parseModelArtifact(legacy).kind).toBe('mlp');
    expect(forecastRows(forecasterFromArtifact(legacy), test)).toEqual(
      forecastRows(fit.forecasters.mlp, test),
    );

    expect(() => forecasterFromArtifact({ ...mlp, kind: 'forest' })).toThrow(ModelArtifactError);
    expect(() => forecasterFromArtifact({ ...mlp, kind: 'linear' })).toThrow(/linear body/);
    const online = artifact as NonNullable<typeof artifact>;
    const broken = structuredClone(online);
    broken.online.learners[1]?.p.pop();
    expect(() => forecasterFromArtifact(broken)).toThrow(/online\.learners\[1\]\.p/);
  });
});
