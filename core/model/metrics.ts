/**
 * Forecast scores, all on log returns (reported in bp where the unit matters):
 * - RMSE and its ratio to the random walk's (which forecasts a zero return, so its RMSE is the RMS
 *   of the labels): below 1 beats the random walk;
 * - Pearson correlation of forecast and label (null when either is constant, e.g. the random walk);
 * - directional hit rate over the rows where the mid moved (label != 0) and the forecast takes a side
 *   (forecast != 0); null when there is no such row. `hitN` says how many rows it is over.
 * Pure.
 */

export interface ForecastScore {
  n: number;
  rmseBp: number;
  rmseRatioVsRandomWalk: number;
  corr: number | null;
  hitRate: number | null;
  hitN: number;
}

const BP = 1e4;

export function scoreForecast(labels: ArrayLike<number>, forecasts: ArrayLike<number>): ForecastScore {
  const n = labels.length;
  if (forecasts.length !== n) throw new RangeError(`${forecasts.length} forecasts for ${n} labels.`);
  let se = 0;
  let rw = 0;
  let my = 0;
  let mf = 0;
  let hits = 0;
  let hitN = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const f = forecasts[i] as number;
    se += (f - y) ** 2;
    rw += y * y;
    my += y;
    mf += f;
    if (y !== 0 && f !== 0) {
      hitN++;
      if (Math.sign(y) === Math.sign(f)) hits++;
    }
  }
  my /= n;
  mf /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dy = (labels[i] as number) - my;
    const df = (forecasts[i] as number) - mf;
    sxy += dy * df;
    syy += dy * dy;
    sxx += df * df;
  }
  const rmse = Math.sqrt(se / n);
  return {
    n,
    rmseBp: BP * rmse,
    rmseRatioVsRandomWalk: rmse / Math.sqrt(rw / n),
    corr: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null,
    hitRate: hitN > 0 ? hits / hitN : null,
    hitN,
  };
}

export interface RegimeScores {
  all: ForecastScore;
  /** Rows with realised volatility at or below the threshold fixed on the training rows. */
  quiet: ForecastScore | null;
  volatile: ForecastScore | null;
}

/** Scores overall and per regime; `volatile[i]` says which regime row i is in. */
export function scoreByRegime(
  labels: ArrayLike<number>,
  forecasts: ArrayLike<number>,
  volatile: readonly boolean[],
): RegimeScores {
  const pick = (want: boolean): ForecastScore | null => {
    const y: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (volatile[i] === want) {
        y.push(labels[i] as number);
        f.push(forecasts[i] as number);
      }
    }
    return y.length > 0 ? scoreForecast(y, f) : null;
  };
  return { all: scoreForecast(labels, forecasts), quiet: pick(false), volatile: pick(true) };
}
