/**
 * One REST budget and Retry-After gate per IP, shared through Redis by every REST caller (re-anchor,
 * poller, gap-detector back-fill), against the local venue's Binance rate limits (real HTTP, real
 * Redis): a storm of deep snapshots is cut off before Binance would answer 429, a 429 met by one
 * caller stops the others without a request, and the re-anchor picks its depth within the budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestDeferredError } from '../../core/rate-limit/rest-limiter.ts';
import { chooseSnapshotDepth, SNAPSHOT_DEPTHS } from '../../core/rate-limit/snapshot-depth.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { BinanceRestClient, RateLimitedError } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { RedisRestLimiter } from '../../lambdas/shared/binance/redis-rest-limiter.ts';
import { startVenue, type Venue } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed } from '../support/depth-feed.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';

const redis = testRedis();
/** A second connection: another Lambda (or process) sharing the IP. */
const other = testRedis();
/** Mid-minute, fixed: the venue's calendar minute and the limiter's are the same one. */
const NOW_MS = Date.UTC(2026, 0, 5, 12, 0, 20);
let venue: Venue;
const scopes: string[] = [];

function scope(): string {
  const s = `test-${process.pid}-${scopes.length}`;
  scopes.push(s);
  return s;
}

/**
 * A deadline for a hung venue, not a figure: forty 5000-level snapshots at once take seconds each
 * on a busy machine, and one that timed out would be counted as neither sent nor deferred.
 */
const REQUEST_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  venue = await startVenue({
    source: { kind: 'sim', seed: 3, speed: 1, symbols: ['BTCUSDT'] },
    rateLimitClockMs: () => NOW_MS,
  });
});
afterAll(async () => {
  for (const s of scopes) await redis.del(`restlimit:{${s}}`);
  redis.disconnect();
  other.disconnect();
  await venue?.close();
});

