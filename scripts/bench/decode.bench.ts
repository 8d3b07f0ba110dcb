/**
 * `npm run bench:decode`: SBE decode throughput of the WASM decoder against the pure-TypeScript
 * DataView decoder and against JSON.parse (plus number conversion) of the equivalent Binance JSON
 * messages, on one realistic message mix, in one run. Prints one JSON line.
 *
 * Mix: the 2024-08-08/09 BTCUSDT recording (6,495 depth diffs, 19,904 trades, 73,174 bookTicker)
 * when ../shared/data is present, else a seeded synthetic mix with the same proportions and a
 * similar level-count distribution. SBE frames are packed into batches as a Kinesis record carries
 * them; both SBE decoders fill every field of every message into their records.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatDecimal } from '../../core/binance/decimal.ts';
import { BINANCE_EXPONENT, type JsonStreamMessage, jsonToSbe } from '../../core/binance/json-stream.ts';
import { Rng } from '../../core/random/rng.ts';
import { Field, MESSAGE_STRIDE } from '../../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { DataViewSbeDecoder } from '../../core/sbe/dataview-decoder.ts';
import { encodeMessage } from '../../core/sbe/encoder.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

/** Frames per packed batch: a Kinesis record at a few hundred frames, well under 1 MiB. */
const BATCH_FRAMES = 256;
const ROUNDS = 5;
const ROUND_MS = 600;

const dataDir = process.env.SHARED_DATA_DIR ?? join(import.meta.dirname, '../../../shared/data');
const recording = [
  'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
].map((f) => join(dataDir, f));

async function recordedMix(): Promise<JsonStreamMessage[]> {
  const messages: JsonStreamMessage[] = [];
  for (const file of recording) {
    for await (const line of readRecording(file)) {
      if (line.stream !== 'rest:depth') messages.push(line.payload as JsonStreamMessage);
    }
  }
  return messages;
}

/** Same proportions as the recording; diff sizes geometric around 46 levels, tail capped at 1000. */
function syntheticMix(): JsonStreamMessage[] {
  const rng = new Rng(42);
  const random = () => rng.next();
  const price = (ticks: number) => formatDecimal(6_000_000_000_000 + ticks * 1_000_000, BINANCE_EXPONENT);
  const qty = () => formatDecimal(Math.floor(random() * 100_000_000), BINANCE_EXPONENT);
  const levels = () =>
    Array.from({ length: Math.min(1000, Math.ceil(-Math.log(1 - random()) * 23)) }, (_, i) => [
      price(i),
      qty(),
    ]) as [string, string][];
  const out: JsonStreamMessage[] = [];
  let id = 50_093_239_189;
  for (let i = 0; i < 99_573; i++) {
    const r = random() * 99_573;
    const E = 1_723_161_255_000 + i;
    if (r < 6_495) {
      out.push({ e: 'depthUpdate', E, s: 'BTCUSDT', U: id, u: id + 20, b: levels(), a: levels() });
      id += 21;
    } else if (r < 6_495 + 19_904) {
      out.push({ e: 'trade', E, s: 'BTCUSDT', t: i, p: price(1), q: qty(), T: E, m: random() < 0.5 });
    } else {
      out.push({ u: id, s: 'BTCUSDT', b: price(0), B: qty(), a: price(1), A: qty() });
    }
  }
  return out;
}

interface PackedBatch {
  bytes: Uint8Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
}

function pack(frames: Uint8Array[]): PackedBatch[] {
  const batches: PackedBatch[] = [];
  for (let start = 0; start < frames.length; start += BATCH_FRAMES) {
    const chunk = frames.slice(start, start + BATCH_FRAMES);
    const bytes = new Uint8Array(chunk.reduce((n, f) => n + f.length, 0));
    const offsets = new Uint32Array(chunk.length);
    const lengths = new Uint32Array(chunk.length);
    let at = 0;
    chunk.forEach((f, i) => {
      bytes.set(f, at);
      offsets[i] = at;
      lengths[i] = f.length;
      at += f.length;
    });
    batches.push({ bytes, offsets, lengths });
  }
  return batches;
}

function sbePass(decoder: SbeBatchDecoder, batches: PackedBatch[]): number {
  let checksum = 0;
  for (const b of batches) {
    const out = decoder.decodeBatch(b.bytes, b.offsets, b.lengths);
    // Touch the output so no engine can skip work.
    checksum += out.ok + (out.messages[(out.count - 1) * MESSAGE_STRIDE + Field.EventTimeUs] as number);
  }
  return checksum;
}

/** JSON.parse plus the number conversion a consumer needs before it can use the message. */
function jsonPass(texts: string[]): number {
  let checksum = 0;
  for (const text of texts) {
    const m = JSON.parse(text);
    if (m.e === 'depthUpdate') {
      checksum += m.E + m.U + m.u;
      for (const [p, q] of m.b) checksum += Number(p) + Number(q);
      for (const [p, q] of m.a) checksum += Number(p) + Number(q);
    } else if (m.e === 'trade') {
      checksum += m.E + m.t + Number(m.p) + Number(m.q) + m.T;
    } else {
      checksum += m.u + Number(m.b) + Number(m.B) + Number(m.a) + Number(m.A);
    }
  }
  return checksum;
}

/** Best messages/s over ROUNDS rounds of repeated passes, each round at least ROUND_MS long. */
function measure(messages: number, pass: () => number): number {
  let best = 0;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let passes = 0;
    const start = process.hrtime.bigint();
    let elapsedMs = 0;
    do {
      sink += pass();
      passes++;
      elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    } while (elapsedMs < ROUND_MS);
    best = Math.max(best, (messages * passes) / (elapsedMs / 1000));
  }
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the checksum alive');
  return best;
}

const haveRecording = recording.every((f) => existsSync(f));
const json = haveRecording ? await recordedMix() : syntheticMix();
let lastTimeUs = 0;
const frames = json.map((m) => {
  const sbe = jsonToSbe(m, lastTimeUs);
  lastTimeUs = sbe.eventTimeUs;
  return encodeMessage(sbe);
});
const texts = json.map((m) => JSON.stringify(m));
const batches = pack(frames);
const wasm = new WasmSbeDecoder();
const ts = new DataViewSbeDecoder();

// Warm every engine up before any is timed, so the JIT state is comparable.
for (let i = 0; i < 3; i++) {
  sbePass(wasm, batches);
  sbePass(ts, batches);
  jsonPass(texts);
}
const wasmMsgsPerS = measure(frames.length, () => sbePass(wasm, batches));
const tsMsgsPerS = measure(frames.length, () => sbePass(ts, batches));
const jsonParseMsgsPerS = measure(texts.length, () => jsonPass(texts));
for (const decoder of [wasm, ts]) {
  if (decoder.stats.decoded !== decoder.stats.frames)
    throw new Error('frames failed to decode in the benchmark mix');
}

const round = (x: number) => Math.round(x);
const ratio = (x: number) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'decode',
    wasmMsgsPerS: round(wasmMsgsPerS),
    tsMsgsPerS: round(tsMsgsPerS),
    jsonParseMsgsPerS: round(jsonParseMsgsPerS),
    speedupVsJson: ratio(wasmMsgsPerS / jsonParseMsgsPerS),
    speedupVsTs: ratio(wasmMsgsPerS / tsMsgsPerS),
    mix: haveRecording ? 'recording-2024-08-08/09' : 'synthetic',
    messages: frames.length,
    sbeBytes: frames.reduce((n, f) => n + f.length, 0),
    jsonBytes: texts.reduce((n, t) => n + t.length, 0),
    batchFrames: BATCH_FRAMES,
  }),
);
