/**
 * `npm run bench:forecast [-- --hours 2 --seed 1 --retrain-min 30 --informed-flow off|<strength>]`:
 * N hours of the default synthetic market at full speed through the project's own code, no Redis or
 * Kinesis: the market's tape (local/venue/sources/synthetic-tape.ts) through FeatureReplay (the
 * aggregator's feature code), then tick by tick through the inference service's serving code
 * (core/scoring/candidate-arena.ts: every candidate's shadow forecast, rolling scorecard, champion
 * rule, online learning), with the trainer's job (containers/trainer/train-job.ts, every offline
 * family, promotion) run on the rows matured so far once 150 exist and then every `--retrain-min`
 * minutes of market time, its champion offered to the arena as the service's model provider would.
 * The venue's oracle is scored beside the candidates.
 *
 * Prints one JSON line: {"bench":"forecast","marketHours","ticks","rmseRatioServed","rmseRatioOracle",
 * "skillCaptured","rmseRatioByCandidate":{…},"servedWorseThanRandomWalk",…,"perHour":[…]}. Ratios are
 * over every scored tick; "noise" is the Newey–West standard error of the served ratio (ADR 0086), and
 * an hour is "worse than the random walk" when its served ratio is above 1 + 2 × its noise.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseHyperparameters } from '../../containers/trainer/hyperparameters.ts';
import { runTrainJob } from '../../containers/trainer/train-job.ts';
import type { FeatureVector } from '../../core/features/feature-names.ts';
import type { MidPoint } from '../../core/features/label.ts';
import { datasetFromReplay } from '../../core/model/dataset.ts';
import { FeatureReplay } from '../../core/model/feature-replay.ts';
import { type Forecaster, forecasterFromArtifact } from '../../core/model/forecaster.ts';
import { OnlineLearner } from '../../core/model/online-learner.ts';
import { CandidateArena, ORACLE, SERVED } from '../../core/scoring/candidate-arena.ts';
import { neweyWestMean, type ScoredTick } from '../../core/scoring/rolling-scorecard.ts';
import { LocalModelStore } from '../../lambdas/shared/model-store/local-model-store.ts';
import { type InformedFlowParams, parseInformedFlow } from '../../local/venue/sources/informed-flow.ts';
import { SyntheticMarket } from '../../local/venue/sources/synthetic-market.ts';
import { syntheticTape } from '../../local/venue/sources/synthetic-tape.ts';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    'retrain-min': { type: 'string', default: '30' },
    'informed-flow': { type: 'string' },
    'online-prior': { type: 'string' },
    'save-online': { type: 'string' },
  },
});
const hours = Number(values.hours);
const seed = Number(values.seed);
const retrainUs = Number(values['retrain-min']) * 60e6;
const usage =
  'usage: npm run bench:forecast -- [--hours 2] [--seed 1] [--retrain-min 30] [--informed-flow off|on|<strength>] [--online-prior <online artifact>] [--save-online <path>]';
let informedFlow: InformedFlowParams | false | undefined;
try {
  const flag = values['informed-flow'];
  informedFlow = flag === undefined ? undefined : parseInformedFlow(flag);
} catch (error) {
  console.error(`${(error as Error).message} ${usage}`);
  process.exit(2);
}
if (!(hours > 0) || !Number.isInteger(seed) || !(retrainUs > 0)) {
  console.error(usage);
  process.exit(2);
}

const HORIZON_US = 10_000_000;
const TICK_US = 2_000_000;
/** Rows the first training waits for, as a local session's first model does (local/first-model.ts). */
const FIRST_TRAINING_ROWS = 150;
const started = performance.now();
const startUs = Date.UTC(2026, 0, 1) * 1000;
const untilUs = startUs + hours * 3600e6;

