/**
 * The training label: the log return of the mid price over the horizon,
 *   label(t) = ln(mid(t + 10 s) / mid(t)),
 * where mid(x) is the mid after the last update with event time <= x (exact on event time, not on
 * the feature grid). A label is only defined when the series was observed up to t + horizon: a series
 * that simply ends says nothing about whether the mid moved afterwards.
 */

/** 10 s: the horizon the pipeline predicts. */
export const LABEL_HORIZON_US = 10_000_000;

export interface MidPoint {
  timeUs: number;
  mid: number;
}

export interface LabelledSample<T> {
  sample: T;
  /** ln(midAhead / midNow). */
  label: number;
  midNow: number;
  midAhead: number;
}

export class LabelInputError extends Error {
  override readonly name = 'LabelInputError';
  constructor(reason: string) {
    super(`Cannot compute labels: ${reason}.`);
  }
}

/** Throws unless times never decrease (equal times are allowed: the later point wins). */
export function checkMidSeries(series: readonly MidPoint[]): void {
  for (let i = 1; i < series.length; i++) {
    if ((series[i] as MidPoint).timeUs < (series[i - 1] as MidPoint).timeUs)
      throw new LabelInputError(`mid series goes back in time at index ${i}`);
  }
}

/** Index of the last point with timeUs <= `timeUs`, or -1 (binary search; the series is sorted). */
function lastIndexAtOrBefore(series: readonly MidPoint[], timeUs: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if ((series[m] as MidPoint).timeUs <= timeUs) lo = m + 1;
    else hi = m;
  }
  return lo - 1;
}

/** mid(x): the mid after the last update at or before `timeUs`; NaN before the first. */
export function midAsOf(series: readonly MidPoint[], timeUs: number): number {
  const i = lastIndexAtOrBefore(series, timeUs);
  return i < 0 ? Number.NaN : (series[i] as MidPoint).mid;
}

/**
 * The label at `timeUs`, NaN when undefined (before the series, or t + horizon beyond
 * `observedUntilUs`, which defaults to the last point's time).
 */
export function labelAt(
  series: readonly MidPoint[],
  timeUs: number,
  horizonUs: number = LABEL_HORIZON_US,
  observedUntilUs: number = series.length > 0 ? (series[series.length - 1] as MidPoint).timeUs : -1,
): number {
  if (timeUs + horizonUs > observedUntilUs) return Number.NaN;
  return Math.log(midAsOf(series, timeUs + horizonUs) / midAsOf(series, timeUs));
}

/**
 * Pairs each sample (a feature vector, say) with its label; samples whose label is undefined are left
 * out, so the result is exactly the rows a trainer can use. The series must be sorted by time.
 */
export function pairWithLabels<T extends { eventTimeUs: number }>(
  samples: readonly T[],
  series: readonly MidPoint[],
  horizonUs: number = LABEL_HORIZON_US,
  observedUntilUs?: number,
): LabelledSample<T>[] {
  if (!(horizonUs > 0)) throw new LabelInputError(`horizon ${horizonUs} µs is not positive`);
  checkMidSeries(series);
  const until = observedUntilUs ?? (series.length > 0 ? (series[series.length - 1] as MidPoint).timeUs : -1);
  const out: LabelledSample<T>[] = [];
  for (const sample of samples) {
    const t = sample.eventTimeUs;
    if (t + horizonUs > until) continue;
    const midNow = midAsOf(series, t);
    const midAhead = midAsOf(series, t + horizonUs);
    const label = Math.log(midAhead / midNow);
    if (Number.isFinite(label)) out.push({ sample, label, midNow, midAhead });
  }
  return out;
}
