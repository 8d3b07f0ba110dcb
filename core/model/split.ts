/**
 * Walk-forward splits by time with a purge gap (López de Prado, "Advances in Financial Machine
 * Learning", ch. 7). A row at t is labelled with the mid over (t, t + horizon]; every row kept in a
 * segment lies at least `purgeUs` (>= the horizon) before the first row kept in the next one, so
 * no training label window reaches into validation or test, and no validation label (which early
 * stopping and the ridge penalty look at) reaches into test. Rows inside the gap are left unused.
 * Segments are cut by row count on the time-sorted rows. Pure.
 */

export interface Split {
  /** Indices into the time-sorted rows, ascending. */
  train: number[];
  validation: number[];
  test: number[];
}

export interface SplitOptions {
  horizonUs: number;
  /** Gap between segments; at least the horizon. Default: the horizon. */
  purgeUs?: number;
  /** Share of rows (before purging) for training. Default 0.6. */
  trainFraction?: number;
  /** Share of rows for validation. Default 0.2; the rest is the held-out test span. */
  validationFraction?: number;
}

export interface FoldOptions {
  horizonUs: number;
  purgeUs?: number;
  /** Number of consecutive test blocks. Default 4. */
  folds?: number;
  /** Share of rows before the first test block. Default 0.4. */
  initialFraction?: number;
  /** Share of each fold's history used for validation (its most recent part). Default 0.25. */
  validationFraction?: number;
}

export class SplitError extends Error {
  override readonly name = 'SplitError';
  constructor(reason: string) {
    super(`Cannot split the rows: ${reason}.`);
  }
}

function checkTimes(times: readonly number[]): void {
  for (let i = 1; i < times.length; i++)
    if (!((times[i] as number) > (times[i - 1] as number)))
      throw new SplitError(`times are not strictly increasing at index ${i}`);
}

function purgeOf(horizonUs: number, purgeUs: number | undefined): number {
  const purge = purgeUs ?? horizonUs;
  if (!(horizonUs > 0)) throw new SplitError(`horizon ${horizonUs} µs is not positive`);
  if (!(purge >= horizonUs))
    throw new SplitError(`purge ${purge} µs is shorter than the ${horizonUs} µs horizon`);
  return purge;
}

/**
 * Consecutive segments [cuts[0], cuts[1]), [cuts[1], cuts[2]), … of the sorted rows. The last segment
 * is kept whole; each earlier one loses its rows closer than `purgeUs` to the first row kept after
 * it (purging the earlier side keeps every test row).
 */
export function purgedSegments(
  times: readonly number[],
  cuts: readonly number[],
  purgeUs: number,
): number[][] {
  const segments: number[][] = [];
  let nextKept = Number.POSITIVE_INFINITY;
  for (let s = cuts.length - 2; s >= 0; s--) {
    const seg: number[] = [];
    for (let i = cuts[s] as number; i < (cuts[s + 1] as number); i++) {
      if (nextKept - (times[i] as number) >= purgeUs) seg.push(i);
    }
    if (seg.length > 0) nextKept = times[seg[0] as number] as number;
    segments.unshift(seg);
  }
  return segments;
}

/** One train / validation / test split; the test span is the most recent rows. */
export function walkForwardSplit(times: readonly number[], options: SplitOptions): Split {
  checkTimes(times);
  const purge = purgeOf(options.horizonUs, options.purgeUs);
  const trainFraction = options.trainFraction ?? 0.6;
  const validationFraction = options.validationFraction ?? 0.2;
  if (!(trainFraction > 0 && validationFraction > 0 && trainFraction + validationFraction < 1))
    throw new SplitError(`fractions ${trainFraction} and ${validationFraction} leave no test span`);
  const n = times.length;
  const a = Math.floor(n * trainFraction);
  const b = Math.floor(n * (trainFraction + validationFraction));
  const [train = [], validation = [], test = []] = purgedSegments(times, [0, a, b, n], purge);
  if (train.length === 0 || validation.length === 0 || test.length === 0)
    throw new SplitError(`${n} rows leave an empty segment after purging ${purge} µs`);
  return { train, validation, test };
}

/**
 * Expanding-window walk-forward: fold k trains on everything before its test block (the most recent
 * part of that history for validation), purged before both boundaries. Test blocks tile the rows
 * after the initial history, so every row there is predicted exactly once, by a model that never saw
 * it nor any label overlapping it.
 */
export function walkForwardFolds(times: readonly number[], options: FoldOptions): Split[] {
  checkTimes(times);
  const purge = purgeOf(options.horizonUs, options.purgeUs);
  const folds = options.folds ?? 4;
  const initial = options.initialFraction ?? 0.4;
  const validationFraction = options.validationFraction ?? 0.25;
  if (!(Number.isInteger(folds) && folds >= 1))
    throw new SplitError(`folds ${folds} is not a positive integer`);
  if (!(initial > 0 && initial < 1 && validationFraction > 0 && validationFraction < 1))
    throw new SplitError('fractions must be inside (0, 1)');
  const n = times.length;
  const first = Math.floor(n * initial);
  const out: Split[] = [];
  for (let k = 0; k < folds; k++) {
    const testStart = first + Math.floor(((n - first) * k) / folds);
    const testEnd = first + Math.floor(((n - first) * (k + 1)) / folds);
    const valStart = Math.floor(testStart * (1 - validationFraction));
    const [train = [], validation = [], test = []] = purgedSegments(
      times,
      [0, valStart, testStart, testEnd],
      purge,
    );
    if (train.length === 0 || validation.length === 0 || test.length === 0)
      throw new SplitError(`fold ${k + 1} of ${folds} is empty after purging (${n} rows)`);
    out.push({ train, validation, test });
  }
  return out;
}

/**
 * The fewest rows, `spacingUs` apart, that walkForwardFolds can split with these options (Infinity
 * beyond ten million): what a data set too short for the evaluation is told it needs.
 */
export function minimumRowsForFolds(spacingUs: number, options: FoldOptions): number {
  const fits = (n: number) => {
    try {
      walkForwardFolds(
        Array.from({ length: n }, (_, i) => i * spacingUs),
        options,
      );
      return true;
    } catch {
      return false;
    }
  };
  let high = 16;
  while (!fits(high)) {
    high *= 2;
    if (high > 10_000_000) return Number.POSITIVE_INFINITY;
  }
  let low = high / 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) high = mid;
    else low = mid;
  }
  return high;
}