// 1. The market through the feature code.
const market = new SyntheticMarket({
  symbol: 'BTCUSDT',
  seed,
  startTimeUs: startUs,
  ...(informedFlow !== undefined ? { informedFlow } : {}),
});
const replay = new FeatureReplay({ tickUs: TICK_US });
const oracle = new Map<number, number>();
let events = 0;
for (const item of syntheticTape(market, { untilUs, tickUs: TICK_US, horizonUs: HORIZON_US })) {
  if (item.kind === 'oracle') oracle.set(item.timeUs, item.forecast);
  else {
    replay.push(item.event);
    events++;
  }
}
const { vectors, mids } = replay.finish();
const replaySeconds = (performance.now() - started) / 1000;

function midAsOf(series: readonly MidPoint[], timeUs: number): number {
  let lo = 0;
  let hi = series.length - 1;
  let found = Number.NaN;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const p = series[m] as MidPoint;
    if (p.timeUs <= timeUs) {
      found = p.mid;
      lo = m + 1;
    } else hi = m - 1;
  }
  return found;
}

// 2. Tick by tick through the serving code, training as a deployment would.
const modelDir = await mkdtemp(join(tmpdir(), 'bench-forecast-'));
const store = new LocalModelStore(modelDir);
const hp = parseHyperparameters({});
let prior: OnlineLearner | undefined;
if (values['online-prior'] !== undefined) {
  try {
    prior = OnlineLearner.fromArtifact(JSON.parse(await readFile(values['online-prior'], 'utf8')));
  } catch (error) {
    console.error(`--online-prior: ${(error as Error).message} ${usage}`);
    process.exit(2);
  }
}
const arena = new CandidateArena({ horizonUs: HORIZON_US, tickUs: TICK_US }, prior);
let champion: Forecaster | undefined;
let nextTrainingUs = Number.NEGATIVE_INFINITY;
const trainings: { atMin: number; rows: number; family: string; promoted: boolean; heldOutRatio: number }[] =
  [];
const scored: ScoredTick[] = [];
const servedTicks: Record<string, number> = {};

async function train(nowUs: number): Promise<void> {
  // Only what a deployment would have at `now`: vectors served up to now, labels matured by now.
  const seen = vectors.filter((v) => v.eventTimeUs <= nowUs) as FeatureVector[];
  const dataset = datasetFromReplay(
    seen,
    mids.filter((m) => m.timeUs <= nowUs),
    'bench:forecast',
  );
  if (dataset.rows.length < FIRST_TRAINING_ROWS) return;
  const result = await runTrainJob(dataset, hp, { store, createdAt: new Date(nowUs / 1000).toISOString() });
  const family = result.metrics.family;
  trainings.push({
    atMin: Math.round((nowUs - startUs) / 60e6),
    rows: dataset.rows.length,
    family,
    promoted: result.promoted,
    heldOutRatio: Number(
      (result.metrics.heldOut.scores[family]?.all.rmseRatioVsRandomWalk ?? Number.NaN).toFixed(4),
    ),
  });
  const current = await store.getCurrent();
  if (current !== undefined) champion = forecasterFromArtifact(current);
  nextTrainingUs = nowUs + retrainUs;
}

for (const v of vectors) {
  const t = v.eventTimeUs;
  if (t % TICK_US !== 0) continue;
  if (t >= nextTrainingUs) await train(t);
  arena.setChampion(champion);
  const mid = midAsOf(mids, t);
  if (!Number.isFinite(mid)) continue;
  const tick = arena.predict(t, mid, v.values);
  servedTicks[tick.served] = (servedTicks[tick.served] ?? 0) + 1;
  const o = oracle.get(t);
  if (o !== undefined) arena.setOracle(t, o);
  scored.push(...arena.observe(t, mid).scored);
}
await rm(modelDir, { recursive: true, force: true });
if (values['save-online'] !== undefined) {
  const artifact = arena.online.toArtifact('BTCUSDT', new Date(untilUs / 1000).toISOString());
  if (artifact) await writeFile(values['save-online'], `${JSON.stringify(artifact)}\n`);
}

