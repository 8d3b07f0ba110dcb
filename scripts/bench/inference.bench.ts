/**
 * `npm run bench:inference`: the inference service's tick against the local Redis (database 15):
 * one round trip reading the top of book, the feature vector and the trade windows' state (60 s of
 * trades, parsed to complete the trade features), a forecast from every candidate (random walk,
 * momentum, microprice, the online learner, and an MLP of the trainer's default architecture with
 * seeded weights as the champion), one round trip writing the prediction and the score; then, off the
 * latency path, scoring of every candidate, learning and the champion rule. Latency from the tick to the prediction written.
 * The state is built by the real aggregator and re-anchor from a synthetic depth feed and trades.
 * `tickCpu*` is the process's CPU time during each whole tick (scoring included): on a shared machine
 * the wall-clock latencies carry everyone else's load, the CPU time mostly the tick's own cost.
 */
import { Redis } from 'ioredis';
import { InferenceService } from '../../containers/inference/inference-service.ts';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { MODEL_ARTIFACT_FORMAT, type ModelArtifact } from '../../core/model/artifact.ts';
import { forecasterFromArtifact } from '../../core/model/forecaster.ts';
import { Rng } from '../../core/random/rng.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, toRecords } from '../../test/support/depth-feed.ts';
import { TradeTape } from '../../test/support/trade-tape.ts';

const TICKS = Number(process.env.BENCH_TICKS ?? 2000);
const SYMBOL = 'BENCHINFUSDT';

const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15');
const drop = async () => {
  const keys = await redis.keys(`*{${SYMBOL}}*`);
  if (keys.length > 0) await redis.del(...keys);
};
await drop();
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

// Hot state as the pipeline leaves it: a re-anchored book, diffs applied, a feature vector written.
const feed = new DepthFeed(SYMBOL, 9);
const store = new RedisHotState(redis);
const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);
await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
let snapshotId = feed.truth.updateId;
await new ReAnchor({
  redis,
  decoder: new WasmSbeDecoder(),
  snapshots: { depth: async () => feed.snapshotAt(snapshotId) },
  nowUs,
}).run(SYMBOL);
// 64 s of diffs with their trades: full 60 s trade windows, whose state inference reads each tick.
const trades = new TradeTape(SYMBOL);
for (let second = 0; second < 64; second++) {
  const diffs = feed.take(50);
  await aggregator.process(toRecords(trades.framesFor(diffs, feed)));
  await aggregator.process(toRecords(diffs.map((d) => d.frame)));
}
snapshotId = feed.truth.updateId;

// An MLP of the trainer's default shape with seeded weights.
const rng = new Rng(7);
const random = () => rng.next() - 0.5;
const dense = (inputs: number, units: number, activation: 'relu' | 'linear') => ({
  units,
  activation,
  kernel: Array.from({ length: inputs * units }, () => random() * 0.2),
  bias: Array.from({ length: units }, () => random() * 0.01),
});
const artifact: ModelArtifact = {
  format: MODEL_ARTIFACT_FORMAT,
  kind: 'mlp',
  version: 'v20260101T000000Z-0badc0de',
  createdAt: '2026-01-01T00:00:00Z',
  symbol: SYMBOL,
  featureVersion: FEATURE_VERSION,
  featureNames: [...FEATURE_NAMES],
  horizonUs: 10_000_000,
  normalisation: { mean: new Array(FEATURE_COUNT).fill(0), std: new Array(FEATURE_COUNT).fill(1), clipZ: 5 },
  missing: 'impute-train-mean',
  output: { unit: 'bp' },
  layers: [dense(FEATURE_COUNT, 32, 'relu'), dense(32, 16, 'relu'), dense(16, 1, 'linear')],
  training: {},
  metrics: {},
};
const champion = forecasterFromArtifact(artifact);

// Every candidate forecasts each tick (random walk, momentum, microprice, the online learner, this MLP
// as the champion); scoring, learning and the champion rule run after the write, so the tick's full
// duration (tickMs) is reported beside the latency to the prediction written.
const service = new InferenceService({ redis, store, symbols: [SYMBOL], champion: () => champion });
// 100 diffs of 20 ms between ticks: the book's time moves 2 s per tick, so every tick from the sixth on
// scores the one made 10 s before it (the feed is not part of the timing).
const advance = () => aggregator.process(toRecords(feed.take(100).map((d) => d.frame)));
for (let i = 0; i < 50; i++) {
  await advance();
  await service.tick(); // warm-up: JIT, script cache
}
service.latenciesMs.length = 0;
const tickMs: number[] = [];
// CPU time of the process during each tick (µs): what the tick costs, whatever else runs on the machine.
const tickCpuUs: number[] = [];
for (let i = 0; i < TICKS; i++) {
  await advance();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await service.tick();
  const cpu = process.cpuUsage(cpu0);
  tickCpuUs.push(cpu.user + cpu.system);
  tickMs.push(performance.now() - t0);
}
tickCpuUs.sort((a, b) => a - b);
tickMs.sort((a, b) => a - b);
const candidates = service.candidates(SYMBOL).candidates;
const latencies = [...service.latenciesMs].sort((a, b) => a - b);
const at = (p: number) =>
  Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] as number) * 1000) /
  1000;
await drop();
await redis.quit();
if (service.flagged > 0 || latencies.length !== TICKS) throw new Error(`ticks flagged: ${service.flagged}`);
console.log(
  JSON.stringify({
    bench: 'inference',
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: at(1),
    ticks: TICKS,
    tickP99Ms: Math.round((tickMs[Math.floor(0.99 * (tickMs.length - 1))] as number) * 1000) / 1000,
    tickCpuP50Ms: Math.round(tickCpuUs[Math.floor(0.5 * (tickCpuUs.length - 1))] as number) / 1000,
    tickCpuP99Ms: Math.round(tickCpuUs[Math.floor(0.99 * (tickCpuUs.length - 1))] as number) / 1000,
    candidates: Object.keys(candidates).filter((c) => c !== 'served'),
    scoredTicks: candidates['random-walk']?.n ?? 0,
    model: `mlp ${FEATURE_COUNT}-32-16-1 as champion, with every candidate`,
  }),
);
