/**
 * One fit on a train / validation pair, for every offline family: the normalisation from the train
 * rows, the MLP early-stopped on validation, the ridge with its penalty picked on validation, and the
 * parameter-free momentum and microprice. Every family's forecasts come from its artifact through the
 * tfjs-free forecaster (core/model/forecaster.ts), i.e. what the inference service would serve. The
 * online learner is scored beside them by running it through the rows in time order, learning each
 * label once it has matured. Shared by the train job and the walk-forward eval.
 */
import { createHash } from 'node:crypto';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { LABEL_HORIZON_US } from '../../core/features/label.ts';
import { type DenseLayer, MODEL_ARTIFACT_FORMAT, type ModelArtifact } from '../../core/model/artifact.ts';
import { type RidgeModel, selectRidge } from '../../core/model/baselines.ts';
import type { LabelledRow } from '../../core/model/dataset.ts';
import type { HeldOutReport } from '../../core/model/evaluation.ts';
import {
  type Forecaster,
  forecasterFromArtifact,
  forecastRows,
  microprice,
  momentum,
  randomWalk,
} from '../../core/model/forecaster.ts';
import { fitNormalisation, type Normalisation, standardiseRows } from '../../core/model/normalisation.ts';
import { OnlineLearner, type OnlineLearnerOptions } from '../../core/model/online-learner.ts';
import type { Hyperparameters } from './hyperparameters.ts';
import { type EpochProgress, type MlpResult, trainMlp } from './mlp.ts';

/** The families the trainer fits and may promote (the online learner lives in the service). */
export const OFFLINE_FAMILIES = ['momentum', 'microprice', 'ridge', 'mlp'] as const;
export type OfflineFamily = (typeof OFFLINE_FAMILIES)[number];

export interface Fit {
  normalisation: Normalisation;
  mlp: MlpResult;
  ridge: RidgeModel;
  /** Every offline family as served (built from its artifact with a provisional version). */
  forecasters: Record<OfflineFamily, Forecaster>;
}

const D = FEATURE_NAMES.length;

type ArtifactBody =
  | { kind: 'mlp'; layers: DenseLayer[] }
  | { kind: 'linear'; linear: { family: 'ridge'; weights: number[]; interceptBp: number; lambda: number } }
  | { kind: 'baseline'; baseline: 'momentum' | 'microprice' | 'random-walk' };

export function familyBody(fit: Pick<Fit, 'mlp' | 'ridge'>, family: OfflineFamily): ArtifactBody {
  switch (family) {
    case 'mlp':
      return { kind: 'mlp', layers: fit.mlp.layers };
    case 'ridge':
      return {
        kind: 'linear',
        linear: {
          family: 'ridge',
          weights: fit.ridge.weights,
          interceptBp: fit.ridge.interceptBp,
          lambda: fit.ridge.lambda,
        },
      };
    default:
      return { kind: 'baseline', baseline: family };
  }
}

export function assembleArtifact(
  body: ArtifactBody | DenseLayer[],
  normalisation: Normalisation,
  version: string,
  createdAt: string,
  training: Record<string, unknown> = {},
  metrics: Record<string, unknown> = {},
): ModelArtifact {
  const b: ArtifactBody = Array.isArray(body) ? { kind: 'mlp', layers: body } : body;
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
    ...b,
    training,
    metrics,
  } as ModelArtifact;
}

/** `v<yyyymmddThhmmssZ>-<first 8 hex of sha256(body, normalisation)>`: sorts by time, names the weights. */
export function modelVersion(
  createdAt: string,
  body: ArtifactBody | DenseLayer[],
  normalisation: Normalisation,
): string {
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  // An MLP's hash is over its layers as before, so an MLP's version does not change with the format.
  const hashed = Array.isArray(body) ? body : body.kind === 'mlp' ? body.layers : body;
  const hash = createHash('sha256')
    .update(JSON.stringify({ layers: hashed, normalisation }))
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
  const served = (family: 'mlp' | 'ridge') =>
    forecasterFromArtifact(
      assembleArtifact(
        familyBody({ mlp, ridge }, family),
        normalisation,
        'candidate',
        new Date(0).toISOString(),
      ),
    );
  return {
    normalisation,
    mlp,
    ridge,
    forecasters: { momentum, microprice, ridge: served('ridge'), mlp: served('mlp') },
  };
}

/**
 * The online learner's forecasts for `test`, after learning from `history` (time order): each test
 * row is forecast before its own label is known, and every label is learned once it has matured
 * (row time + horizon at or before the current row's time), as the service learns.
 */
export function onlineForecasts(
  history: readonly LabelledRow[],
  test: readonly LabelledRow[],
  horizonUs: number = LABEL_HORIZON_US,
  options?: OnlineLearnerOptions,
): number[] {
  const learner = new OnlineLearner(options);
  const waiting: LabelledRow[] = [...history];
  const out: number[] = [];
  let next = 0;
  for (const row of test) {
    while (
      next < waiting.length &&
      (waiting[next] as LabelledRow).eventTimeUs + horizonUs <= row.eventTimeUs
    ) {
      const r = waiting[next] as LabelledRow;
      learner.learn(r.x, r.label);
      next++;
    }
    out.push(learner.forecast(row.x));
    waiting.push(row);
  }
  return out;
}

/** Every family's forecasts (log returns) for each row: the random walk, the fit's families, online. */
export function fitForecasts(
  fit: Fit,
  rows: readonly LabelledRow[],
  history: readonly LabelledRow[] = [],
): Record<string, number[]> {
  const out: Record<string, number[]> = { randomWalk: forecastRows(randomWalk, rows) };
  for (const family of OFFLINE_FAMILIES) out[family] = forecastRows(fit.forecasters[family], rows);
  out.online = onlineForecasts(history, rows);
  return out;
}

/** The offline family with the lowest held-out RMSE (ties: the earlier, simpler one in OFFLINE_FAMILIES). */
export function bestFamily(report: HeldOutReport): OfflineFamily {
  let best: OfflineFamily = OFFLINE_FAMILIES[0];
  for (const f of OFFLINE_FAMILIES)
    if ((report.scores[f]?.all.rmseBp ?? Infinity) < (report.scores[best]?.all.rmseBp ?? Infinity)) best = f;
  return best;
}