// 3. Figures over every scored tick, and per hour of market time.
const BP = 1e4;
function ratio(ticks: readonly ScoredTick[], name: string): { ratio: number; noise: number; n: number } {
  let se = 0;
  let rw = 0;
  const d: number[] = [];
  for (const t of ticks) {
    const f = t.forecasts[name];
    if (f === undefined || !Number.isFinite(f)) continue;
    se += ((t.label - f) * BP) ** 2;
    rw += (t.label * BP) ** 2;
    d.push((t.label * BP) ** 2 - ((t.label - f) * BP) ** 2);
  }
  const n = d.length;
  if (n === 0 || rw === 0) return { ratio: Number.NaN, noise: Number.NaN, n };
  // ratio² = 1 − mean(d) / mean(y²): a standard error of mean(d) moves the ratio by about se / (2 mean(y²)).
  const nw = neweyWestMean(d, HORIZON_US / TICK_US - 1);
  return { ratio: Math.sqrt(se / rw), noise: nw.se / (2 * (rw / n)), n };
}
const r4 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);
const skill = (served: number, oracleRatio: number) =>
  oracleRatio < 1 ? (1 - served) / (1 - oracleRatio) : Number.NaN;
const names = [...arena.candidateNames(), SERVED, ORACLE];
const byCandidate = Object.fromEntries(names.map((n) => [n, r4(ratio(scored, n).ratio)]));
const served = ratio(scored, SERVED);
const oracleAll = ratio(scored, ORACLE);
const perHour: Record<string, unknown>[] = [];
let worse = false;
for (let h = 0; h < Math.ceil(hours); h++) {
  const ticks = scored.filter(
    (t) => t.timeUs >= startUs + h * 3600e6 && t.timeUs < startUs + (h + 1) * 3600e6,
  );
  if (ticks.length === 0) continue;
  const s = ratio(ticks, SERVED);
  const o = ratio(ticks, ORACLE);
  const worseThisHour = s.ratio > 1 + 2 * s.noise;
  worse ||= worseThisHour;
  perHour.push({
    hour: h + 1,
    ticks: ticks.length,
    rmseRatioServed: r4(s.ratio),
    rmseRatioServedNoise: r4(s.noise),
    rmseRatioOracle: r4(o.ratio),
    skillCaptured: r4(skill(s.ratio, o.ratio)),
    servedWorseThanRandomWalk: worseThisHour,
    rmseRatioByCandidate: Object.fromEntries(
      arena.candidateNames().map((n) => [n, r4(ratio(ticks, n).ratio)]),
    ),
  });
}
const final = arena.report();
const afterFirstHour = scored.filter((t) => t.timeUs >= startUs + 3600e6);
const servedLater = ratio(afterFirstHour, SERVED);
const oracleLater = ratio(afterFirstHour, ORACLE);
const firstServed = arena.switches.find((s) => s.from === 'random-walk');
console.log(
  JSON.stringify({
    bench: 'forecast',
    marketHours: hours,
    seed,
    informedFlow: informedFlow ?? 'default',
    ticks: scored.length,
    rmseRatioServed: r4(served.ratio),
    rmseRatioServedNoise: r4(served.noise),
    rmseRatioOracle: r4(oracleAll.ratio),
    skillCaptured: r4(skill(served.ratio, oracleAll.ratio)),
    skillCapturedAfterHour1: r4(skill(servedLater.ratio, oracleLater.ratio)),
    firstServedAtMin: firstServed ? Number(((firstServed.timeUs - startUs) / 60e6).toFixed(1)) : null,
    onlinePrior: values['online-prior'] ?? null,
    rmseRatioByCandidate: byCandidate,
    servedWorseThanRandomWalk: worse,
    servedTicksByCandidate: servedTicks,
    switches: arena.switches.map((s) => ({
      atMin: Number(((s.timeUs - startUs) / 60e6).toFixed(1)),
      from: s.from,
      to: s.to,
      scale: r4(s.toScale),
      reason: s.reason,
    })),
    trainings,
    finalWindow: {
      served: final.served,
      skillCaptured: Object.fromEntries(
        Object.entries(final.candidates).map(([n, c]) => [n, r4(c.skillCaptured ?? Number.NaN)]),
      ),
    },
    perHour,
    events,
    replaySeconds: Number(replaySeconds.toFixed(1)),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  }),
);
