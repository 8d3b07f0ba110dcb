/**
 * One fit on a train / validation pair and the forecasts it makes: the normalisation from the train
 * rows, the MLP early-stopped on validation, and the ridge baseline with its penalty picked on
 * validation. The MLP's forecasts come from the TypeScript predictor over the artifact (what the
 * inference service serves), not from tfjs. Shared by the train job and the walk-forward eval.
 */
import { createHash } from 'node:crypto';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { LABEL_HORIZON_US } from '../../core/features/label.ts';
import { type DenseLayer, MODEL_ARTIFACT_FORMAT, type ModelArtifact } from '../../core/model/artifact.ts';
import { type RidgeModel, ridgeForecast, selectRidge } from '../../core/model/baselines.ts';
import type { LabelledRow } from '../../core/model/dataset.ts';
import { fitNormalisation, type Normalisation, standardiseRows } from '../../core/model/normalisation.ts';
import { Predictor } from '../../core/model/predictor.ts';
import type { Hyperparameters } from './hyperparameters.ts';
import { type EpochProgress, type MlpResult, trainMlp } from './mlp.ts';

export interface Fit {
  normalisation: Normalisation;
  mlp: MlpResult;
  ridge: RidgeModel;
  /** The MLP as served: an artifact with a provisional version, run by the TS predictor. */
  predictor: Predictor;
}

const D = FEATURE_NAMES.length;

export function assembleArtifact(
  layers: DenseLayer[],
  normalisation: Normalisation,
  version: string,
  createdAt: string,
  training: Record<string, unknown> = {},
  metrics: Record<string, unknown> = {},
): ModelArtifact {
  return {
    format: MODEL_ARTIFACT_FORMAT,
    version,
    createdAt,
    symbol: 'BTCUSDT',
    featureVersion: FEATURE_VERSION,
    featureNames: [...FEATURE_NAMES],
    horizonUs: LABEL_HORIZON_US,
    normalisation,
    missing: 'impute-train-mean',
    output: { unit: 'bp' },
    layers,
    training,
    metrics,
  };
}

/** `v<yyyymmddThhmmssZ>-<first 8 hex of sha256(weights, normalisation)>`: sorts by time, names the weights. */
export function modelVersion(createdAt: string, layers: DenseLayer[], normalisation: Normalisation): string {
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const hash = createHash('sha256')
    .update(JSON.stringify({ layers, normalisation }))
    .digest('hex')
    .slice(0, 8);
  return `v${stamp}-${hash}`;
}

export async function fitSegment(
  train: readonly LabelledRow[],
  validation: readonly LabelledRow[],
  hp: Hyperparameters,
  onEpoch?: (p: EpochProgress) => void,
): Promise<Fit> {
  const normalisation = fitNormalisation(
    train.map((r) => r.x),
    hp.clipZ,
  );
  const trainZ = standardiseRows(
    train.map((r) => r.x),
    normalisation,
  );
  const valZ = standardiseRows(
    validation.map((r) => r.x),
    normalisation,
  );
  const trainY = train.map((r) => r.label);
  const valY = validation.map((r) => r.label);
  const mlp = await trainMlp(D, { z: trainZ, labels: trainY }, { z: valZ, labels: valY }, hp, onEpoch);
  const ridge = selectRidge(trainZ, trainY, valZ, valY, D);
  const predictor = Predictor.fromArtifact(
    assembleArtifact(mlp.layers, normalisation, 'candidate', new Date(0).toISOString()),
  );
  return { normalisation, mlp, ridge, predictor };
}

/** The fit's MLP and ridge forecasts (log returns) for each row. */
export function fitForecasts(fit: Fit, rows: readonly LabelledRow[]): { model: number[]; ridge: number[] } {
  const z = standardiseRows(
    rows.map((r) => r.x),
    fit.normalisation,
  );
  return {
    model: rows.map((r) => fit.predictor.predict(r.x).logReturn),
    ridge: rows.map((_, i) => ridgeForecast(fit.ridge, z.subarray(i * D, (i + 1) * D))),
  };
}
