/**
 * Feature standardisation with training-set statistics, saved in the model artifact so that serving
 * transforms exactly as training did: z = clip((x - mean) / std, ±clipZ). A NaN feature (insufficient
 * input at serving time) becomes z = 0, the training mean, and is counted so the caller can flag the
 * prediction. A feature constant on the training set gets std 1 (z is then x - mean). Pure.
 */

export interface Normalisation {
  mean: number[];
  std: number[];
  /** |z| is capped here: heavy tails (trade bursts) should not dominate a small model. */
  clipZ: number;
}

/** Standard deviations below this are treated as a constant feature. */
const MIN_STD = 1e-12;
export const DEFAULT_CLIP_Z = 5;

export function fitNormalisation(
  xs: readonly ArrayLike<number>[],
  clipZ: number = DEFAULT_CLIP_Z,
): Normalisation {
  const first = xs[0];
  if (!first) throw new RangeError('Cannot fit a normalisation on zero rows.');
  const d = first.length;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let j = 0; j < d; j++) {
    let sum = 0;
    let n = 0;
    for (const x of xs) {
      const v = x[j] as number;
      if (Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    const m = n > 0 ? sum / n : 0;
    let ss = 0;
    for (const x of xs) {
      const v = x[j] as number;
      if (Number.isFinite(v)) ss += (v - m) ** 2;
    }
    const s = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    mean[j] = m;
    std[j] = s > MIN_STD ? s : 1;
  }
  return { mean, std, clipZ };
}

/** Writes z into `out`; returns how many features were NaN (imputed with the training mean). */
export function standardiseInto(x: ArrayLike<number>, norm: Normalisation, out: Float64Array): number {
  let imputed = 0;
  const c = norm.clipZ;
  for (let j = 0; j < out.length; j++) {
    const v = x[j] as number;
    if (Number.isNaN(v)) {
      out[j] = 0;
      imputed++;
      continue;
    }
    const z = (v - (norm.mean[j] as number)) / (norm.std[j] as number);
    out[j] = z > c ? c : z < -c ? -c : z;
  }
  return imputed;
}

/** Standardises many rows into one row-major matrix (rows × features). */
export function standardiseRows(xs: readonly ArrayLike<number>[], norm: Normalisation): Float64Array {
  const d = norm.mean.length;
  const out = new Float64Array(xs.length * d);
  xs.forEach((x, i) => {
    standardiseInto(x, norm, out.subarray(i * d, (i + 1) * d));
  });
  return out;
}
