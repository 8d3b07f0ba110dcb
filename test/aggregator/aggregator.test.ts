/**
 * The aggregator and the re-anchor against a real Redis: Binance's book rules hold in Redis,
 * duplicates change nothing, a gap stops the book until a re-anchor rebuilds it, overlapping
 * invocations cannot corrupt it, and the re-anchor's swap is atomic for readers.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { featureValue, featureVectorFromJSON } from '../../core/features/feature-names.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { encodeBestBidAsk, encodeTrades } from '../../core/sbe/encoder.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import type { BookAnchoring } from '../../lambdas/re-anchor/book-anchoring.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { RedisBookAnchoring } from '../../lambdas/shared/redis/redis-book-anchoring.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, type FeedDiff, toRecords } from '../support/depth-feed.ts';
import { dropSymbol, keysOf, testRedis, uniqueSymbol } from '../support/redis.ts';

let redis: Redis;
let symbol: string;
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

beforeAll(() => {
  redis = testRedis();
});
afterAll(async () => {
  await redis.quit();
});
afterEach(async () => {
  await dropSymbol(redis, symbol);
});

function setUp(seed = 1) {
  symbol = uniqueSymbol();
  const feed = new DepthFeed(symbol, seed);
  const store = new RedisHotState(redis);
  const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);
  let snapshotId = feed.truth.updateId;
  const reanchor = new ReAnchor({
    redis,
    decoder: new WasmSbeDecoder(),
    snapshots: { depth: async () => feed.snapshotAt(snapshotId) },
    nowUs,
    snapshotRetryMs: 10,
  });
  return {
    feed,
    store,
    aggregator,
    reanchor,
    /** The REST snapshot the next re-anchor gets: the truth as it stood at this id. */
    snapshotAt: (id: number) => {
      snapshotId = id;
    },
  };
}

/** The whole Redis book equals the true book. */
async function expectBookEqualsTruth(store: RedisHotState, feed: DepthFeed) {
  const read = await store.readBookTop(feed.symbol, 10_000);
  expect(read.updateId).toBe(feed.truth.updateId);
  expect(read.bids).toEqual(feed.truth.bids.top(10_000));
  expect(read.asks).toEqual(feed.truth.asks.top(10_000));
  expect(read.stale).toBeUndefined();
}

/** A comparable dump of the symbol's book and meta (without timestamps). */
async function dump(symbol: string) {
  const k = symbolKeys(symbol);
  const meta = await redis.hgetall(k.meta);
  delete meta.appliedAtUs;
  return {
    meta,
    bids: await redis.zrange(k.bids, 0, '-1', 'WITHSCORES'),
    asks: await redis.zrange(k.asks, 0, '-1', 'WITHSCORES'),
    bidQty: await redis.hgetall(k.bidQty),
    askQty: await redis.hgetall(k.askQty),
    features: await redis.get(k.features),
  };
}