describe('shared REST limiter', { timeout: 240_000 }, () => {
  it('stops a storm of deep snapshots at the shared allowance: no 429, no 418 (without it: both)', async () => {
    const shared = scope();
    const a = new BinanceRestClient(
      venue.restUrl,
      REQUEST_TIMEOUT_MS,
      undefined,
      new RedisRestLimiter(redis, { scope: shared }),
      () => NOW_MS,
    );
    const b = new BinanceRestClient(
      venue.restUrl,
      REQUEST_TIMEOUT_MS,
      undefined,
      new RedisRestLimiter(other, { scope: shared }),
      () => NOW_MS,
    );
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).depthRaw('BTCUSDT', 5000).then(
          () => 'sent',
          (e: unknown) => (e instanceof RequestDeferredError ? e.reason : String(e)),
        ),
      ),
    );
    // 5,400 (90% of 6,000) / 250 = 21 snapshots, whichever client asked.
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(21);
    expect(outcomes.filter((o) => o === 'weight-budget')).toHaveLength(19);
    for (const c of [a, b]) expect([c.counters.rateLimited429, c.counters.banned418]).toEqual([0, 0]);

    // The same storm with no shared limiter, on a fresh venue: 429s, then a ban.
    const statuses: number[] = [];
    const venueAtNextMinute = await startVenue({
      source: { kind: 'sim', seed: 3, speed: 1, symbols: ['BTCUSDT'] },
      rateLimitClockMs: () => NOW_MS,
    });
    try {
      const unlimited = new BinanceRestClient(venueAtNextMinute.restUrl);
      for (let i = 0; i < 40; i++) {
        await unlimited.depthRaw('BTCUSDT', 5000).catch((e: unknown) => {
          if (e instanceof RateLimitedError) statuses.push(e.status);
        });
      }
    } finally {
      await venueAtNextMinute.close();
    }
    expect(statuses).toContain(429);
    expect(statuses).toContain(418);
  });

  it('a 429 met by one caller stops every caller of the IP until its Retry-After, sending nothing', async () => {
    const shared = scope();
    const local = await startVenue({
      source: { kind: 'sim', seed: 4, speed: 1, symbols: ['BTCUSDT'] },
      rateLimitClockMs: () => NOW_MS,
    });
    try {
      // The venue's minute is spent by someone the limiter cannot see (another user of the IP).
      const outsider = new BinanceRestClient(local.restUrl);
      while (outsider.counters.requests < 24) await outsider.depthRaw('BTCUSDT', 5000);
      const poller = new BinanceRestClient(
        local.restUrl,
        REQUEST_TIMEOUT_MS,
        undefined,
        new RedisRestLimiter(redis, { scope: shared }),
        () => NOW_MS,
      );
      const backfill = new BinanceRestClient(
        local.restUrl,
        REQUEST_TIMEOUT_MS,
        undefined,
        new RedisRestLimiter(other, { scope: shared }),
        () => NOW_MS,
      );
      const first = await poller.aggTrades('BTCUSDT', { limit: 10 }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(RateLimitedError);
      expect((first as RateLimitedError).status).toBe(429);
      const second = await backfill.aggTrades('BTCUSDT', { fromId: 1, limit: 10 }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(RequestDeferredError);
      expect((second as RequestDeferredError).reason).toBe('retry-after');
      // Retry-After is what is left of the venue's minute (40 s at 12:00:20).
      expect((second as RequestDeferredError).waitMs).toBe(40_000);
      expect(backfill.counters.requests).toBe(0);
      // After Retry-After, requests flow again (the venue's next minute).
      const later = new RedisRestLimiter(redis, { scope: shared });
      expect((await later.admit(4, NOW_MS + 40_000)).admitted).toBe(true);
    } finally {
      await local.close();
    }
  });

  it('picks the deepest snapshot the minute can afford, then shallower ones, then none', () => {
    expect(chooseSnapshotDepth(0, 5400)?.limit).toBe(5000);
    // Past 40% of the allowance (2,160 of 5,400): 1000-level snapshots instead.
    expect(chooseSnapshotDepth(1910, 5400)?.limit).toBe(5000);
    expect(chooseSnapshotDepth(1911, 5400)?.limit).toBe(1000);
    // Re-anchors stop at 85% (4,590 of 5,400): the rest is the poller's and the back-fill's.
    expect(chooseSnapshotDepth(4541, 5400)?.limit).toBe(500);
    expect(chooseSnapshotDepth(4566, 5400)?.limit).toBe(100);
    expect(chooseSnapshotDepth(4586, 5400)).toBeUndefined();
    expect(chooseSnapshotDepth(0, 5400, 1000)?.limit).toBe(1000);
    expect(SNAPSHOT_DEPTHS.map((d) => d.weight)).toEqual([250, 50, 25, 5]);
  });
});

describe('re-anchor within the shared budget', () => {
  const symbol = uniqueSymbol();
  afterAll(async () => {
    await dropSymbol(redis, symbol);
  });

  it('builds on a shallower snapshot when the minute is short, and defers (asking nothing) when REST said wait', async () => {
    const feed = new DepthFeed(symbol, 7);
    const limiter = new RedisRestLimiter(redis, { scope: scope() });
    const asked: number[] = [];
    const reanchor = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots: {
        depth: async (_s, limit) => {
          asked.push(limit);
          return feed.snapshotAt(feed.truth.updateId);
        },
      },
      nowUs: () => NOW_MS * 1000,
      nowMs: () => NOW_MS,
      limiter,
    });
    expect(await reanchor.run(symbol)).toMatchObject({ status: 'swapped', snapshotLimit: 5000 });
    await limiter.observe(3000, NOW_MS);
    expect(await reanchor.run(symbol)).toMatchObject({ status: 'swapped', snapshotLimit: 1000 });
    await limiter.observe(4590, NOW_MS);
    expect(await reanchor.run(symbol)).toEqual({
      status: 'deferred',
      symbol,
      reason: 'weight-budget',
      retryAfterMs: 40_000,
    });
    await limiter.onRateLimited(418, 120_000, NOW_MS);
    expect(await reanchor.run(symbol)).toEqual({
      status: 'deferred',
      symbol,
      reason: 'banned',
      retryAfterMs: 120_000,
    });
    expect(asked).toEqual([5000, 1000]);
  });
});
