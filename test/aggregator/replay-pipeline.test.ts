/**
 * The 2024-08-08/09 recording through the real chain: venue (replay) → ingestor → kinesalite →
 * local event source → aggregator handler → Redis, re-anchored from the venue's REST depth. After
 * each batch the Redis top of book is read; wherever its update id lines up with the recorded
 * bookTicker (the ticker with the greatest u <= the book's id, as the recording's README checks),
 * they must agree at >= 99.9% of the points, and the book must never be crossed.
 */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { createAggregatorHandler } from '../../lambdas/aggregator/handler.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { BinanceRestClient } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { KinesisEventSource } from '../../local/kinesis-event-source.ts';
import { ReanchorRunner } from '../../local/reanchor-runner.ts';
import { readRecording } from '../../local/recordings/read-recording.ts';
import { startVenue } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { dropSymbol, REDIS_DB, testRedis } from '../support/redis.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
let redis: Redis | undefined;

afterAll(async () => {
  if (redis) {
    await dropSymbol(redis, 'BTCUSDT');
    await redis.quit();
  }
});

describe.skipIf(!hasSharedData('recording through the aggregator', ...RECORDING_2024))(
  'recording → Redis',
  () => {
    it('keeps the Redis top of book equal to the recorded bookTicker, never crossed', async () => {
      const files = RECORDING_2024.map(sharedDataPath);
      const tickers: { u: number; top: number[] }[] = [];
      for (const file of files) {
        for await (const line of readRecording(file)) {
          if (!line.stream.endsWith('@bookTicker')) continue;
          const d = line.payload as Record<string, string | number>;
          const m = (k: string) => parseDecimalMantissa(d[k] as string, -8);
          tickers.push({ u: d.u as number, top: [m('b'), m('B'), m('a'), m('A')] });
        }
      }
      tickers.sort((a, b) => a.u - b.u);

      redis = testRedis(REDIS_DB.replayPipeline);
      await dropSymbol(redis, 'BTCUSDT');
      const store = new RedisHotState(redis);
      const kinesis = await startKinesisEmulator();
      const names = { trade: 'r-trade', bestbidask: 'r-bba', depth: 'r-depth' };
      for (const n of Object.values(names)) await kinesis.createStream(n);
      // Replay at 50x: fast, while leaving the re-anchor time to catch the stream as in real life.
      const venue = await startVenue({
        source: { kind: 'replay', path: files, speed: 50 },
        startOn: 'first-subscription',
      });
      const reanchors = new ReanchorRunner(
        new ReAnchor({
          redis,
          decoder: new WasmSbeDecoder(),
          snapshots: new BinanceRestClient(venue.restUrl),
          nowUs,
        }),
        redis,
        () => {},
      );
      const points: { updateId: number; top: number[] }[] = [];
      let crossed = 0;
      const handler = createAggregatorHandler({
        aggregator: new Aggregator(store, new WasmSbeDecoder(), nowUs),
        log: () => {},
        record: () => {},
        triggerReanchor: async (r) => reanchors.request(r.symbol),
      });
      const depthSource = new KinesisEventSource({
        client: kinesis.client,
        streamName: names.depth,
        region: kinesis.region,
        handler: async (event) => {
          const response = await handler(event);
          const top = await store.readBookTop('BTCUSDT', 1);
          if (top.epoch > 0 && !top.stale && top.bids[0] && top.asks[0]) {
            if (top.bids[0][0] >= top.asks[0][0]) crossed++;
            points.push({ updateId: top.updateId, top: [...top.bids[0], ...top.asks[0]] });
          }
          return response;
        },
      });
      await depthSource.start();
      const ingestor = new SbeIngestor({
        wsBaseUrl: venue.wsUrl,
        apiKey: 'k',
        symbols: ['BTCUSDT'],
        kinesis: kinesis.client,
        streamNames: names,
      });
      await ingestor.start();
      await venue.marketEnded;
      await ingestor.stop();
      expect(await depthSource.drain(20_000)).toBe(true);
      await depthSource.stop();
      await reanchors.stop();
      await venue.close();
      await kinesis.close();

      const tickerAt = (id: number) => {
        let lo = 0;
        let hi = tickers.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if ((tickers[mid]?.u as number) <= id) lo = mid;
          else hi = mid - 1;
        }
        return (tickers[lo]?.u as number) <= id ? tickers[lo] : undefined;
      };
      const compared = points.map((p) => ({ p, t: tickerAt(p.updateId) })).filter((x) => x.t !== undefined);
      const matched = compared.filter(({ p, t }) => p.top.every((v, i) => v === t?.top[i]));
      expect(reanchors.swaps).toBeGreaterThanOrEqual(1);
      // One point per aggregator batch: fewer when a loaded machine makes batches larger. Below 1000
      // points the 99.9% bar below allows no mismatch at all.
      expect(compared.length).toBeGreaterThan(100);
      expect(crossed).toBe(0);
      console.info(
        `[replay → Redis] ${matched.length}/${compared.length} points match bookTicker, ${reanchors.swaps} re-anchor(s)`,
      );
      expect(matched.length / compared.length).toBeGreaterThanOrEqual(0.999);
    }, 120_000);
  },
);