describe('aggregator and re-anchor on a real Redis', () => {
  it('has no book until a re-anchor builds one from a snapshot and the logged diffs, then follows the feed', async () => {
    const { feed, store, aggregator, reanchor, snapshotAt } = setUp();
    const first = feed.take(100);
    const outcome = await aggregator.process(toRecords(first.map((d) => d.frame)));
    expect(outcome.reanchorRequests).toEqual([expect.objectContaining({ symbol, reason: 'no-book' })]);
    expect(outcome.diffsApplied).toBe(0);
    expect(outcome.redisRoundTrips).toBe(2); // cold start: load the state, then write
    // The snapshot is taken at diff 40: the re-anchor replays diffs 41…100 from the log.
    snapshotAt(first[39]?.diff.lastUpdateId as number);
    const result = await reanchor.run(symbol);
    expect(result).toMatchObject({
      status: 'swapped',
      replayed: 60,
      updateId: feed.truth.updateId,
      epoch: 1,
    });
    // The swap script reports its own run time by Redis' clock (NaN if it did not).
    expect((result as { swapServerMs: number }).swapServerMs).toBeGreaterThanOrEqual(0);
    await expectBookEqualsTruth(store, feed);

    const next = feed.take(300);
    const more = await aggregator.process(toRecords(next.map((d) => d.frame)));
    expect(more).toMatchObject({ diffsApplied: 300, conflicts: 1, reanchorRequests: [] });
    await expectBookEqualsTruth(store, feed);
    // Warm and uncontended: exactly one Redis round trip for the whole batch.
    const warmDiffs = feed.take(50);
    const warm = await aggregator.process(toRecords(warmDiffs.map((d) => d.frame)));
    expect(warm).toMatchObject({ diffsApplied: 50, conflicts: 0, redisRoundTrips: 1 });
    await expectBookEqualsTruth(store, feed);
    // The feature vector of the batch, computed at the last diff's time on the 100 ms grid.
    const features = featureVectorFromJSON(
      JSON.parse((await redis.get(symbolKeys(symbol).features)) as string),
    );
    const lastUs = warmDiffs.at(-1)?.eventTimeUs as number;
    expect(features.eventTimeUs).toBe(Math.floor(lastUs / 100_000) * 100_000);
    expect(Number.isFinite(featureValue(features, 'spread_bp'))).toBe(true);
  });

  it('changes nothing when a batch is delivered again (Kinesis is at least once)', async () => {
    const { feed, aggregator, reanchor } = setUp(2);
    await aggregator.process(toRecords(feed.take(10).map((d) => d.frame)));
    await reanchor.run(symbol);
    const batch = toRecords(feed.take(200).map((d) => d.frame));
    await aggregator.process(batch);
    const once = await dump(symbol);
    const again = await aggregator.process(batch);
    expect(again.diffsApplied).toBe(0);
    expect(again.diffsOld).toBe(200);
    const twice = await dump(symbol);
    expect({ ...twice, meta: { ...twice.meta, version: once.meta.version } }).toEqual(once);
  });

  it('detects a dropped diff, applies nothing past it, and is whole again after the re-anchor', async () => {
    const { feed, store, aggregator, reanchor, snapshotAt } = setUp(3);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    const diffs = feed.take(100);
    const beforeGap = diffs[49]?.diff.lastUpdateId as number;
    const withoutOne = diffs.filter((_, i) => i !== 50).map((d) => d.frame);
    const outcome = await aggregator.process(toRecords(withoutOne));
    expect(outcome.reanchorRequests).toEqual([expect.objectContaining({ reason: 'gap' })]);
    expect(outcome.diffsApplied).toBe(50);
    const stale = await store.readBookTop(symbol);
    expect(stale.updateId).toBe(beforeGap);
    expect(stale.stale).toBe('gap');
    // Still stale: later diffs are logged, not applied.
    const later = await aggregator.process(toRecords(feed.take(20).map((d) => d.frame)));
    expect(later.diffsApplied).toBe(0);
    expect((await store.readBookTop(symbol)).updateId).toBe(beforeGap);
    // The exchange's snapshot comes from after the lost diff; the log fills in the rest.
    snapshotAt(diffs[80]?.diff.lastUpdateId as number);
    expect((await reanchor.run(symbol)).status).toBe('swapped');
    await expectBookEqualsTruth(store, feed);
    expect(await redis.xlen(symbolKeys(symbol).reanchorRequests)).toBe(2);
  });

  it('takes a newer snapshot at once when a diff is lost while it catches up, and swaps a whole book', async () => {
    const { feed, store, aggregator } = setUp(5);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    // While the first synced book is being written, the feed goes on and loses a diff: the swap is
    // refused (the log moved), and catching up meets the hole.
    const redisAnchoring = new RedisBookAnchoring(redis);
    let lost: FeedDiff | undefined;
    const anchoring: BookAnchoring = Object.assign(Object.create(redisAnchoring) as BookAnchoring, {
      writeTemporary: async (...args: Parameters<BookAnchoring['writeTemporary']>) => {
        await redisAnchoring.writeTemporary(...args);
        if (lost) return;
        const diffs = feed.take(30);
        lost = diffs[10];
        await aggregator.process(toRecords(diffs.filter((d) => d !== lost).map((d) => d.frame)));
      },
    });
    const snapshotIds: number[] = [];
    const reanchor = new ReAnchor({
      anchoring,
      decoder: new WasmSbeDecoder(),
      snapshots: {
        depth: async () => {
          snapshotIds.push(feed.truth.updateId);
          return feed.snapshotAt(feed.truth.updateId);
        },
      },
      nowUs,
      snapshotRetryMs: 10,
    });
    const result = await reanchor.run(symbol);
    expect(result).toMatchObject({ status: 'swapped', snapshots: 2 });
    // The second snapshot is from after the lost diff.
    expect(snapshotIds[1]).toBeGreaterThanOrEqual(lost?.diff.lastUpdateId as number);
    await expectBookEqualsTruth(store, feed);
  });

  it('cannot be corrupted by two invocations processing the same and later batches at once', async () => {
    const { feed, store, aggregator, reanchor } = setUp(4);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    const other = new Aggregator(store, new WasmSbeDecoder(), nowUs);
    for (let round = 0; round < 10; round++) {
      const a = toRecords(feed.take(30).map((d) => d.frame));
      const b = toRecords(feed.take(30).map((d) => d.frame));
      // One invocation retries a batch while the next one runs: overlapping, out of step.
      await Promise.all([aggregator.process([...a, ...b]), other.process(a), other.process([...a, ...b])]);
    }
    await expectBookEqualsTruth(store, feed);
  });

  it('keeps each batch intact when one aggregator serves several streams at once (shared decoder)', async () => {
    const { feed, store, aggregator, reanchor } = setUp(11);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    // A cold aggregator must load the depth state first; a trade batch decodes meanwhile.
    const cold = new Aggregator(store, new WasmSbeDecoder(), nowUs);
    const trades = Array.from({ length: 200 }, (_, i) =>
      encodeTrades({
        eventTimeUs: 1_723_161_255_000_000 + i,
        transactTimeUs: 1_723_161_255_000_000 + i,
        priceExponent: -8,
        qtyExponent: -8,
        trades: [{ id: 1 + i, priceMantissa: 6_000_000_000_000, qtyMantissa: 1_000, isBuyerMaker: false }],
        symbol,
      }),
    );
    const [depth, trade] = await Promise.all([
      cold.process(toRecords(feed.take(100).map((d) => d.frame))),
      cold.process(toRecords(trades, 20)),
    ]);
    expect(depth).toMatchObject({ diffsApplied: 100, reanchorRequests: [] });
    expect(trade.trades).toBe(200);
    await expectBookEqualsTruth(store, feed);
  });

  it('counts depth20 checks and turns a mismatch into a re-anchor request', async () => {
    const { feed, store, aggregator, reanchor } = setUp(5);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    const frames = feed.take(20).map((d) => d.frame);
    const good = await aggregator.process(toRecords([...frames, feed.depth20()]));
    expect(good).toMatchObject({ checks: 1, mismatches: 0, reanchorRequests: [] });
    const next = feed.take(1).map((d) => d.frame);
    const bad = await aggregator.process(toRecords([...next, feed.depth20(true)]));
    expect(bad).toMatchObject({ checks: 1, mismatches: 1 });
    expect(bad.reanchorRequests).toEqual([expect.objectContaining({ reason: 'checksum' })]);
    expect((await store.readBookTop(symbol)).stale).toBe('checksum');
  });

  it('keeps trade windows with duplicates counted once, and the newest best bid/ask', async () => {
    const { aggregator } = setUp(6);
    const trade = (id: number, timeUs: number, isBuyerMaker: boolean) =>
      encodeTrades({
        eventTimeUs: timeUs,
        transactTimeUs: timeUs,
        priceExponent: -8,
        qtyExponent: -8,
        trades: [
          { id, priceMantissa: 6_000_000_000_000 + id * 1_000_000, qtyMantissa: 10_000_000, isBuyerMaker },
        ],
        symbol,
      });
    const t0 = 1_723_161_255_000_000;
    const frames = Array.from({ length: 20 }, (_, i) => trade(100 + i, t0 + i * 100_000, i % 2 === 0));
    const first = await aggregator.process(toRecords(frames, 7));
    expect(first.trades).toBe(20);
    const duplicate = await aggregator.process(toRecords(frames.slice(5), 7));
    expect(duplicate).toMatchObject({ trades: 0, tradeDuplicates: 15 });
    const w = await redis.hgetall(symbolKeys(symbol).tradeWindow(5000));
    // Within 5 s: all 20 trades, 0.1 BTC each, half bought by takers.
    expect(Number(w.count)).toBe(20);
    expect(Number(w.volume)).toBeCloseTo(2, 10);
    expect(Number(w.buyVolume)).toBeCloseTo(1, 10);

    const bba = (id: number) =>
      encodeBestBidAsk({
        eventTimeUs: t0,
        bookUpdateId: id,
        priceExponent: -8,
        qtyExponent: -8,
        bidPriceMantissa: id,
        bidQtyMantissa: 1,
        askPriceMantissa: id + 1,
        askQtyMantissa: 1,
        symbol,
      });
    await aggregator.process(toRecords([bba(500), bba(900), bba(700)]));
    await aggregator.process(toRecords([bba(800)]));
    expect(await redis.hget(symbolKeys(symbol).bestBidAsk, 'bookUpdateId')).toBe('900');
  });

  it('counts and skips an unusable trade without failing the batch or losing its neighbours', async () => {
    const { aggregator } = setUp(12);
    const t0 = 1_723_161_255_000_000;
    const frame = encodeTrades({
      eventTimeUs: t0,
      transactTimeUs: t0,
      priceExponent: -8,
      qtyExponent: -8,
      trades: [
        { id: 500, priceMantissa: 6_000_000_000_000, qtyMantissa: 10_000, isBuyerMaker: false },
        { id: 501, priceMantissa: 6_000_000_000_000, qtyMantissa: 0, isBuyerMaker: false },
        { id: 502, priceMantissa: 6_000_000_000_000, qtyMantissa: 20_000, isBuyerMaker: true },
      ],
      symbol,
    });
    const outcome = await aggregator.process(toRecords([frame]));
    expect(outcome).toMatchObject({ trades: 2, invalidTrades: 1 });
    expect(outcome.failedSequenceNumber).toBeUndefined();
    expect(Number(await redis.hget(symbolKeys(symbol).tradeWindow(1000), 'count'))).toBe(2);
  });

  it('reports an unreadable record so Lambda retries from it, after writing the records before it', async () => {
    const { feed, aggregator } = setUp(7);
    const records = toRecords(
      feed.take(30).map((d) => d.frame),
      10,
    );
    const poison = { data: Uint8Array.of(9, 9, 9), sequenceNumber: 'poison' };
    const outcome = await aggregator.process([records[0], poison, records[1]] as typeof records);
    expect(outcome.failedSequenceNumber).toBe('poison');
    expect(outcome.failure?.name).toBe('EnvelopeFormatError');
    expect(outcome.frames).toBe(10);
    expect(await redis.xlen(symbolKeys(symbol).diffs)).toBe(10);
  });
});

