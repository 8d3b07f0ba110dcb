/**
 * The forecasts a model must beat, computed on exactly the rows the model is scored on:
 * - random walk: a zero log return (the mid stays where it is);
 * - momentum: the last 10 s return continues for the next 10 s (ret_10s_bp / 1e4), parameter free;
 * - microprice: the mid moves to the microprice (microprice_minus_mid_bp / 1e4), parameter free;
 * - ridge: a linear model on the same standardised features, closed form, with the penalty picked on
 *   the validation rows (never on the test rows) and an unpenalised intercept.
 * Pure.
 */
import { FEATURE_INDEX } from '../features/feature-names.ts';

const BP = 1e4;

export function randomWalkForecast(_x: ArrayLike<number>): number {
  return 0;
}

export function momentumForecast(x: ArrayLike<number>): number {
  const r = x[FEATURE_INDEX.ret_10s_bp] as number;
  return Number.isFinite(r) ? r / BP : 0;
}

export function micropriceForecast(x: ArrayLike<number>): number {
  const m = x[FEATURE_INDEX.microprice_minus_mid_bp] as number;
  return Number.isFinite(m) ? m / BP : 0;
}

export interface RidgeModel {
  lambda: number;
  /** Coefficients on standardised features, for a label in bp. */
  weights: number[];
  interceptBp: number;
}

/**
 * Closed-form ridge on row-major standardised features `z` (n × d) and labels (log returns):
 * w = (Zc'Zc + λ I)^-1 Zc'(y - ȳ) with Zc the column-centred features, intercept ȳ - mean(z)·w.
 * Labels are fitted in bp so that λ is on the scale of a sum of squared z (about n per feature).
 */
export function fitRidge(z: Float64Array, labels: ArrayLike<number>, d: number, lambda: number): RidgeModel {
  const n = labels.length;
  if (z.length !== n * d) throw new RangeError(`z has ${z.length} values, expected ${n} × ${d}.`);
  if (n === 0) throw new RangeError('Cannot fit ridge on zero rows.');
  const zm = new Float64Array(d);
  let ym = 0;
  for (let i = 0; i < n; i++) {
    ym += (labels[i] as number) * BP;
    for (let j = 0; j < d; j++) zm[j] = (zm[j] as number) + (z[i * d + j] as number);
  }
  ym /= n;
  for (let j = 0; j < d; j++) zm[j] = (zm[j] as number) / n;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const yc = (labels[i] as number) * BP - ym;
    for (let j = 0; j < d; j++) {
      const zj = (z[i * d + j] as number) - (zm[j] as number);
      b[j] = (b[j] as number) + zj * yc;
      for (let k = 0; k <= j; k++)
        a[j * d + k] = (a[j * d + k] as number) + zj * ((z[i * d + k] as number) - (zm[k] as number));
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) a[k * d + j] = a[j * d + k] as number;
    a[j * d + j] = (a[j * d + j] as number) + lambda;
  }
  const w = solveSymmetricPositive(a, b, d);
  let intercept = ym;
  for (let j = 0; j < d; j++) intercept -= (zm[j] as number) * (w[j] as number);
  return { lambda, weights: Array.from(w), interceptBp: intercept };
}

export function ridgeForecast(model: RidgeModel, z: ArrayLike<number>): number {
  let s = model.interceptBp;
  for (let j = 0; j < model.weights.length; j++) s += (model.weights[j] as number) * (z[j] as number);
  return s / BP;
}

/** Penalties tried for the ridge baseline (λ in units of squared z; n is a few hundred to 1e5). */
export const RIDGE_LAMBDAS = [0.1, 1, 10, 100, 1_000, 10_000, 100_000] as const;

/** Fits on the training rows for each λ, keeps the one with the lowest validation RMSE. */
export function selectRidge(
  trainZ: Float64Array,
  trainY: ArrayLike<number>,
  validationZ: Float64Array,
  validationY: ArrayLike<number>,
  d: number,
  lambdas: readonly number[] = RIDGE_LAMBDAS,
): RidgeModel {
  let best: { model: RidgeModel; se: number } | undefined;
  for (const lambda of lambdas) {
    const model = fitRidge(trainZ, trainY, d, lambda);
    let se = 0;
    for (let i = 0; i < validationY.length; i++) {
      const f = ridgeForecast(model, validationZ.subarray(i * d, (i + 1) * d));
      se += (f - (validationY[i] as number)) ** 2;
    }
    if (!best || se < best.se) best = { model, se };
  }
  if (!best) throw new RangeError('No ridge penalty to try.');
  return best.model;
}

/** Cholesky solve of A x = b for symmetric positive definite A (d × d, row-major). */
function solveSymmetricPositive(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * d + k] as number) * (l[j * d + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new RangeError('Ridge system is not positive definite (is λ > 0?).');
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / (l[j * d + j] as number);
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * d + k] as number) * (y[k] as number);
    y[i] = s / (l[i * d + i] as number);
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < d; k++) s -= (l[k * d + i] as number) * (x[k] as number);
    x[i] = s / (l[i * d + i] as number);
  }
  return x;
}
