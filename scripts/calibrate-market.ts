/**
 * `npm run calibrate:market -- [--minutes 60] [--seed 1] [--informed-flow off|on|<strength>]`: drives
 * the synthetic market at full speed and prints ONE JSON line with its calibrated statistics (10 s
 * return std, trades/s, one-tick spread share, levels per diff), what the project's ridge reaches on
 * it under eval's walk-forward (RMSE ratio to the random walk, correlation), and the oracle's RMSE
 * ratio and unbiasedness slope (local/venue/market-signal.ts). docs/adr/0080-informed-flow.md.
 */
import { parseArgs } from 'node:util';
import { measureMarketSignal } from '../local/venue/market-signal.ts';
import { parseInformedFlow } from '../local/venue/sources/informed-flow.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    'informed-flow': { type: 'string', default: 'on' },
    folds: { type: 'string', default: '4' },
  },
  allowPositionals: false,
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
if (!(minutes > 0) || !Number.isInteger(seed)) {
  console.error(
    'Usage: npm run calibrate:market -- [--minutes 60] [--seed 1] [--informed-flow off|on|<strength>]',
  );
  process.exit(2);
}
let informedFlow: ReturnType<typeof parseInformedFlow>;
try {
  informedFlow = parseInformedFlow(values['informed-flow']);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const START_US = 1_723_161_600_000_000;
const r = measureMarketSignal({
  market: { seed, startTimeUs: START_US, informedFlow },
  durationUs: minutes * 60e6,
  folds: Number(values.folds),
});
const round = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));
const brief = (s: {
  n: number;
  rmseRatioVsRandomWalk: number;
  corr: number | null;
  hitRate: number | null;
}) => ({
  n: s.n,
  rmseRatio: round(s.rmseRatioVsRandomWalk),
  corr: round(s.corr),
  hitRate: round(s.hitRate),
});
const st = r.statistics;
console.log(
  JSON.stringify({
    bench: 'calibrate-market',
    seed,
    informedFlow: values['informed-flow'],
    marketMinutes: minutes,
    returnStdBp10s: round(st.returnStdBp10s, 3),
    tradesPerS: round(st.tradesPerS, 2),
    maxTradesIn1s: st.maxTradesIn1s,
    oneTickSpreadShare: round(st.oneTickSpreadShare, 4),
    meanLevelsPerDiff: round(st.meanLevelsPerDiff, 2),
    p99LevelsPerDiff: st.p99LevelsPerDiff,
    rows: r.rows,
    ridge: brief(r.scores.ridge),
    momentum: brief(r.scores.momentum),
    microprice: brief(r.scores.microprice),
    oracle: brief(r.scores.oracle),
    oracleAllRows: brief(r.oracleAll),
    oracleSlope: round(r.oracleSlope, 3),
    oracleSlopeStdErr: round(r.oracleSlopeStdErr, 3),
    ridgeLambdas: r.ridgeLambdas,
    featureOracleCorrelation: Object.fromEntries(
      Object.entries(r.featureOracleCorrelation).map(([k, v]) => [k, round(v, 3)]),
    ),
    eventsPerS: Math.round(r.eventsPerS),
  }),
);