describe('re-anchor', () => {
  it('never lets a reader see a partial, empty or crossed book while it swaps, repeatedly', async () => {
    const { feed, store, aggregator, reanchor, snapshotAt } = setUp(8);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    const truthAt = new Map<number, string>();
    const remember = () =>
      truthAt.set(feed.truth.updateId, JSON.stringify([feed.truth.bids.top(20), feed.truth.asks.top(20)]));
    remember();
    let reading = true;
    let reads = 0;
    const problems: string[] = [];
    const reader = (async () => {
      while (reading) {
        const top = await store.readBookTop(symbol, 20);
        reads++;
        if (top.bids.length === 0 || top.asks.length === 0) problems.push(`empty side at ${top.updateId}`);
        if ((top.bids[0]?.[0] ?? 0) >= (top.asks[0]?.[0] ?? Number.POSITIVE_INFINITY))
          problems.push(`crossed at ${top.updateId}`);
        const expected = truthAt.get(top.updateId);
        if (expected && expected !== JSON.stringify([top.bids, top.asks]))
          problems.push(`partial at ${top.updateId}`);
      }
    })();
    let swaps = 0;
    for (let round = 0; round < 15; round++) {
      for (const d of feed.take(20)) {
        remember();
        await aggregator.process(toRecords([d.frame]));
      }
      snapshotAt(feed.truth.updateId);
      if ((await reanchor.run(symbol)).status === 'swapped') swaps++;
    }
    reading = false;
    await reader;
    expect(swaps).toBe(15);
    expect(reads).toBeGreaterThan(50);
    expect(problems).toEqual([]);
    await expectBookEqualsTruth(store, feed);
  });

  it('syncs its snapshot with a log whose diffs arrived swapped, with the first snapshot', async () => {
    const { feed, store, aggregator, reanchor, snapshotAt } = setUp(13);
    const diffs = feed.take(10);
    const swapped = [...diffs.slice(0, 5), diffs[6], diffs[5], ...diffs.slice(7)] as FeedDiff[];
    // Separate batches: the swap is not healed inside one, so both are logged in arrival order.
    for (const d of swapped) await aggregator.process(toRecords([d.frame]));
    snapshotAt((diffs[2] as FeedDiff).diff.lastUpdateId);
    expect(await reanchor.run(symbol)).toMatchObject({ status: 'swapped', snapshots: 1, replayed: 7 });
    await expectBookEqualsTruth(store, feed);
  });

  it('advances the feature state through the diffs it replays only while nobody else fed it', async () => {
    const { feed, aggregator, reanchor, snapshotAt } = setUp(12);
    const k = symbolKeys(symbol);
    const featureTime = async () => JSON.parse((await redis.get(k.featureState)) ?? 'null')?.lastTimeUs;
    // No book yet: 10 diffs logged, the snapshot at the 4th, so the re-anchor replays and feeds 6.
    const first = feed.take(10);
    await aggregator.process(toRecords(first.map((d) => d.frame)));
    expect(await featureTime()).toBeUndefined();
    snapshotAt((first[3] as FeedDiff).diff.lastUpdateId);
    expect(await reanchor.run(symbol)).toMatchObject({ status: 'swapped', replayed: 6 });
    expect(await featureTime()).toBe(first[9]?.eventTimeUs);

    // A live book: the aggregator feeds the state, and a re-anchor (say after a checksum doubt)
    // replaying diffs the aggregator already fed must leave it alone.
    const later = feed.take(10);
    await aggregator.process(toRecords(later.map((d) => d.frame)));
    const before = await redis.get(k.featureState);
    snapshotAt((later[2] as FeedDiff).diff.lastUpdateId);
    expect(await reanchor.run(symbol)).toMatchObject({ status: 'swapped', replayed: 7 });
    expect(await redis.get(k.featureState)).toBe(before);
  });

  it('cannot overwrite a newer re-anchor after its own lock expired', async () => {
    const { feed, store, aggregator } = setUp(9);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    let releaseSlow: () => void = () => {};
    const slowSnapshotTaken = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const oldId = feed.truth.updateId;
    const slow = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots: {
        depth: async () => {
          const snapshot = feed.snapshotAt(oldId);
          await slowSnapshotTaken;
          return snapshot;
        },
      },
      nowUs,
      lockTtlMs: 200,
    });
    const slowRun = slow.run(symbol);
    await new Promise((r) => setTimeout(r, 300)); // the slow one's lock has expired
    await aggregator.process(toRecords(feed.take(10).map((d) => d.frame)));
    const fresh = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots: { depth: async () => feed.snapshotAt(feed.truth.updateId) },
      nowUs,
    });
    expect((await fresh.run(symbol)).status).toBe('swapped');
    releaseSlow();
    expect((await slowRun).status).toBe('lost-lock');
    await expectBookEqualsTruth(store, feed);
    expect((await keysOf(redis, symbol)).filter((k) => k.includes(':tmp:'))).toEqual([]);
  });

  it('cleans up after a failure: no temporary keys, the lock released, the live book untouched', async () => {
    const { feed, store, aggregator, reanchor } = setUp(10);
    await aggregator.process(toRecords(feed.take(5).map((d) => d.frame)));
    await reanchor.run(symbol);
    const before = await dump(symbol);
    const failing = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots: {
        depth: async () => {
          throw new Error('REST unreachable');
        },
      },
      nowUs,
    });
    const result = await failing.run(symbol);
    expect(result).toMatchObject({ status: 'failed', error: { message: 'REST unreachable' } });
    expect((await keysOf(redis, symbol)).filter((k) => k.includes(':tmp:'))).toEqual([]);
    expect(await redis.exists(symbolKeys(symbol).reanchorLock)).toBe(0);
    expect(await dump(symbol)).toEqual(before);
    await expectBookEqualsTruth(store, feed);
  });
});
