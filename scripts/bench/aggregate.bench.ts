/**
 * `npm run bench:aggregate`: the aggregator on realistic batches against the local Redis (database
 * 15, so a developer's data is never touched). The 2024 recording's message mix (depth diffs,
 * trades, bookTicker as bestBidAsk) is encoded to SBE, packed into frame envelopes per stream as the
 * ingestor writes them, grouped into Kinesis batches, anchored from the recorded REST snapshot,
 * then timed through Aggregator.process. BENCH_SYMBOLS=N (default 1) carries the same recording for N
 * symbols (BTCUSDT, SYM1USDT…), interleaved frame by frame in the same streams as one shard would
 * hold them, each anchored from the same snapshot, to show how the aggregator's rate and Redis'
 * memory grow with symbols. Prints one JSON line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { type JsonStreamMessage, jsonToSbe } from '../../core/binance/json-stream.ts';
import { EnvelopeBuilder } from '../../core/envelope/frame-envelope.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { encodeMessage } from '../../core/sbe/encoder.ts';
import { Aggregator, type AggregatorRecord } from '../../lambdas/aggregator/aggregator.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

/** Frames per Kinesis record and records per invocation: 1,000 events per batch. */
const FRAMES_PER_RECORD = 100;
const RECORDS_PER_BATCH = 10;

const dataDir = process.env.SHARED_DATA_DIR ?? join(import.meta.dirname, '../../../shared/data');
const files = [
  'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
].map((f) => join(dataDir, f));
const snapshotFile = join(dataDir, 'depth/spot_btcusdt_20240808-09_rest_snapshot_limit1000.json');
if (!files.every(existsSync) || !existsSync(snapshotFile)) {
  console.error(`bench:aggregate needs the 2024 recording under ${dataDir}.`);
  process.exit(2);
}

const symbolCount = Number(process.env.BENCH_SYMBOLS ?? 1);
if (!Number.isInteger(symbolCount) || symbolCount < 1) {
  console.error(`BENCH_SYMBOLS=${process.env.BENCH_SYMBOLS} is not a positive integer.`);
  process.exit(2);
}
const symbols = ['BTCUSDT', ...Array.from({ length: symbolCount - 1 }, (_, i) => `SYM${i + 1}USDT`)];

// The recording, in order, as SBE frames tagged with their stream (once per symbol).
type Stream = 'depth' | 'trade' | 'bba';
const frames: { stream: Stream; bytes: Uint8Array; levels: number }[] = [];
let lastTimeUs = 0;
for (const file of files) {
  for await (const line of readRecording(file)) {
    if (line.stream === 'rest:depth') continue;
    const payload = line.payload as JsonStreamMessage;
    const m = jsonToSbe(payload, lastTimeUs);
    const previousTimeUs = lastTimeUs;
    lastTimeUs = m.eventTimeUs;
    const stream: Stream =
      m.templateId === TemplateId.DepthDiff ? 'depth' : m.templateId === TemplateId.Trades ? 'trade' : 'bba';
    const levels = m.templateId === TemplateId.DepthDiff ? m.bids.length + m.asks.length : 0;
    for (const symbol of symbols) {
      const bytes =
        symbol === 'BTCUSDT'
          ? encodeMessage(m)
          : encodeMessage(jsonToSbe({ ...payload, s: symbol } as JsonStreamMessage, previousTimeUs));
      frames.push({ stream, bytes, levels });
    }
  }
}

// Kinesis batches per stream, in the order the streams would deliver them.
let sequence = 0;
const batches: { stream: Stream; records: AggregatorRecord[]; frames: number; levels: number }[] = [];
const open: Record<
  Stream,
  { records: AggregatorRecord[]; builder: EnvelopeBuilder; frames: number; levels: number }
