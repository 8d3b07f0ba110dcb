/**
 * The live, out-of-sample scorecard of every candidate forecaster over the last `windowTicks` scored
 * ticks: RMSE ratio to the random walk, correlation and hit rate (the same scorer as offline,
 * core/model/metrics.ts), and the paired loss difference against the random walk (or any other
 * candidate) with its standard error.
 *
 * The loss difference of a tick is d = (y − f_a)² − (y − f_b)² in bp². Labels are 10 s returns
 * sampled every 2 s, so consecutive d overlap for horizon / tick − 1 = 4 lags: the standard error of
 * their mean is Newey–West's (Bartlett weights over `hacLags` lags), not the i.i.d. one, which would
 * be too small by about √5. Candidates missing from a tick (not yet loaded, warming up) are left out
 * of that tick. Pure.
 */
import { type ForecastScore, scoreForecast } from '../model/metrics.ts';

export interface ScoredTick {
  /** The tick the forecasts were made at (exchange time, µs). */
  timeUs: number;
  /** Realised ln(mid(t + horizon) / mid(t)). */
  label: number;
  /** Forecast (ln return) by candidate name; absent or NaN when the candidate made none. */
  forecasts: Record<string, number>;
}

export interface LossDifference {
  n: number;
  /** Mean of loss(a) − loss(b), bp²: positive means b forecasts better. */
  meanBp2: number;
  seBp2: number;
  /** meanBp2 / seBp2 (0 when the standard error is 0). */
  t: number;
}

/**
 * The calibration slope b of the label on the forecast (y = b·f + u, no intercept). Serving c·f
 * instead of f beats the random walk in expectation exactly when 0 < c < 2b (the MSE gain is
 * c·(2b − c)·E[f²]), so a lower confidence bound of b is a scale at which the candidate is known to
 * help, long before its full-scale loss difference is significant (champion-rule.ts).
 */
export interface CalibrationSlope {
  b: number;
  /** Newey–West standard error of b. */
  se: number;
  /** b / se (0 when se is 0). */
  t: number;
  /** Mean squared forecast, bp². */
  meanF2Bp2: number;
}

export interface CandidateScore extends ForecastScore {
  /** Random walk's loss minus this candidate's: t > 0 means it beats the random walk. */
  vsRandomWalk: LossDifference;
  slope: CalibrationSlope;
}

const BP = 1e4;
export const RANDOM_WALK = 'random-walk';

