/**
 * `npm run eval`: expanding-window walk-forward over the rows (purged; see core/model/split.ts). Each
 * fold fits every family on its history and forecasts its test block (the online learner learns
 * through the block as labels mature); the blocks tile the later rows, so every
 * scored row is predicted by a model that never saw it. The model and every baseline are scored on the
 * same concatenated rows. Hyperparameters are the defaults: nothing is tuned on the test blocks.
 */
import { GRID_US } from '../../core/features/feature-state.ts';
import { completeRows, type Dataset, type LabelledRow } from '../../core/model/dataset.ts';
import {
  type HeldOutReport,
  heldOutReport,
  regimeThreshold,
  volatileRows,
} from '../../core/model/evaluation.ts';
import type { ForecastScore } from '../../core/model/metrics.ts';
import { minimumRowsForFolds, walkForwardFolds } from '../../core/model/split.ts';
import { bestFamily, fitForecasts, fitSegment } from './fit.ts';
import type { Hyperparameters } from './hyperparameters.ts';

/** The data cannot fill a walk-forward evaluation: says how much it has and how much it needs. */
export class DataTooShortError extends Error {
  override readonly name = 'DataTooShortError';
  readonly retryable = false;
  constructor(source: string, rows: number, needed: number, spacingUs: number, folds: number) {
    const minutes = (needed * spacingUs) / 60e6;
    super(
      `${source} is too short: ${rows} complete labelled rows, and a ${folds}-fold walk-forward evaluation needs at least ${needed} (about ${minutes.toFixed(1)} minutes of market data at one row per ${spacingUs / 1000} ms).`,
    );
  }
}

export interface EvalFold {
  train: number;
  validation: number;
  test: number;
  bestEpoch: number;
  ridgeLambda: number;
}

export interface WalkForwardEval {
  report: HeldOutReport;
  folds: EvalFold[];
  droppedIncomplete: number;
}

export async function runWalkForwardEval(
  dataset: Dataset,
  hp: Hyperparameters,
  onFold?: (k: number, of: number) => void,
): Promise<WalkForwardEval> {
  const { rows, dropped } = completeRows(dataset.rows);
  const options = { horizonUs: dataset.horizonUs, purgeUs: hp.purgeUs, folds: hp.folds };
  const times = rows.map((r) => r.eventTimeUs);
  // Rows are one grid step apart where the market was seen; the median step is that grid.
  const steps = times
    .slice(1)
    .map((t, i) => t - (times[i] as number))
    .sort((a, b) => a - b);
  const spacingUs = steps[Math.floor(steps.length / 2)] ?? GRID_US;
  const needed = minimumRowsForFolds(spacingUs, options);
  if (rows.length < needed)
    throw new DataTooShortError(dataset.source, rows.length, needed, spacingUs, hp.folds);
  const splits = walkForwardFolds(times, options);
  const tested: LabelledRow[] = [];
  const volatile: boolean[] = [];
  const forecasts: Record<string, number[]> = {};
  const folds: EvalFold[] = [];
  for (const [k, split] of splits.entries()) {
    onFold?.(k + 1, splits.length);
    const pick = (idx: number[]) => idx.map((i) => rows[i] as LabelledRow);
    const train = pick(split.train);
    const validation = pick(split.validation);
    const test = pick(split.test);
    const fit = await fitSegment(train, validation, hp);
    const f = fitForecasts(fit, test, [...train, ...validation]);
    fit.mlp.model.dispose();
    tested.push(...test);
    volatile.push(...volatileRows(test, regimeThreshold(train)));
    for (const [name, values] of Object.entries(f)) {
      forecasts[name] ??= [];
      forecasts[name].push(...values);
    }
    folds.push({
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      bestEpoch: fit.mlp.bestEpoch,
      ridgeLambda: fit.ridge.lambda,
    });
  }
  const report = heldOutReport(tested, forecasts, volatile);
  return { report, folds, droppedIncomplete: dropped };
}

const round = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits));

const brief = (s: ForecastScore | null | undefined) =>
  s
    ? {
        n: s.n,
        rmseBp: round(s.rmseBp),
        rmseRatioVsRandomWalk: round(s.rmseRatioVsRandomWalk),
        corr: round(s.corr),
        hitRate: round(s.hitRate),
      }
    : null;

const FAMILIES = ['randomWalk', 'momentum', 'microprice', 'ridge', 'mlp', 'online'] as const;

/**
 * The one-line scorecard `npm run eval` prints: every family on the same rows, and the offline family
 * the train job would promote (lowest held-out RMSE, if it beats the random walk; no champion here).
 * The top-level rmseRatioVsRandomWalk / corr / hitRate are the MLP's, as before the families.
 */
export function evalScorecard(e: WalkForwardEval, source: string): Record<string, unknown> {
  const s = e.report.scores;
  const m = s.mlp?.all as ForecastScore;
  const families: Record<string, unknown> = {};
  for (const name of FAMILIES) families[name] = brief(s[name]?.all);
  const baselines: Record<string, unknown> = {};
  for (const name of ['randomWalk', 'momentum', 'microprice', 'ridge']) baselines[name] = brief(s[name]?.all);
  const regimes: Record<string, unknown> = {};
  for (const regime of ['quiet', 'volatile'] as const) {
    regimes[regime] = Object.fromEntries(FAMILIES.map((name) => [name, brief(s[name]?.[regime])]));
  }
  const best = bestFamily(e.report);
  const bestScore = s[best]?.all as ForecastScore;
  const randomWalkRmse = s.randomWalk?.all.rmseBp as number;
  return {
    bench: 'eval',
    source,
    n: e.report.n,
    rmseRatioVsRandomWalk: round(m.rmseRatioVsRandomWalk),
    corr: round(m.corr),
    hitRate: round(m.hitRate),
    hitN: m.hitN,
    rmseBp: round(m.rmseBp),
    randomWalkRmseBp: round(randomWalkRmse),
    families,
    bestOfflineFamily: best,
    wouldPromote: bestScore.rmseBp < randomWalkRmse && e.report.n >= 30 ? best : null,
    baselines,
    regimes,
    folds: e.folds.length,
    trainRowsPerFold: e.folds.map((f) => f.train),
    bestEpochs: e.folds.map((f) => f.bestEpoch),
    ridgeLambdas: e.folds.map((f) => f.ridgeLambda),
    droppedIncomplete: e.droppedIncomplete,
    spanUs: [e.report.fromUs, e.report.toUs],
  };
}
