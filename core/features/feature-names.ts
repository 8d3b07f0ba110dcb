/**
 * The feature vector's layout: one ordered list of names shared by the aggregator, the inference
 * service and the trainer. A model is trained against one FEATURE_VERSION; bump it whenever a name,
 * the order or a definition changes (docs/adr/0030-features.md holds the definitions).
 *
 * Missing values are NaN in `values` (never a made-up 0): `missingFeatures` lists them, and the JSON
 * form carries them as null because JSON has no NaN.
 */

export const FEATURE_VERSION = 2;

export const FEATURE_NAMES = [
  'microprice_minus_mid_bp',
  'spread_bp',
  'imbalance_l1',
  'imbalance_l5',
  'imbalance_l10',
  'imbalance_l1_avg_2s',
  'imbalance_l10_avg_10s',
  'ofi_1s',
  'ofi_5s',
  'ofi_10s',
  'tfi_1s',
  'tfi_5s',
  'tfi_10s',
  'tfi_30s',
  'ret_1s_bp',
  'ret_5s_bp',
  'ret_10s_bp',
  'ret_30s_bp',
  'ret_60s_bp',
  'rv_10s_bp',
  'rv_60s_bp',
  'trade_count_1s',
  'trade_count_10s',
  'trade_count_60s',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Index of each name in `values`. */
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, i])) as Record<FeatureName, number>,
);

export interface FeatureVector {
  /** The 100 ms grid time the features describe (exchange event time, µs). */
  eventTimeUs: number;
  /** FEATURE_COUNT values in FEATURE_NAMES order; NaN where the inputs were insufficient. */
  values: Float64Array | number[];
}

/** JSON form (Redis `feat:{SYMBOL}`, bronze, Postgres): NaN becomes null. */
export interface FeatureVectorJson {
  v: number;
  eventTimeUs: number;
  values: (number | null)[];
}

export class FeatureVectorFormatError extends Error {
  override readonly name = 'FeatureVectorFormatError';
  constructor(reason: string) {
    super(`Not a feature vector of version ${FEATURE_VERSION}: ${reason}.`);
  }
}

export function featureValue(vector: FeatureVector, name: FeatureName): number {
  return vector.values[FEATURE_INDEX[name]] as number;
}

/** Names whose value is NaN (insufficient input), in FEATURE_NAMES order. */
export function missingFeatures(vector: FeatureVector): FeatureName[] {
  return FEATURE_NAMES.filter((_, i) => Number.isNaN(vector.values[i]));
}

export function featureVectorToJSON(vector: FeatureVector): FeatureVectorJson {
  return {
    v: FEATURE_VERSION,
    eventTimeUs: vector.eventTimeUs,
    values: Array.from(vector.values, (x) => (Number.isNaN(x) ? null : x)),
  };
}

/** Refuses another version: a model must never read features defined differently. */
export function featureVectorFromJSON(json: unknown): FeatureVector {
  const j = json as Partial<FeatureVectorJson> | null;
  if (typeof j !== 'object' || j === null) throw new FeatureVectorFormatError('not an object');
  if (j.v !== FEATURE_VERSION) throw new FeatureVectorFormatError(`version is ${String(j.v)}`);
  if (!Number.isSafeInteger(j.eventTimeUs))
    throw new FeatureVectorFormatError('eventTimeUs is not an integer');
  if (!Array.isArray(j.values) || j.values.length !== FEATURE_COUNT)
    throw new FeatureVectorFormatError(`values is not an array of ${FEATURE_COUNT}`);
  const values = new Float64Array(FEATURE_COUNT);
  j.values.forEach((x, i) => {
    if (x !== null && typeof x !== 'number') throw new FeatureVectorFormatError(`value ${i} is not a number`);
    values[i] = x === null ? Number.NaN : x;
  });
  return { eventTimeUs: j.eventTimeUs as number, values };
}

/**
 * Features computed from the book's history (FeatureState: order-flow imbalance, returns, realised
 * volatility): NaN until the state has observed their window. A vector that lacks them after the
 * symbol has had them means the state was lost (a Redis restart) and is being rebuilt.
 */
export const BOOK_HISTORY_FEATURES: readonly FeatureName[] = FEATURE_NAMES.filter((n) =>
  /^(ofi|ret|rv)_\d+s|_avg_\d+s$/.test(n),
);

/** True when any book-history feature of the vector is NaN (its state has not observed the window). */
export function lacksBookHistory(vector: FeatureVector): boolean {
  return BOOK_HISTORY_FEATURES.some((name) => Number.isNaN(vector.values[FEATURE_INDEX[name]]));
}
