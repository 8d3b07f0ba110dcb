/**
 * The model artifact: one JSON document holding everything needed to predict from a feature vector,
 * so the inference service needs neither tfjs nor the training code (predictor.ts runs it):
 *
 *   { format: "btcusdt-mlp/1", version, createdAt, symbol,
 *     featureVersion, featureNames[],           // must equal the serving code's (core/features)
 *     horizonUs,                                // 10 s
 *     normalisation: { mean[], std[], clipZ },  // training-set statistics
 *     missing: "impute-train-mean",             // NaN feature -> z = 0, counted
 *     output: { unit: "bp" },                   // network output / 1e4 = ln(mid(t+h) / mid(t))
 *     layers: [{ units, activation, kernel[inputs*units] row-major (input i, unit u at i*units+u), bias[units] }],
 *     training: { … provenance, hyperparameters, rows, spans … },
 *     metrics: { … held-out scores, see training-report … } }
 *
 * Weights are the float32 values tfjs trained, written as JSON numbers (exact). Stored in S3 as
 * `models/<version>/model.json` beside `metrics.json`; the champion is copied to `models/current/`.
 */
import { FEATURE_NAMES, FEATURE_VERSION } from '../features/feature-names.ts';
import type { Normalisation } from './normalisation.ts';

export const MODEL_ARTIFACT_FORMAT = 'btcusdt-mlp/1';
export const ACTIVATIONS = ['relu', 'tanh', 'linear', 'elu', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseLayer {
  units: number;
  activation: Activation;
  /** Row-major inputs × units. */
  kernel: number[];
  bias: number[];
}

export interface ModelArtifact {
  format: typeof MODEL_ARTIFACT_FORMAT;
  version: string;
  /** ISO-8601 time the trainer finished (the trainer's clock). */
  createdAt: string;
  symbol: string;
  featureVersion: number;
  featureNames: string[];
  horizonUs: number;
  normalisation: Normalisation;
  missing: 'impute-train-mean';
  output: { unit: 'bp' };
  layers: DenseLayer[];
  training: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

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

/**
 * Checks an artifact (parsed JSON) and that it reads the features this code computes; throws
 * ModelArtifactError naming the first problem.
 */
export function parseModelArtifact(json: unknown): ModelArtifact {
  const a = json as Partial<ModelArtifact> | null;
  if (typeof a !== 'object' || a === null) throw new ModelArtifactError('not an object');
  if (a.format !== MODEL_ARTIFACT_FORMAT) throw new ModelArtifactError(`format is ${String(a.format)}`);
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
  if (!Array.isArray(a.layers) || a.layers.length === 0) throw new ModelArtifactError('no layers');
  let inputs: number = d;
  a.layers.forEach((layer, i) => {
    if (!Number.isSafeInteger(layer.units) || layer.units <= 0)
      throw new ModelArtifactError(`layer ${i} units is not a positive integer`);
    if (!ACTIVATIONS.includes(layer.activation))
      throw new ModelArtifactError(`layer ${i} activation ${String(layer.activation)} is not supported`);
    finiteArray(layer.kernel, inputs * layer.units, `layer ${i} kernel`);
    finiteArray(layer.bias, layer.units, `layer ${i} bias`);
    inputs = layer.units;
  });
  if (inputs !== 1) throw new ModelArtifactError(`the last layer has ${inputs} units, not 1`);
  return a as ModelArtifact;
}
