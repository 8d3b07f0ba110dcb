/**
 * The inference service on a real Redis with a book and features written by the real aggregator:
 * what it serves (mid, prediction, the exact feature vector), what it flags instead (no book, a book
 * stopped by a gap, features too old), how it scores a prediction once the horizon has passed, and
 * what its HTTP side returns.
 */
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InferenceMetrics, startInferenceHttp } from '../../containers/inference/http-server.ts';
import { InferenceService, type ServedPrediction } from '../../containers/inference/inference-service.ts';
import { featureVectorFromJSON, lacksBookHistory } from '../../core/features/feature-names.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import type { ScoredPrediction } from '../../core/scoring/prediction-scorer.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { RedisOnlineStateStore } from '../../lambdas/shared/redis/redis-online-state-store.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, toRecords } from '../support/depth-feed.ts';
import { rawRequest } from '../support/raw-http.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';

let redis: Redis;
let symbol: string;
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
const PREDICTED = 0.0004;

beforeAll(() => {
  redis = testRedis();
});
afterAll(async () => {
  await redis.quit();
});
afterEach(async () => {
  await dropSymbol(redis, symbol);
});

function setUp() {
  symbol = uniqueSymbol();
  const feed = new DepthFeed(symbol, 7);
  const store = new RedisHotState(redis);
  const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);
  const reanchor = new ReAnchor({
    redis,
    decoder: new WasmSbeDecoder(),
    snapshots: { depth: async () => feed.snapshotAt(feed.truth.updateId) },
    nowUs,
    snapshotRetryMs: 10,
  });
  const served: ServedPrediction[] = [];
  const scored: ScoredPrediction[] = [];
  const service = new InferenceService({
    redis,
    store,
    symbols: [symbol],
    champion: () => ({ kind: 'mlp' as const, version: 'fixed-v1', forecast: () => PREDICTED }),
    onlineState: new RedisOnlineStateStore(redis),
    arena: { online: { warmupRows: 3 } },
    onServed: (p) => served.push(p),
    onScored: (_, s) => scored.push(...s),
  });
  const feedDiffs = (n: number) => aggregator.process(toRecords(feed.take(n).map((d) => d.frame)));
  return { feed, aggregator, reanchor, service, served, scored, feedDiffs };
}

const mid = (feed: DepthFeed) =>
  ((feed.truth.bids.best() as number) + (feed.truth.asks.best() as number)) / 2;

