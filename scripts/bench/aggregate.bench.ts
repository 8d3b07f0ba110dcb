/**
 * `npm run bench:aggregate`: the aggregator on realistic batches against the local Redis (database
 * 15, so a developer's data is never touched). The 2024 recording's message mix (depth diffs,
 * trades, bookTicker as bestBidAsk) is encoded to SBE, packed into frame envelopes per stream as the
 * ingestor writes them, grouped into Kinesis batches, anchored from the recorded REST snapshot,
 * then timed through Aggregator.process. Prints one JSON line.
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

// The recording, in order, as SBE frames tagged with their stream.
type Stream = 'depth' | 'trade' | 'bba';
const frames: { stream: Stream; bytes: Uint8Array; levels: number }[] = [];
let lastTimeUs = 0;
for (const file of files) {
  for await (const line of readRecording(file)) {
    if (line.stream === 'rest:depth') continue;
    const m = jsonToSbe(line.payload as JsonStreamMessage, lastTimeUs);
    lastTimeUs = m.eventTimeUs;
    const stream: Stream =
      m.templateId === TemplateId.DepthDiff ? 'depth' : m.templateId === TemplateId.Trades ? 'trade' : 'bba';
    const levels = m.templateId === TemplateId.DepthDiff ? m.bids.length + m.asks.length : 0;
    frames.push({ stream, bytes: encodeMessage(m), levels });
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
  const keys = await redis.keys('*{BTCUSDT}*');
  if (keys.length > 0) await redis.del(...keys);
};
await dropState();
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
const store = new RedisHotState(redis);
const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);

// Anchor: the first depth batch finds no book and is logged; the recorded REST snapshot syncs it.
const [firstDepth] = batches.filter((b) => b.stream === 'depth');
await aggregator.process(firstDepth?.records ?? []);
const raw = JSON.parse(readFileSync(snapshotFile, 'utf8'));
const toLevels = (l: [string, string][]) =>
  l.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)] as const);
const anchored = await new ReAnchor({
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
}).run('BTCUSDT');
if (anchored.status !== 'swapped') throw new Error(`could not anchor: ${anchored.status}`);

let events = 0;
let levels = 0;
let roundTrips = 0;
let timed = 0;
let diffsApplied = 0;
const started = performance.now();
for (const b of batches) {
  if (b === firstDepth) continue;
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
await dropState();
await redis.quit();

console.log(
  JSON.stringify({
    bench: 'aggregate',
    eventsPerS: Math.round(events / seconds),
    levelUpdatesPerS: Math.round(levels / seconds),
    redisRoundTripsPerBatch: Math.round((roundTrips / timed) * 100) / 100,
    events,
    batches: timed,
    eventsPerBatch: FRAMES_PER_RECORD * RECORDS_PER_BATCH,
    diffsApplied,
    finalUpdateId: top.updateId,
    seconds: Math.round(seconds * 100) / 100,
  }),
);
