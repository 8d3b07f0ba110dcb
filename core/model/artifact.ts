/**
 * The model artifact: one JSON document holding everything needed to forecast from a feature vector,
 * so the inference service needs neither tfjs nor the training code (forecaster.ts runs every kind):
 *
 *   { format: "btcusdt-model/2", kind: "mlp" | "linear" | "online" | "baseline",
 *     version, createdAt, symbol,
 *     featureVersion, featureNames[],           // must equal the serving code's (core/features)
 *     horizonUs,                                // 10 s
 *     normalisation: { mean[], std[], clipZ },  // training-set statistics
 *     missing: "impute-train-mean",             // NaN feature -> z = 0, counted
 *     output: { unit: "bp" },                   // model output / 1e4 = ln(mid(t+h) / mid(t))
 *     // one body, by kind:
 *     layers: [{ units, activation, kernel[inputs*units] row-major, bias[units] }],   // mlp
 *     linear: { family: "ridge", weights[d], interceptBp, lambda },                   // linear
 *     online: { forgetting, learners: [{ delta, updates, prequentialSeBp2, weights[d+1], p }] }, // RLS
 *     baseline: "random-walk" | "momentum" | "microprice",                           // parameter free
 *     training: { … provenance, hyperparameters, rows, spans … },
 *     metrics: { … held-out scores, see training-report … } }
 *
 * Artifacts written before the families shared one format (`btcusdt-mlp/1`, no kind) are MLPs and
 * still load. MLP weights are the float32 values tfjs trained, written as JSON numbers (exact).
 * Stored as `models/<version>/model.json` beside `metrics.json`; the champion is copied to
 * `models/current/`.
 */
import { FEATURE_NAMES, FEATURE_VERSION } from '../features/feature-names.ts';
import type { Normalisation } from './normalisation.ts';

