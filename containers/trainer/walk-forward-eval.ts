/**
 * `npm run eval`: expanding-window walk-forward over the rows (purged; see core/model/split.ts). Each
 * fold fits on its history and forecasts its test block; the blocks tile the later rows, so every
 * scored row is predicted by a model that never saw it. The model and every baseline are scored on the
 * same concatenated rows. Hyperparameters are the defaults: nothing is tuned on the test blocks.
 */
import { completeRows, type Dataset, type LabelledRow } from '../../core/model/dataset.ts';
import {
  baselineForecasts,
  type HeldOutReport,
  heldOutReport,
  regimeThreshold,
  volatileRows,
} from '../../core/model/evaluation.ts';
import type { ForecastScore } from '../../core/model/metrics.ts';
import { walkForwardFolds } from '../../core/model/split.ts';
import { fitForecasts, fitSegment } from './fit.ts';
import type { Hyperparameters } from './hyperparameters.ts';

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
  const splits = walkForwardFolds(
    rows.map((r) => r.eventTimeUs),
    { horizonUs: dataset.horizonUs, purgeUs: hp.purgeUs, folds: hp.folds },
  );
  const tested: LabelledRow[] = [];
  const volatile: boolean[] = [];
  const model: number[] = [];
  const ridge: number[] = [];
  const folds: EvalFold[] = [];
  for (const [k, split] of splits.entries()) {
    onFold?.(k + 1, splits.length);
    const pick = (idx: number[]) => idx.map((i) => rows[i] as LabelledRow);
    const train = pick(split.train);
    const test = pick(split.test);
    const fit = await fitSegment(train, pick(split.validation), hp);
    const f = fitForecasts(fit, test);
    fit.mlp.model.dispose();
    tested.push(...test);
    volatile.push(...volatileRows(test, regimeThreshold(train)));
    model.push(...f.model);
    ridge.push(...f.ridge);
    folds.push({
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      bestEpoch: fit.mlp.bestEpoch,
      ridgeLambda: fit.ridge.lambda,
    });
  }
  const report = heldOutReport(tested, { model, ...baselineForecasts(tested), ridge }, volatile);
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

/** The one-line scorecard `npm run eval` prints. */
export function evalScorecard(e: WalkForwardEval, source: string): Record<string, unknown> {
  const s = e.report.scores;
  const m = s.model?.all as ForecastScore;
  const baselines: Record<string, unknown> = {};
  for (const name of ['randomWalk', 'momentum', 'microprice', 'ridge']) baselines[name] = brief(s[name]?.all);
  const regimes: Record<string, unknown> = {};
  for (const regime of ['quiet', 'volatile'] as const) {
    regimes[regime] = Object.fromEntries(
      ['model', 'randomWalk', 'momentum', 'microprice', 'ridge'].map((name) => [
        name,
        brief(s[name]?.[regime]),
      ]),
    );
  }
  return {
    bench: 'eval',
    source,
    n: e.report.n,
    rmseRatioVsRandomWalk: round(m.rmseRatioVsRandomWalk),
    corr: round(m.corr),
    hitRate: round(m.hitRate),
    hitN: m.hitN,
    rmseBp: round(m.rmseBp),
    randomWalkRmseBp: round(s.randomWalk?.all.rmseBp),
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
