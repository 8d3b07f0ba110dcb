import { beforeAll, describe, expect, it } from 'vitest';
import { assembleArtifact, type Fit, fitSegment } from '../../containers/trainer/fit.ts';
import { parseHyperparameters } from '../../containers/trainer/hyperparameters.ts';
import { initTfjsWasm } from '../../containers/trainer/tfjs-wasm.ts';
import { FEATURE_COUNT, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { type MlpArtifact, ModelArtifactError, parseModelArtifact } from '../../core/model/artifact.ts';
import type { MlpForecaster } from '../../core/model/forecaster.ts';
import { standardiseRows } from '../../core/model/normalisation.ts';
import { Predictor } from '../../core/model/predictor.ts';
import { syntheticRows } from './rows.ts';

describe('TypeScript predictor vs tfjs', () => {
  const rows = syntheticRows(300, 1, 11);
  let fit: Fit;

  beforeAll(async () => {
    const hp = parseHyperparameters({
      maxEpochs: 8,
      patience: 8,
      hiddenUnits: '16,8',
      activation: 'tanh',
      seed: 3,
    });
    fit = await fitSegment(rows.slice(0, 200), rows.slice(210, 260), hp);
  }, 30_000);

  it('matches tfjs predictions to 1e-6 (bp) on held-out vectors, through a JSON round trip', async () => {
    const tf = await initTfjsWasm();
    const test = rows.slice(260);
    const z = standardiseRows(
      test.map((r) => r.x),
      fit.normalisation,
    );
    const expected = tf.tidy(() =>
      Array.from(
        (
          fit.mlp.model.predict(
            tf.tensor2d(Float32Array.from(z), [test.length, FEATURE_COUNT]),
          ) as ReturnType<typeof tf.tensor>
        ).dataSync(),
      ),
    );
    const artifact = JSON.parse(
      JSON.stringify(
        assembleArtifact(
          fit.mlp.layers,
          fit.normalisation,
          'v20240809T000000Z-00000000',
          '2024-08-09T00:00:00.000Z',
        ),
      ),
    );
    const predictor = Predictor.fromArtifact(artifact);
    let worst = 0;
    test.forEach((r, i) => {
      const bp = predictor.predict(r.x).logReturn * 1e4;
      worst = Math.max(worst, Math.abs(bp - (expected[i] as number)));
    });
    console.info(`[predictor] max |TS - tfjs| = ${worst.toExponential(2)} bp over ${test.length} vectors`);
    expect(worst).toBeLessThan(1e-6);
  });

  it('imputes NaN features with the training mean (speed is measured by npm run bench:inference)', () => {
    const predictor = (fit.forecasters.mlp as MlpForecaster).predictor;
    const x = rows[0]?.x as Float64Array;
    const missing = Float64Array.from(x);
    missing[0] = Number.NaN;
    missing[5] = Number.NaN;
    const imputed = Float64Array.from(x);
    imputed[0] = fit.normalisation.mean[0] as number;
    imputed[5] = fit.normalisation.mean[5] as number;
    const p = predictor.predict(missing);
    expect(p.imputed).toBe(2);
    expect(p.logReturn).toBeCloseTo(predictor.predict(imputed).logReturn, 15);
  });

  it('refuses artifacts it cannot serve', () => {
    const good = assembleArtifact(fit.mlp.layers, fit.normalisation, 'v', '2024-08-09T00:00:00.000Z');
    expect(() => parseModelArtifact(good)).not.toThrow();
    expect(() => Predictor.fromArtifact({ ...good, featureVersion: FEATURE_VERSION + 1 })).toThrow(
      ModelArtifactError,
    );
    expect(() => Predictor.fromArtifact({ ...good, featureNames: [...good.featureNames].reverse() })).toThrow(
      /feature names/,
    );
    const broken = structuredClone(good) as MlpArtifact;
    broken.layers[0]?.kernel.pop();
    expect(() => Predictor.fromArtifact(broken)).toThrow(/kernel/);
    expect(() => (fit.forecasters.mlp as MlpForecaster).predictor.predict([1, 2, 3])).toThrow(RangeError);
  });
});