describe('InferenceService on a real Redis', () => {
  it('flags a tick with no book, serves the random walk until a candidate has earned it, scores every candidate after the horizon', async () => {
    const { feed, reanchor, service, served, scored, feedDiffs } = setUp();
    await service.tick();
    expect(served).toEqual([expect.objectContaining({ flag: 'no-book' })]);
    expect(service.flaggedBy).toEqual({ 'no-book': 1 });

    await feedDiffs(10);
    expect((await reanchor.run(symbol)).status).toBe('swapped');
    await feedDiffs(50);
    const midThen = mid(feed);
    await service.tick();
    const prediction = served.at(-1) as ServedPrediction;
    expect(prediction.flag).toBeUndefined();
    expect(prediction.mid).toBe(midThen);
    // No live record yet: the champion only makes a shadow forecast; the random walk is served.
    expect(prediction).toMatchObject({
      candidate: 'random-walk',
      predictedLogReturn: 0,
      predictedMid: midThen,
    });
    // The vector served is the one the aggregator wrote, byte for byte.
    const k = symbolKeys(symbol);
    expect(prediction.featuresJson).toBe(await redis.get(k.features));
    const [[, fields]] = (await redis.xrevrange(k.predictions, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    expect(fields).toEqual(
      expect.arrayContaining(['mid', String(midThen), 'modelVersion', 'random-walk', 'features']),
    );
    expect(service.servedCount).toBe(1);
    expect(scored).toEqual([]);

    // 500 diffs of 20 ms: exactly the 10 s horizon later, the prediction is scored on the mid then.
    await feedDiffs(500);
    expect(mid(feed)).not.toBe(midThen);
    await service.tick();
    expect(scored).toHaveLength(1);
    expect(scored[0]?.midAtPrediction).toBe(midThen);
    expect(scored[0]?.realizedLogReturn).toBeCloseTo(Math.log(mid(feed) / midThen), 12);
    expect(await redis.hgetall(k.predictionScore)).toMatchObject({
      count: '2',
      scored: '1',
      modelVersion: 'random-walk',
    });
    // The champion's shadow forecast was scored on the same tick, beside the other candidates.
    const card = JSON.parse((await redis.get(k.candidateScores)) as string);
    expect(card.served).toBe('random-walk');
    expect(card.candidates.champion).toMatchObject({ version: 'fixed-v1', n: 1 });
    expect(card.candidates.momentum.n).toBe(1);
    const realised = Math.log(mid(feed) / midThen);
    expect(card.candidates.champion.rmseRatioVsRandomWalk).toBeCloseTo(
      Math.abs(realised - PREDICTED) / Math.abs(realised),
      9,
    );
    expect(service.failures).toBe(0);
  });

  it('resumes the online learner after a restart from the state it saved in Redis', async () => {
    const { reanchor, service, feedDiffs } = setUp();
    await feedDiffs(10);
    await reanchor.run(symbol);
    // 20 ticks 2 s apart in book time: 15 are scored and learned. This feed has no trades, so the
    // trade features stay missing and the warm-up runs to its cap (4 × 3 rows) before learning.
    for (let i = 0; i < 20; i++) {
      await feedDiffs(100);
      await service.tick();
    }
    const before = service.candidates(symbol).candidates.online?.version;
    expect(before).toBe('online-rls@15');
    await service.saveOnline();
    const k = symbolKeys(symbol);
    const saved = JSON.parse((await redis.get(k.onlineModel)) as string);
    expect(saved).toMatchObject({ kind: 'online', version: 'online-rls@15' });
    expect(saved.online.learners.map((l: { updates: number }) => l.updates)).toEqual([15, 15, 15]);

    const restarted = new InferenceService({
      redis,
      store: new RedisHotState(redis),
      symbols: [symbol],
      champion: () => undefined,
      onlineState: new RedisOnlineStateStore(redis),
    });
    await restarted.init();
    expect(restarted.candidates(symbol).candidates.online?.version).toBe('online-rls@15');
    await redis.del(k.onlineModel);
    await restarted.saveOnline();
    const again = JSON.parse((await redis.get(k.onlineModel)) as string);
    // The same coefficients, inverse information matrix and standardisation: nothing relearned.
    expect(again.online).toEqual(saved.online);
    expect(again.normalisation).toEqual(saved.normalisation);

    // A state that cannot be used is logged and ignored: the service starts afresh.
    await redis.set(k.onlineModel, JSON.stringify({ ...saved, featureVersion: 99 }));
    const logged: string[] = [];
    const fresh = new InferenceService({
      redis,
      store: new RedisHotState(redis),
      symbols: [symbol],
      champion: () => undefined,
      onlineState: new RedisOnlineStateStore(redis),
      log: (level, message) => logged.push(`${level}: ${message}`),
    });
    await fresh.init();
    expect(fresh.candidates(symbol).candidates.online?.version).toBe('online-rls@0');
    expect(logged).toEqual([expect.stringMatching(/^warn: online learner saved state not usable/)]);

    // Without a saved state a prior (an online artifact learned elsewhere) is the starting point;
    // a saved state, when there is one, wins over it.
    await redis.del(k.onlineModel);
    // The prior: the saved state with another update count, to tell the two apart.
    const prior = {
      ...saved,
      online: {
        ...saved.online,
        learners: saved.online.learners.map((l: object) => ({ ...l, updates: 7 })),
      },
    };
    const options = {
      redis,
      store: new RedisHotState(redis),
      symbols: [symbol],
      champion: () => undefined,
      onlineState: new RedisOnlineStateStore(redis),
      onlinePrior: prior,
    };
    const warm = new InferenceService(options);
    await warm.init();
    expect(warm.candidates(symbol).candidates.online?.version).toBe('online-rls@7');
    await redis.set(k.onlineModel, JSON.stringify(saved));
    const resumed = new InferenceService(options);
    await resumed.init();
    expect(resumed.candidates(symbol).candidates.online?.version).toBe('online-rls@15');
  });

  it('serves nothing from a book a gap has stopped, or with features older than the book by 5 s', async () => {
    const { feed, aggregator, reanchor, service, served, feedDiffs } = setUp();
    await feedDiffs(10);
    await reanchor.run(symbol);
    await feedDiffs(20);
    const k = symbolKeys(symbol);
    const oldFeatures = (await redis.get(k.features)) as string;
    // 300 diffs of 20 ms: the book moves on 6 s; put back the features of before.
    await feedDiffs(300);
    await redis.set(k.features, oldFeatures);
    await service.tick();
    expect(served.at(-1)?.flag).toBe('stale-features');
    expect(featureVectorFromJSON(JSON.parse(oldFeatures)).eventTimeUs).toBeLessThan(
      (served.at(-1)?.eventTimeUs as number) - 5_000_000,
    );

    const diffs = feed.take(10);
    await aggregator.process(toRecords(diffs.filter((_, i) => i !== 3).map((d) => d.frame)));
    await service.tick();
    expect(served.at(-1)?.flag).toBe('book-gap');
    expect(service.flaggedBy).toEqual({ 'stale-features': 1, 'book-gap': 1 });
    expect(service.servedCount).toBe(0);
    // Flagged ticks are in the stream too, with their reason: nothing goes quiet without a trace.
    const flags = (await redis.xrange(k.predictions, '-', '+')).map(([, f]) => f[f.indexOf('flag') + 1]);
    expect(flags).toEqual(['stale-features', 'book-gap']);
  });

  it('after a Redis restart, flags no-features until the state rebuilt from the next re-anchor has its windows', async () => {
    const { reanchor, service, served, feedDiffs } = setUp();
    await feedDiffs(10);
    expect((await reanchor.run(symbol)).status).toBe('swapped');
    // 62 s of exchange time (20 ms per diff): every book-history window is observed.
    for (let i = 0; i < 31; i++) await feedDiffs(100);
    await service.tick();
    expect(served.at(-1)?.flag).toBeUndefined();
    const warm = featureVectorFromJSON(JSON.parse(served.at(-1)?.featuresJson as string));
    expect(lacksBookHistory(warm)).toBe(false);

    // Redis restarts empty: the book, the diff log and the feature state are gone.
    await dropSymbol(redis, symbol);
    await feedDiffs(20);
    await service.tick();
    expect(served.at(-1)?.flag).toBe('no-book');
    expect((await reanchor.run(symbol)).status).toBe('swapped');
    await feedDiffs(50);
    await service.tick();
    // The rebuilt state has a second of history: its 5-60 s windows are missing. Not served.
    expect(served.at(-1)?.flag).toBe('no-features');
    for (let i = 0; i < 31; i++) await feedDiffs(100);
    await service.tick();
    expect(served.at(-1)?.flag).toBeUndefined();
    expect(service.flaggedBy).toEqual({ 'no-book': 1, 'no-features': 1 });
  });

  it('answers the latest prediction, the ones since a time, and rejects a bad since', async () => {
    const { reanchor, service, served, feedDiffs } = setUp();
    await feedDiffs(10);
    await reanchor.run(symbol);
    await feedDiffs(20);
    await service.tick();
    await service.tick();
    const http = await startInferenceHttp(service, redis, new InferenceMetrics(), 0, '127.0.0.1');
    const { server } = http;
    let closed = false;
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const latest = await fetch(`${base}/predictions/latest?symbol=${symbol}`);
      expect(latest.status).toBe(200);
      expect(await latest.json()).toMatchObject({ modelVersion: 'random-walk', predictedLogReturn: '0' });
      const all = (await (await fetch(`${base}/predictions?symbol=${symbol}&since=0`)).json()) as unknown[];
      expect(all).toHaveLength(2);
      expect((await fetch(`${base}/predictions?symbol=${symbol}&since=soon`)).status).toBe(400);
      expect((await fetch(`${base}/predictions/latest?symbol=NOSUCHUSDT`)).status).toBe(404);
      const health = (await (await fetch(`${base}/health?symbol=${symbol}`)).json()) as {
        status: string;
        components: { predictions: { count: number } };
      };
      expect(health).toMatchObject({ status: 'healthy', components: { predictions: { count: 2 } } });

      // The event stream: each published prediction, without the feature vector it was served with.
      const stream = await fetch(`${base}/predictions/stream`);
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const text = async () => new TextDecoder().decode((await reader.read()).value);
      expect(await text()).toBe(': connected\n\n');
      http.publish(served.at(-1) as ServedPrediction);
      const event = JSON.parse((await text()).replace(/^data: /, ''));
      expect(event).toMatchObject({ symbol, modelVersion: 'random-walk', predictedLogReturn: 0 });
      expect(event.featuresJson).toBeUndefined();
      // Closing ends the open stream too: the server does not wait on it.
      await http.close();
      closed = true;
      expect((await reader.read()).done).toBe(true);
    } finally {
      if (!closed) await http.close();
    }
  });
});

describe('the inference HTTP server under hostile requests', () => {
  it('answers 400 to a bad target or parameter and 503 past its stream limit, counts each, and stays up', async () => {
    const { service } = setUp();
    const metrics = new InferenceMetrics();
    const http = await startInferenceHttp(service, redis, metrics, 0, '127.0.0.1', 2);
    const port = (http.server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;
    const streams: AbortController[] = [];
    try {
      const raw = await rawRequest(port, 'GET // HTTP/1.1');
      expect(raw.status).toBe(404);
      for (const [query, message] of [
        ['since=-5', "since must be an integer from 0 to 9007199254740991, got '-5'"],
        ['since=1e3', 'since must be an integer'],
        ['since=99999999999999999999', 'since must be an integer'],
        ['symbol=BTC%20USDT', 'symbol must be a symbol such as BTCUSDT'],
      ] as const) {
        const r = await fetch(`${base}/predictions?${query}`);
        expect(r.status).toBe(400);
        expect(((await r.json()) as { error: string }).error).toContain(message);
      }
      for (let i = 0; i < 2; i++) {
        const c = new AbortController();
        streams.push(c);
        expect((await fetch(`${base}/predictions/stream`, { signal: c.signal })).status).toBe(200);
      }
      const refused = await fetch(`${base}/predictions/stream`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({ error: 'Too many event streams open (limit 2).' });
      const counts = Object.fromEntries(
        (await metrics.rejected.get()).values.map((v) => [v.labels.reason, v.value]),
      );
      expect(counts).toEqual({ 'bad-query': 4, 'too-many-streams': 1 });
      expect((await fetch(`${base}/health?symbol=${symbol}`)).status).toBe(200);
    } finally {
      for (const c of streams) c.abort();
      await http.close();
    }
  });
});
