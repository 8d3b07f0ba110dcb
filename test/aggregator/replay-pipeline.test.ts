/**
 * The 2024-08-08/09 recording through the real chain: venue (replay) → ingestor → kinesalite →
 * local event source → aggregator handler → Redis, re-anchored from the venue's REST depth. After
 * each batch the Redis top of book is read: it must equal the correct book (the recording's
 * snapshot and diffs through core/book) at every sample, never crossed; and that book must agree
 * with the recorded bookTicker (the ticker with the greatest u <= its id, as the recording's README
 * checks) at >= 99.9% of the points where their ids line up.
 */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { OrderBook } from '../../core/book/order-book.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { createAggregatorHandler } from '../../lambdas/aggregator/handler.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { BinanceRestClient } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { KinesisEventSource } from '../../local/kinesis-event-source.ts';
import { ReanchorRunner } from '../../local/reanchor-runner.ts';
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
      // The correct book at every diff boundary: the recording's snapshot and its diffs (those before
      // the snapshot line too: Binance's procedure buffers them) through core/book.
      const reference = new Map<number, number[]>();
      let snapshot: Record<string, unknown> | undefined;
      const diffs: Record<string, unknown>[] = [];
      const levels = (raw: [string, string][]): [number, number][] =>
        raw.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)]);
      for (const file of files) {
        for await (const line of readRecording(file)) {
          const d = line.payload as Record<string, unknown>;
          if (line.stream === 'rest:depth') snapshot = d;
          else if (d.e === 'depthUpdate') diffs.push(d);
          else if (line.stream.endsWith('@bookTicker')) {
            const m = (k: string) => parseDecimalMantissa(d[k] as string, -8);
            tickers.push({ u: d.u as number, top: [m('b'), m('B'), m('a'), m('A')] });
          }
        }
      }
      tickers.sort((a, b) => a.u - b.u);
      const book = OrderBook.fromSnapshot(
        snapshot?.lastUpdateId as number,
        levels(snapshot?.bids as never),
        levels(snapshot?.asks as never),
      );
      for (const d of diffs) {
        const verdict = book.apply({
          firstUpdateId: d.U as number,
          lastUpdateId: d.u as number,
          bids: levels(d.b as never),
          asks: levels(d.a as never),
        });
        const [bid] = book.bids.top(1);
        const [ask] = book.asks.top(1);
        if (verdict === 'apply' && bid && ask) reference.set(book.updateId, [...bid, ...ask]);
      }
      expect(reference.size).toBe(6493);

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
      const same = (a: number[] | undefined, b: number[] | undefined) =>
        a !== undefined && b !== undefined && a.every((v, i) => v === b[i]);
      expect(reanchors.swaps).toBeGreaterThanOrEqual(1);
      expect(crossed).toBe(0);
      // 1. Redis holds exactly the correct book wherever it was sampled (one point per aggregator
      //    batch: how many depends on how loaded the machine is, the verdict does not).
      expect(points.length).toBeGreaterThan(20);
      const wrong = points.filter((p) => !same(p.top, reference.get(p.updateId)));
      expect(wrong).toEqual([]);
      // 2. That book equals the recorded bookTicker (the greatest u <= its id) at >= 99.9% of all
      //    points where their ids line up; the recording's README counts 2 exceptions in 6,492.
      const aligned = [...reference]
        .map(([id, top]) => ({ top, t: tickerAt(id) }))
        .filter((x) => x.t !== undefined);
      const agreeing = aligned.filter(({ top, t }) => same(top, t?.top));
      console.info(
        `[replay → Redis] ${points.length} Redis samples equal the correct book; it matches bookTicker at ${agreeing.length}/${aligned.length} points; ${reanchors.swaps} re-anchor(s)`,
      );
      expect(agreeing.length / aligned.length).toBeGreaterThanOrEqual(0.999);
    }, 120_000);
  },
);
