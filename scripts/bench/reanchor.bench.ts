/**
 * `npm run bench:reanchor`: re-anchoring a 5000-level-per-side book (Binance's deepest REST view)
 * in the local Redis (database 15): REST snapshot over HTTP in Binance's JSON (a local server, through
 * the real client), sync with 200 logged diffs, temporary keys, atomic swap. Prints one JSON line with
 * the whole re-anchor's P50/P99, the swap's as the caller waits for it (one round trip) and the
 * swap script's own time by Redis' clock (how long readers wait behind it), and beside them a plain
 * PING's round trip measured in the same run, the floor of any one-round-trip operation here, and
 * how much of each swap's round trip this process spent in garbage collection (V8's pauses that
 * overlap it, from `perf_hooks`): a pause while the reply waits in the socket lengthens the round
 * trip the caller sees, not the script readers wait behind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { formatDecimal } from '../../core/binance/decimal.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { encodeDepthDiff } from '../../core/sbe/encoder.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { BinanceRestClient } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { RedisBookAnchoring } from '../../lambdas/shared/redis/redis-book-anchoring.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const LEVELS_PER_SIDE = 5000;
const LOGGED_DIFFS = 200;
/** More than 100 runs, so that P99 is a percentile and not simply the slowest run. */
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const SYMBOL = 'BENCHUSDT';
const TICK = 1_000_000;

const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15');
const k = symbolKeys(SYMBOL);
const drop = async () => {
  const keys = await redis.keys(`*{${SYMBOL}}*`);
  if (keys.length > 0) await redis.del(...keys);
};
await drop();

let lastUpdateId = 1_000_000;
const mid = 6_000_000;
const snapshotJson = () =>
  JSON.stringify({
    lastUpdateId,
    bids: Array.from({ length: LEVELS_PER_SIDE }, (_, i) => [
      formatDecimal((mid - 1 - i) * TICK, -8),
      '0.12345678',
    ]),
    asks: Array.from({ length: LEVELS_PER_SIDE }, (_, i) => [
      formatDecimal((mid + 1 + i) * TICK, -8),
      '0.87654321',
    ]),
  });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': '250' });
  res.end(snapshotJson());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const restUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** V8's GC pauses of this process, and each swap's window, both on performance.now()'s clock. */
const gcPauses: [number, number][] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.startTime + e.duration]);
});
gcObserver.observe({ entryTypes: ['gc'] });
const swapWindows: [number, number][] = [];
const anchoring = new RedisBookAnchoring(redis);
const timedSwap = anchoring.swap.bind(anchoring);
anchoring.swap = async (...args) => {
  const started = performance.now();
  try {
    return await timedSwap(...args);
  } finally {
    swapWindows.push([started, performance.now()]);
  }
};

const reanchor = new ReAnchor({
  anchoring,
  decoder: new WasmSbeDecoder(),
  snapshots: new BinanceRestClient(restUrl),
  nowUs: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
});

const durations: number[] = [];
/** Index of the first swap window of the measured runs (after the warm-up). */
let firstMeasuredSwap = 0;
const swaps: number[] = [];
const swapsServer: number[] = [];
/** A PING after each run: the floor any one-round-trip operation sees on this machine right now. */
const pings: number[] = [];
for (let run = 0; run < RUNS + 3; run++) {
  // The diff log as the aggregator leaves it: diffs continuing the snapshot the REST call will return.
  await redis.del(k.diffs);
  const pipeline = redis.pipeline();
  for (let d = 1; d <= LOGGED_DIFFS; d++) {
    const id = lastUpdateId + d;
    const frame = encodeDepthDiff({
      eventTimeUs: 1_723_161_255_000_000 + id,
      firstBookUpdateId: id,
      lastBookUpdateId: id,
      priceExponent: -8,
      qtyExponent: -8,
      bids: [{ priceMantissa: (mid - 1 - (d % 50)) * TICK, qtyMantissa: d }],
      asks: [{ priceMantissa: (mid + 1 + (d % 50)) * TICK, qtyMantissa: d }],
      symbol: SYMBOL,
    });
    pipeline.xadd(k.diffs, '*', 'U', id, 'u', id, 'f', Buffer.from(frame));
  }
  await pipeline.exec();
  const result = await reanchor.run(SYMBOL);
  if (result.status !== 'swapped') throw new Error(`re-anchor ${result.status}`);
  if (result.levels !== 2 * LEVELS_PER_SIDE || result.replayed !== LOGGED_DIFFS) {
    throw new Error(`unexpected result ${JSON.stringify(result)}`);
  }
  if (run === 2) firstMeasuredSwap = swapWindows.length;
  // The first runs warm up the JIT and Redis' script cache.
  if (run >= 3) {
    durations.push(result.durationMs);
    swaps.push(result.swapMs);
    swapsServer.push(result.swapServerMs);
    const pingStarted = performance.now();
    await redis.ping();
    pings.push(performance.now() - pingStarted);
  }
  lastUpdateId += LOGGED_DIFFS + 1;
}
await drop();
await redis.quit();
server.close();
await new Promise((r) => setImmediate(r));
gcObserver.disconnect();
/** Per measured swap: ms of GC pauses inside its window (catch-up retries make a run's swaps several). */
const swapGcMs = swapWindows
  .slice(firstMeasuredSwap)
  .map(([from, to]) =>
    gcPauses.reduce((sum, [s, e]) => sum + Math.max(0, Math.min(to, e) - Math.max(from, s)), 0),
  );

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) * 100) / 100
  );
};
console.log(
  JSON.stringify({
    bench: 'reanchor',
    levels: LEVELS_PER_SIDE,
    levelsTotal: 2 * LEVELS_PER_SIDE,
    replayedDiffs: LOGGED_DIFFS,
    runs: RUNS,
    p50Ms: percentile(durations, 0.5),
    p99Ms: percentile(durations, 0.99),
    swapP50Ms: percentile(swaps, 0.5),
    swapP99Ms: percentile(swaps, 0.99),
    swapMaxMs: percentile(swaps, 1),
    swapServerP50Ms: percentile(swapsServer, 0.5),
    swapServerP99Ms: percentile(swapsServer, 0.99),
    swapGcP99Ms: percentile(swapGcMs, 0.99),
    swapGcMaxMs: percentile(swapGcMs, 1),
    swapsWithGc: swapGcMs.filter((ms) => ms > 0).length,
    pingP50Ms: percentile(pings, 0.5),
    pingP99Ms: percentile(pings, 0.99),
  }),
);
