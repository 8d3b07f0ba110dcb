/**
 * `npm run bench:ingest`: venue → ingestor → kinesalite at maximum speed. The venue (the 2024
 * recording replayed, or the synthetic market calibrated on BTCUSDT) runs in a child process, kinesalite
 * in a worker thread (as in `npm start`: Kinesis is another machine), the ingestor here, through the
 * real WebSocket and AWS SDK paths. Afterwards every
 * stream is read back from Kinesis and each frame is identified by its ids, to count frames lost and
 * duplicated. In the same run, first, the ceiling: the same venue sending the same market to a client
 * that only counts frames, so the ingestor's rate is also given as its share of what the venue can
 * send on this machine at this moment. Prints one JSON line.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { binanceStreamNames } from '../../core/market/streams.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { startKinesisThread } from '../../local/emulators/emulator-thread.ts';
import type { VenueOptions, VenueStats } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { readStreamFrames } from '../../test/support/kinesis-reader.ts';

/** Market time simulated: enough frames (~0.5M) for a steady rate; it runs far faster than real time. */
const MARKET_SECONDS = Number(process.env.BENCH_MARKET_SECONDS ?? 600);

const streamNames = { trade: 'bench-trade', bestbidask: 'bench-bba', depth: 'bench-depth' };
const kinesis = await startKinesisThread(
  'ap-northeast-1',
  Object.values(streamNames),
  (level, message, fields) => console.error(`[${level}] ${message}`, fields ?? ''),
);

const recording = [
  'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
].map((f) => join(process.env.SHARED_DATA_DIR ?? join(import.meta.dirname, '../../../shared/data'), f));
const useRecording = process.env.BENCH_SOURCE !== 'sim' && recording.every((f) => existsSync(f));
const venueOptions: VenueOptions = {
  source: useRecording
    ? { kind: 'replay', path: recording, speed: 'max' }
    : { kind: 'sim', seed: 42, speed: 'max', durationUs: MARKET_SECONDS * 1_000_000 },
  startOn: 'first-subscription',
  // A replay is parsed up front so the timed run measures our pipeline, not the venue's JSON parsing
  // (the synthetic model is cheaper to run live than to hold in memory).
  preload: useRecording,
};
/** A venue in its own process, started with these options; resolves once it listens. */
async function forkVenue() {
  const child = fork(new URL('./venue-process.ts', import.meta.url), [JSON.stringify(venueOptions)], {
    execArgv: ['--import', 'tsx'],
  });
  const message = (type: string) =>
    new Promise<{ wsUrl?: string; stats?: VenueStats }>((resolve) => {
      const listener = (m: { type: string; wsUrl?: string; stats?: VenueStats }) => {
        if (m.type !== type) return;
        child.off('message', listener);
        resolve(m);
      };
      child.on('message', listener);
    });
  const listening = message('listening');
  const ended = message('ended');
  const { wsUrl } = await listening;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    wsUrl: wsUrl as string,
    ended,
    close: async () => {
      child.send('close');
      await exited;
    },
  };
}

/** The ceiling: every frame the venue sends, received by a client that only counts them. */
async function measureCeiling(): Promise<{ framesPerS: number; frames: number }> {
  const venue = await forkVenue();
  const streams = binanceStreamNames('BTCUSDT').join('/');
  const socket = new WebSocket(`${venue.wsUrl}/stream?streams=${streams}`, {
    headers: { 'X-MBX-APIKEY': 'bench' },
    perMessageDeflate: false,
  });
  let frames = 0;
  let firstAt = 0;
  let lastAt = 0;
  socket.on('message', (_data, isBinary) => {
    if (!isBinary) return;
    lastAt = performance.now();
    if (frames++ === 0) firstAt = lastAt;
  });
  const { stats } = await venue.ended;
  const sent = stats?.ws.framesSent ?? 0;
  while (frames < sent) await new Promise((r) => setTimeout(r, 5));
  socket.close();
  await venue.close();
  return { framesPerS: Math.round(frames / ((lastAt - firstAt) / 1000)), frames };
}

const ceiling = await measureCeiling();
const venue = await forkVenue();
const { wsUrl, ended } = venue;

const ingestor = new SbeIngestor({
  wsBaseUrl: wsUrl as string,
  apiKey: 'bench',
  symbols: ['BTCUSDT'],
  kinesis: kinesis.client,
  streamNames,
  staleAfterMs: 60_000,
});
const started = process.hrtime.bigint();
await ingestor.start();
const { stats } = await ended;
const framesSent = stats?.ws.framesSent ?? 0;
while (ingestor.decoder.stats.frames < framesSent) await new Promise((r) => setTimeout(r, 5));
await ingestor.publisher.flush(60_000);
const flushedAtUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
await ingestor.stop();

// Identify every stored frame by template and ids; count distinct and repeated.
const decoder = new WasmSbeDecoder();
const seen = new Set<string>();
let stored = 0;
let firstReceiveUs = Number.POSITIVE_INFINITY;
for (const name of Object.values(streamNames)) {
  for (const frame of await readStreamFrames(kinesis.client, name)) {
    const m = decoder.decode(frame.bytes);
    if (!m) continue;
    stored++;
    firstReceiveUs = Math.min(firstReceiveUs, frame.receiveTimeUs);
    const id =
      m.templateId === TemplateId.DepthDiff
        ? `d:${m.firstBookUpdateId}-${m.lastBookUpdateId}`
        : m.templateId === TemplateId.Trades
          ? `t:${m.trades[0]?.id}`
          : m.templateId === TemplateId.BestBidAsk
            ? `b:${m.bookUpdateId}`
            : `s:${m.bookUpdateId}:${m.eventTimeUs}`;
    seen.add(id);
  }
}
await venue.close();
await kinesis.close();
const framesPerS = Math.round(stored / ((flushedAtUs - firstReceiveUs) / 1e6));

console.log(
  JSON.stringify({
    bench: 'ingest',
    // From the first frame received to the last one confirmed by Kinesis.
    framesPerS,
    // The venue's send rate to a client that only counts frames, measured just before in this run.
    ceilingFramesPerS: ceiling.framesPerS,
    shareOfCeiling: Math.round((framesPerS / ceiling.framesPerS) * 100) / 100,
    lost: framesSent - seen.size,
    duplicated: stored - seen.size,
    framesSent,
    framesStored: stored,
    kinesisRecords: ingestor.publisher.recordsPut,
    framesPerRecord: Math.round(stored / Math.max(1, ingestor.publisher.recordsPut)),
    elapsedS: Math.round(elapsedS * 100) / 100,
    source: useRecording ? 'replay:2024-08-08/09' : `sim:${MARKET_SECONDS}s`,
  }),
);
process.exit(0);