> = {
  depth: { records: [], builder: new EnvelopeBuilder(), frames: 0, levels: 0 },
  trade: { records: [], builder: new EnvelopeBuilder(), frames: 0, levels: 0 },
  bba: { records: [], builder: new EnvelopeBuilder(), frames: 0, levels: 0 },
};
const sealRecord = (s: Stream) => {
  const o = open[s];
  if (o.builder.frameCount === 0) return;
  o.records.push({ data: o.builder.finish(), sequenceNumber: String(++sequence) });
  o.builder.reset();
};
const sealBatch = (s: Stream) => {
  sealRecord(s);
  const o = open[s];
  if (o.records.length > 0)
    batches.push({ stream: s, records: o.records, frames: o.frames, levels: o.levels });
  open[s] = { records: [], builder: new EnvelopeBuilder(), frames: 0, levels: 0 };
};
for (const f of frames) {
  const o = open[f.stream];
  o.builder.tryAdd(f.bytes, 0);
  o.frames++;
  o.levels += f.levels;
  if (o.builder.frameCount === FRAMES_PER_RECORD) sealRecord(f.stream);
  if (o.records.length === RECORDS_PER_BATCH) sealBatch(f.stream);
}
for (const s of ['depth', 'trade', 'bba'] as const) sealBatch(s);

const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15');
const dropState = async () => {
  for (const symbol of symbols) {
    const keys = await redis.keys(`*{${symbol}}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
};
await dropState();
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
const store = new RedisHotState(redis);
const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);

// Anchor: the first depth batches (as many diffs per symbol as one batch holds for one) find no book
// and are logged; the recorded REST snapshot syncs each symbol.
const warmUp = new Set(batches.filter((b) => b.stream === 'depth').slice(0, symbolCount));
for (const b of warmUp) await aggregator.process(b.records);
const raw = JSON.parse(readFileSync(snapshotFile, 'utf8'));
const toLevels = (l: [string, string][]) =>
  l.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)] as const);
const reAnchor = new ReAnchor({
  redis,
  decoder: new WasmSbeDecoder(),
  snapshots: {
    depth: async () => ({
      lastUpdateId: raw.lastUpdateId,
      bids: toLevels(raw.bids),
      asks: toLevels(raw.asks),
    }),
  },
  nowUs,
});
for (const symbol of symbols) {
  const anchored = await reAnchor.run(symbol);
  if (anchored.status !== 'swapped') throw new Error(`could not anchor ${symbol}: ${anchored.status}`);
}

let events = 0;
let levels = 0;
let roundTrips = 0;
let timed = 0;
let diffsApplied = 0;
const started = performance.now();
for (const b of batches) {
  if (warmUp.has(b)) continue;
  const outcome = await aggregator.process(b.records);
  events += b.frames;
  levels += b.levels;
  roundTrips += outcome.redisRoundTrips;
  diffsApplied += outcome.diffsApplied;
  timed++;
  if (outcome.reanchorRequests.length > 0) throw new Error('the recording should apply without a gap');
}
const seconds = (performance.now() - started) / 1000;
const top = await store.readBookTop('BTCUSDT', 1);
// Redis memory per symbol: every key of the symbol (MEMORY USAGE), averaged.
let redisBytes = 0;
for (const symbol of symbols) {
  for (const key of await redis.keys(`*{${symbol}}*`)) redisBytes += (await redis.memory('USAGE', key)) ?? 0;
}
await dropState();
await redis.quit();

console.log(
  JSON.stringify({
    bench: 'aggregate',
    symbols: symbolCount,
    eventsPerS: Math.round(events / seconds),
    levelUpdatesPerS: Math.round(levels / seconds),
    redisRoundTripsPerBatch: Math.round((roundTrips / timed) * 100) / 100,
    events,
    batches: timed,
    eventsPerBatch: FRAMES_PER_RECORD * RECORDS_PER_BATCH,
    diffsApplied,
    finalUpdateId: top.updateId,
    seconds: Math.round(seconds * 100) / 100,
    redisBytesPerSymbol: Math.round(redisBytes / symbolCount),
  }),
);
