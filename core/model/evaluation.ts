/**
 * The held-out scorecard: the model and every baseline scored on the same rows (the test span), overall
 * and per volatility regime. The regime threshold is the median rv_60s_bp of the training rows, fixed
 * before the test span is looked at. Pure.
 */
import { FEATURE_INDEX } from '../features/feature-names.ts';
import { micropriceForecast, momentumForecast, randomWalkForecast } from './baselines.ts';
import type { LabelledRow } from './dataset.ts';
import { type RegimeScores, scoreByRegime } from './metrics.ts';

export interface HeldOutReport {
  n: number;
  fromUs: number;
  toUs: number;
  /** Rows with rv_60s_bp above this are "volatile" (NaN when each fold had its own). */
  regimeThresholdRv60sBp: number;
  /** `model`, `randomWalk`, `momentum`, `microprice`, `ridge`, and `champion` when it was scored. */
  scores: Record<string, RegimeScores>;
}

/** Median of rv_60s_bp over the training rows. */
export function regimeThreshold(trainRows: readonly LabelledRow[]): number {
  const v = trainRows
    .map((r) => r.x[FEATURE_INDEX.rv_60s_bp] as number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

/** The parameter-free baselines for each row. */
export function baselineForecasts(rows: readonly LabelledRow[]): Record<string, number[]> {
  return {
    randomWalk: rows.map((r) => randomWalkForecast(r.x)),
    momentum: rows.map((r) => momentumForecast(r.x)),
    microprice: rows.map((r) => micropriceForecast(r.x)),
  };
}

/** Which rows are volatile: rv_60s_bp above the threshold. */
export function volatileRows(rows: readonly LabelledRow[], threshold: number): boolean[] {
  return rows.map((r) => (r.x[FEATURE_INDEX.rv_60s_bp] as number) > threshold);
}

/**
 * Scores every forecast (one value per row, same order as `rows`). `regime` is the rv_60s_bp
 * threshold, or the regime of each row (walk-forward folds each have their own threshold).
 */
export function heldOutReport(
  rows: readonly LabelledRow[],
  forecasts: Record<string, ArrayLike<number>>,
  regime: number | readonly boolean[],
): HeldOutReport {
  if (rows.length === 0) throw new RangeError('No held-out rows to score.');
  const labels = rows.map((r) => r.label);
  const volatile = typeof regime === 'number' ? volatileRows(rows, regime) : regime;
  const threshold = typeof regime === 'number' ? regime : Number.NaN;
  const scores: Record<string, RegimeScores> = {};
  for (const [name, f] of Object.entries(forecasts)) scores[name] = scoreByRegime(labels, f, volatile);
  return {
    n: rows.length,
    fromUs: (rows[0] as LabelledRow).eventTimeUs,
    toUs: (rows[rows.length - 1] as LabelledRow).eventTimeUs,
    regimeThresholdRv60sBp: threshold,
    scores,
  };
}
