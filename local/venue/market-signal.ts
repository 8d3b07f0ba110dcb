/**
 * How much of the synthetic market's next 10 s return can be forecast, measured the way `npm run
 * eval` measures the 2024 recording: the market's tape replayed through the feature code
 * (core/model/feature-replay.ts), labelled rows on the 2 s grid (core/model/dataset.ts), an
 * expanding-window purged walk-forward (core/model/split.ts), the closed-form ridge with its penalty
 * picked on validation (core/model/baselines.ts), every forecast scored on the same held-out rows.
 * Beside it, the oracle (the venue's conditional expectation): its RMSE ratio on the same rows and its
 * unbiasedness (the slope of the realised return regressed on it, over every labelled row). Pure: the
 * market is driven by its own clock.
 */

import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../../core/features/feature-names.ts';
import { LABEL_HORIZON_US } from '../../core/features/label.ts';
import {
  micropriceForecast,
  momentumForecast,
  ridgeForecast,
  selectRidge,
} from '../../core/model/baselines.ts';
import { completeRows, datasetFromReplay, type LabelledRow } from '../../core/model/dataset.ts';
import { FeatureReplay } from '../../core/model/feature-replay.ts';
import { type ForecastScore, scoreForecast } from '../../core/model/metrics.ts';
import { fitNormalisation, standardiseRows } from '../../core/model/normalisation.ts';
import { walkForwardFolds } from '../../core/model/split.ts';
import { MarketStatistics, type MarketStatisticsSummary } from './market-statistics.ts';
import { SyntheticMarket, type SyntheticMarketParams, TICK } from './sources/synthetic-market.ts';
import { syntheticTape } from './sources/synthetic-tape.ts';

export interface MarketSignalOptions {
  market: Omit<SyntheticMarketParams, 'symbol'>;
  durationUs: number;
  /** Walk-forward folds. @default 4 (eval's default) */
  folds?: number;
}

export interface MarketSignal {
  marketSeconds: number;
  statistics: MarketStatisticsSummary;
  /** Labelled rows with every feature finite, and the held-out ones scored. */
  rows: number;
  heldOut: number;
  scores: { ridge: ForecastScore; momentum: ForecastScore; microprice: ForecastScore; oracle: ForecastScore };
  ridgeLambdas: number[];
  /** Over every labelled row: realised = a + slope × oracle (1 when the oracle is unbiased). */
  oracleSlope: number;
  oracleSlopeStdErr: number;
  oracleAll: ForecastScore;
  /** Pearson correlation of each feature with the oracle forecast, over every labelled row. */
  featureOracleCorrelation: Record<FeatureName, number>;
  /** Tape events (diffs + trades) per wall second, market + replay. */
  eventsPerS: number;
}

export function measureMarketSignal(o: MarketSignalOptions): MarketSignal {
  const t0 = performance.now();
  const market = new SyntheticMarket({ symbol: 'BTCUSDT', ...o.market });
  const statistics = new MarketStatistics('BTCUSDT', TICK);
  statistics.observe(market.openingSnapshot());
  const replay = new FeatureReplay();
  const oracle = new Map<number, number>();
  let events = 0;
  for (const item of syntheticTape(market, {
    untilUs: o.market.startTimeUs + o.durationUs,
    observe: (e) => statistics.observe(e),
  })) {
    if (item.kind === 'oracle') oracle.set(item.timeUs, item.forecast);
    else {
      replay.push(item.event);
      events++;
    }
  }
  const { vectors, mids } = replay.finish();
  const seconds = (performance.now() - t0) / 1000;
  const all = completeRows(datasetFromReplay(vectors, mids, 'synthetic').rows).rows.filter((r) =>
    oracle.has(r.eventTimeUs),
  );
  const oracleOf = (r: LabelledRow) => oracle.get(r.eventTimeUs) as number;

  const splits = walkForwardFolds(
    all.map((r) => r.eventTimeUs),
    { horizonUs: LABEL_HORIZON_US, folds: o.folds ?? 4 },
  );
  const tested: LabelledRow[] = [];
  const ridge: number[] = [];
  const ridgeLambdas: number[] = [];
  for (const split of splits) {
    const pick = (idx: number[]) => idx.map((i) => all[i] as LabelledRow);
    const train = pick(split.train);
    const validation = pick(split.validation);
    const test = pick(split.test);
    const norm = fitNormalisation(train.map((r) => r.x));
    const z = (rows: LabelledRow[]) =>
      standardiseRows(
        rows.map((r) => r.x),
        norm,
      );
    const model = selectRidge(
      z(train),
      train.map((r) => r.label),
      z(validation),
      validation.map((r) => r.label),
      FEATURE_COUNT,
    );
    ridgeLambdas.push(model.lambda);
    const testZ = z(test);
    for (let i = 0; i < test.length; i++)
      ridge.push(ridgeForecast(model, testZ.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
    tested.push(...test);
  }
  const labels = tested.map((r) => r.label);
  const score = (f: number[]) => scoreForecast(labels, f);

  // Unbiasedness over every row: OLS of the realised return on the oracle.
  const x = all.map(oracleOf);
  const y = all.map((r) => r.label);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += ((x[i] as number) - mx) ** 2;
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
  }
  const slope = sxx > 0 ? sxy / sxx : Number.NaN;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += ((y[i] as number) - my - slope * ((x[i] as number) - mx)) ** 2;
  // Overlapping 10 s labels on a 2 s grid: residuals are correlated over 5 rows, so the plain OLS
  // error is inflated by about √5 (the effective sample is n / 5).
  const stdErr =
    sxx > 0 ? Math.sqrt(sse / (n - 2) / sxx) * Math.sqrt(LABEL_HORIZON_US / 2_000_000) : Number.NaN;

  return {
    marketSeconds: o.durationUs / 1e6,
    statistics: statistics.summary(),
    rows: all.length,
    heldOut: tested.length,
    scores: {
      ridge: score(ridge),
      momentum: score(tested.map((r) => momentumForecast(r.x))),
      microprice: score(tested.map((r) => micropriceForecast(r.x))),
      oracle: score(tested.map(oracleOf)),
    },
    ridgeLambdas,
    oracleSlope: slope,
    oracleSlopeStdErr: stdErr,
    oracleAll: scoreForecast(y, x),
    featureOracleCorrelation: Object.fromEntries(
      FEATURE_NAMES.map((name, j) => [
        name,
        correlation(
          all.map((r) => r.x[j] as number),
          x,
        ),
      ]),
    ) as Record<FeatureName, number>,
    eventsPerS: events / seconds,
  };
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}