export function neweyWestMean(d: ArrayLike<number>, lags: number): { mean: number; se: number } {
  const n = d.length;
  if (n === 0) return { mean: Number.NaN, se: Number.NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += d[i] as number;
  mean /= n;
  const gamma = (k: number) => {
    let s = 0;
    for (let i = k; i < n; i++) s += ((d[i] as number) - mean) * ((d[i - k] as number) - mean);
    return s / n;
  };
  let v = gamma(0);
  for (let k = 1; k <= Math.min(lags, n - 1); k++) v += 2 * (1 - k / (lags + 1)) * gamma(k);
  // Bartlett weights keep v >= 0 in exact arithmetic; guard rounding.
  return { mean, se: Math.sqrt(Math.max(v, 0) / n) };
}

export class RollingScorecard {
  /**
   * The window as columns in a ring of `windowTicks` slots: the labels, and one column per candidate
   * (NaN where it made no forecast). Scoring every candidate every tick scans the window several
   * times; typed columns keep those scans free of per-tick allocation and dictionary lookups.
   */
  private readonly labels: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  /** Ticks added since the start; the newest is in slot (added − 1) % windowTicks. */
  private added = 0;
  private readonly scratchY: Float64Array;
  private readonly scratchF: Float64Array;
  private readonly scratchD: Float64Array;
  /** Scores asked for since the last change (the rule, the report and the switch log ask alike). */
  private readonly cache = new Map<string, CandidateScore | LossDifference | null>();

  constructor(
    /** Ticks kept (the window). */
    readonly windowTicks: number,
    /** Lags of the Newey–West standard error: horizon / tick − 1. */
    readonly hacLags: number,
  ) {
    if (!(Number.isInteger(windowTicks) && windowTicks > 1)) throw new RangeError(`window ${windowTicks}`);
    this.labels = new Float64Array(windowTicks);
    this.scratchY = new Float64Array(windowTicks);
    this.scratchF = new Float64Array(windowTicks);
    this.scratchD = new Float64Array(windowTicks);
  }

  add(tick: ScoredTick): void {
    this.cache.clear();
    const slot = this.added % this.windowTicks;
    this.labels[slot] = tick.label;
    for (const column of this.columns.values()) column[slot] = Number.NaN;
    for (const name in tick.forecasts) {
      const v = tick.forecasts[name] as number;
      let column = this.columns.get(name);
      if (!column) {
        column = new Float64Array(this.windowTicks).fill(Number.NaN);
        this.columns.set(name, column);
      }
      column[slot] = v;
    }
    this.added++;
  }

  get size(): number {
    return Math.min(this.added, this.windowTicks);
  }

  /** The ring slot of the j-th tick of the window, oldest first. */
  private slotOf(j: number): number {
    return (this.added - this.size + j) % this.windowTicks;
  }

  /** Forgets one candidate's past forecasts (a new model under an old name starts a new record). */
  forget(name: string): void {
    this.cache.clear();
    this.columns.delete(name);
  }

  /** Every candidate name with a forecast in the window. */
  names(): string[] {
    const out: string[] = [];
    for (const [name, column] of this.columns) {
      for (let j = 0; j < this.size; j++)
        if (Number.isFinite(column[this.slotOf(j)] as number)) {
          out.push(name);
          break;
        }
    }
    return out;
  }

  /**
   * One candidate's scores over the window (null before its first scored tick). `alsoWith` restricts
   * to ticks where that candidate forecast too (same rows, e.g. for a ratio to the oracle's).
   */
  score(name: string, alsoWith?: string): CandidateScore | null {
    const key = `s:${name}:${alsoWith ?? ''}`;
    if (this.cache.has(key)) return this.cache.get(key) as CandidateScore | null;
    const s = this.computeScore(name, alsoWith);
    this.cache.set(key, s);
    return s;
  }

  private computeScore(name: string, alsoWith?: string): CandidateScore | null {
    const column = this.columns.get(name);
    if (!column) return null;
    const other = alsoWith === undefined ? undefined : this.columns.get(alsoWith);
    if (alsoWith !== undefined && !other) return null;
    const { scratchY: y, scratchF: f, scratchD: d } = this;
    let n = 0;
    for (let j = 0; j < this.size; j++) {
      const slot = this.slotOf(j);
      const v = column[slot] as number;
      if (!Number.isFinite(v)) continue;
      if (other && !Number.isFinite(other[slot] as number)) continue;
      const label = this.labels[slot] as number;
      y[n] = label;
      f[n] = v;
      d[n] = (label * BP) ** 2 - ((label - v) * BP) ** 2;
      n++;
    }
    if (n === 0) return null;
    const s = scoreForecast(y.subarray(0, n), f.subarray(0, n));
    const nw = neweyWestMean(d.subarray(0, n), this.hacLags);
    return {
      ...s,
      vsRandomWalk: { n, meanBp2: nw.mean, seBp2: nw.se, t: nw.se > 0 ? nw.mean / nw.se : 0 },
      slope: this.calibrationSlope(y.subarray(0, n), f.subarray(0, n), d.subarray(0, n)),
    };
  }

  /**
   * loss(a) − loss(b) over the ticks where both forecast (null when there are none), each forecast
   * multiplied by its scale (the scales they would be served at now; 1 by default).
   */
  lossDifference(a: string, b: string, scaleA = 1, scaleB = 1): LossDifference | null {
    const key = `d:${a}:${b}:${scaleA}:${scaleB}`;
    if (this.cache.has(key)) return this.cache.get(key) as LossDifference | null;
    const r = this.computeLossDifference(a, b, scaleA, scaleB);
    this.cache.set(key, r);
    return r;
  }

  private computeLossDifference(a: string, b: string, scaleA: number, scaleB: number): LossDifference | null {
    const columnA = a === RANDOM_WALK ? undefined : this.columns.get(a);
    const columnB = b === RANDOM_WALK ? undefined : this.columns.get(b);
    if ((a !== RANDOM_WALK && !columnA) || (b !== RANDOM_WALK && !columnB)) return null;
    const d = this.scratchD;
    let n = 0;
    for (let j = 0; j < this.size; j++) {
      const slot = this.slotOf(j);
      const fa = columnA ? (columnA[slot] as number) : 0;
      const fb = columnB ? (columnB[slot] as number) : 0;
      if (!Number.isFinite(fa) || !Number.isFinite(fb)) continue;
      const label = this.labels[slot] as number;
      d[n++] = ((label - scaleA * fa) * BP) ** 2 - ((label - scaleB * fb) * BP) ** 2;
    }
    if (n === 0) return null;
    const nw = neweyWestMean(d.subarray(0, n), this.hacLags);
    return { n, meanBp2: nw.mean, seBp2: nw.se, t: nw.se > 0 ? nw.mean / nw.se : 0 };
  }

  /** b = Σ f·y / Σ f², its standard error from the Newey–West variance of the scores f·(y − b·f). */
  private calibrationSlope(y: Float64Array, f: Float64Array, scratch: Float64Array): CalibrationSlope {
    const n = y.length;
    let fy = 0;
    let ff = 0;
    for (let i = 0; i < n; i++) {
      const fi = (f[i] as number) * BP;
      fy += fi * (y[i] as number) * BP;
      ff += fi * fi;
    }
    if (!(ff > 0)) return { b: 0, se: Number.POSITIVE_INFINITY, t: 0, meanF2Bp2: 0 };
    const b = fy / ff;
    for (let i = 0; i < n; i++) {
      const fi = (f[i] as number) * BP;
      scratch[i] = fi * ((y[i] as number) * BP - b * fi);
    }
    const se = neweyWestMean(scratch, this.hacLags).se / (ff / n);
    return { b, se, t: se > 0 ? b / se : 0, meanF2Bp2: ff / n };
  }
}