export const MODEL_ARTIFACT_FORMAT = 'btcusdt-model/2';
/** The MLP-only format that came first: read, never written. */
export const LEGACY_MLP_FORMAT = 'btcusdt-mlp/1';
export const ACTIVATIONS = ['relu', 'tanh', 'linear', 'elu', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export const ARTIFACT_KINDS = ['mlp', 'linear', 'online', 'baseline'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];
export const BASELINES = ['random-walk', 'momentum', 'microprice'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface DenseLayer {
  units: number;
  activation: Activation;
  /** Row-major inputs × units. */
  kernel: number[];
  bias: number[];
}

export interface LinearBody {
  family: 'ridge';
  /** Coefficients on standardised features, for a label in bp. */
  weights: number[];
  interceptBp: number;
  lambda: number;
}

/**
 * Recursive least squares with exponential forgetting (online-learner.ts), one per ridge prior δ,
 * over [z, 1] (the last coefficient is the intercept), labels in bp.
 */
export interface OnlineBody {
  forgetting: number;
  learners: {
    delta: number;
    updates: number;
    /** Exponentially weighted squared prequential error, bp²: which δ forecasts. */
    prequentialSeBp2: number;
    /** d + 1 coefficients, the intercept last. */
    weights: number[];
    /** (d + 1)² row-major inverse information matrix. */
    p: number[];
  }[];
}

interface ArtifactCommon {
  format: typeof MODEL_ARTIFACT_FORMAT | typeof LEGACY_MLP_FORMAT;
  version: string;
  /** ISO-8601 time the artifact was made (the maker's clock). */
  createdAt: string;
  symbol: string;
  featureVersion: number;
  featureNames: string[];
  horizonUs: number;
  normalisation: Normalisation;
  missing: 'impute-train-mean';
  output: { unit: 'bp' };
  training: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

export interface MlpArtifact extends ArtifactCommon {
  kind: 'mlp';
  layers: DenseLayer[];
}
export interface LinearArtifact extends ArtifactCommon {
  kind: 'linear';
  linear: LinearBody;
}
export interface OnlineArtifact extends ArtifactCommon {
  kind: 'online';
  online: OnlineBody;
}
export interface BaselineArtifact extends ArtifactCommon {
  kind: 'baseline';
  baseline: BaselineName;
}
export type ModelArtifact = MlpArtifact | LinearArtifact | OnlineArtifact | BaselineArtifact;

export class ModelArtifactError extends Error {
  override readonly name = 'ModelArtifactError';
  constructor(reason: string) {
    super(`Not a usable model artifact: ${reason}.`);
  }
}

/** S3 keys under the models prefix. */
export const modelKeys = {
  artifact: (version: string) => `models/${version}/model.json`,
  metrics: (version: string) => `models/${version}/metrics.json`,
  currentArtifact: 'models/current/model.json',
  currentMetrics: 'models/current/metrics.json',
} as const;

/** Versions sort by time: `v<yyyymmddThhmmssZ>-<8 hex of the weights' hash>`. */
export const MODEL_VERSION_PATTERN = /^v\d{8}T\d{6}Z-[0-9a-f]{8}$/;

const finiteArray = (x: unknown, length: number, what: string): number[] => {
  if (
    !Array.isArray(x) ||
    x.length !== length ||
    !x.every((v) => typeof v === 'number' && Number.isFinite(v))
  )
    throw new ModelArtifactError(`${what} is not ${length} finite numbers`);
  return x as number[];
};

function checkLayers(layers: unknown, d: number): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new ModelArtifactError('no layers');
  let inputs: number = d;
  (layers as DenseLayer[]).forEach((layer, i) => {
    if (!Number.isSafeInteger(layer.units) || layer.units <= 0)
      throw new ModelArtifactError(`layer ${i} units is not a positive integer`);
    if (!ACTIVATIONS.includes(layer.activation))
      throw new ModelArtifactError(`layer ${i} activation ${String(layer.activation)} is not supported`);
    finiteArray(layer.kernel, inputs * layer.units, `layer ${i} kernel`);
    finiteArray(layer.bias, layer.units, `layer ${i} bias`);
    inputs = layer.units;
  });
  if (inputs !== 1) throw new ModelArtifactError(`the last layer has ${inputs} units, not 1`);
}

function checkBody(a: Partial<ModelArtifact> & { kind: ArtifactKind }, d: number): void {
  switch (a.kind) {
    case 'mlp':
      checkLayers((a as Partial<MlpArtifact>).layers, d);
      return;
    case 'linear': {
      const l = (a as Partial<LinearArtifact>).linear;
      if (typeof l !== 'object' || l === null || l.family !== 'ridge')
        throw new ModelArtifactError('linear body is not a ridge');
      finiteArray(l.weights, d, 'linear.weights');
      if (!Number.isFinite(l.interceptBp)) throw new ModelArtifactError('linear.interceptBp is not finite');
      if (!(l.lambda >= 0)) throw new ModelArtifactError('linear.lambda is negative');
      return;
    }
    case 'online': {
      const o = (a as Partial<OnlineArtifact>).online;
      if (typeof o !== 'object' || o === null) throw new ModelArtifactError('no online body');
      if (!(o.forgetting > 0 && o.forgetting <= 1))
        throw new ModelArtifactError('online.forgetting is not in (0, 1]');
      if (!Array.isArray(o.learners) || o.learners.length === 0)
        throw new ModelArtifactError('online.learners is empty');
      const deltas = new Set<number>();
      o.learners.forEach((l, k) => {
        if (!(l.delta > 0) || deltas.has(l.delta))
          throw new ModelArtifactError(`online.learners[${k}].delta is not a new positive number`);
        deltas.add(l.delta);
        if (!(Number.isSafeInteger(l.updates) && l.updates >= 0))
          throw new ModelArtifactError(`online.learners[${k}].updates is not a count`);
        if (!(l.prequentialSeBp2 >= 0))
          throw new ModelArtifactError(`online.learners[${k}].prequentialSeBp2 is not a sum of squares`);
        finiteArray(l.weights, d + 1, `online.learners[${k}].weights`);
        finiteArray(l.p, (d + 1) ** 2, `online.learners[${k}].p`);
      });
      return;
    }
    case 'baseline': {
      const b = (a as Partial<BaselineArtifact>).baseline;
      if (!BASELINES.includes(b as BaselineName))
        throw new ModelArtifactError(`baseline ${String(b)} is not one of ${BASELINES.join(', ')}`);
      return;
    }
  }
}

/**
 * Checks an artifact (parsed JSON) and that it reads the features this code computes; throws
 * ModelArtifactError naming the first problem. A legacy MLP artifact comes back with kind "mlp".
 */
export function parseModelArtifact(json: unknown): ModelArtifact {
  const a = json as (Partial<ModelArtifact> & { kind?: unknown }) | null;
  if (typeof a !== 'object' || a === null) throw new ModelArtifactError('not an object');
  let kind: ArtifactKind;
  if (a.format === LEGACY_MLP_FORMAT) kind = 'mlp';
  else if (a.format === MODEL_ARTIFACT_FORMAT) {
    if (!ARTIFACT_KINDS.includes(a.kind as ArtifactKind))
      throw new ModelArtifactError(`kind ${String(a.kind)} is not one of ${ARTIFACT_KINDS.join(', ')}`);
    kind = a.kind as ArtifactKind;
  } else throw new ModelArtifactError(`format is ${String(a.format)}`);
  if (typeof a.version !== 'string' || a.version === '') throw new ModelArtifactError('no version');
  if (a.featureVersion !== FEATURE_VERSION)
    throw new ModelArtifactError(`feature version ${String(a.featureVersion)} is not ${FEATURE_VERSION}`);
  if (
    !Array.isArray(a.featureNames) ||
    a.featureNames.length !== FEATURE_NAMES.length ||
    a.featureNames.some((n, i) => n !== FEATURE_NAMES[i])
  )
    throw new ModelArtifactError('feature names differ from core/features');
  if (!Number.isSafeInteger(a.horizonUs) || (a.horizonUs as number) <= 0)
    throw new ModelArtifactError('horizonUs is not a positive integer');
  const d: number = FEATURE_NAMES.length;
  const norm = a.normalisation;
  if (typeof norm !== 'object' || norm === null) throw new ModelArtifactError('no normalisation');
  finiteArray(norm.mean, d, 'normalisation.mean');
  finiteArray(norm.std, d, 'normalisation.std');
  if (!norm.std.every((s) => s > 0)) throw new ModelArtifactError('a standard deviation is not positive');
  if (!(typeof norm.clipZ === 'number' && norm.clipZ > 0))
    throw new ModelArtifactError('clipZ is not positive');
  if (a.missing !== 'impute-train-mean') throw new ModelArtifactError(`missing policy ${String(a.missing)}`);
  if (a.output?.unit !== 'bp') throw new ModelArtifactError('output unit is not bp');
  const typed = { ...a, kind } as ModelArtifact;
  checkBody(typed, d);
  return typed;
}
