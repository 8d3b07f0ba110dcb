/**
 * The REST poller against the local venue over HTTP and s3rver through the real S3 client: resumes
 * after crashes with no gap and no duplicate against the venue's true trade tape, honours 429/418
 * Retry-After, keeps to its weight share, and opens/half-opens its circuit breaker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPrefix, parseBronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { DepthLine, KlineLine } from '../../core/bronze/bronze-lines.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { startVenue, type Venue } from '../../local/venue/index.ts';
import {
  bronzeAggTrades,
  Crash,
  crashingCheckpoints,
  crashingWriter,
  FakeClock,
  makePoller,
  type SentRequest,
  s3Rig,
} from './poller-harness.ts';

// 00:58 to 01:02 UTC: the objects cross an hour partition, and the trades fill more than three
// aggTrades pages (the crash test needs two runs of at least two pages each).
const START_US = Date.UTC(2024, 7, 9, 0, 58, 0) * 1000;
const sim = (seed: number, durationUs: number) =>
  ({ kind: 'sim', seed, speed: 'max', startTimeUs: START_US, durationUs }) as const;

let s3: S3Emulator;
let venue: Venue;
let bucketNo = 0;
async function bucket(): Promise<string> {
  const name = `poller-${process.pid}-${++bucketNo}`;
  await s3.createBucket(name);
  return name;
}

beforeAll(async () => {
  s3 = await startS3Emulator();
  venue = await startVenue({ source: sim(7, 240e6) });
  await venue.marketEnded;
});
afterAll(async () => {
  await venue?.close();
  await s3?.close();
});

describe('REST poller', () => {
  it('resumes after crashes (between object and checkpoint, between pages) with no gap and no duplicate', async () => {
    const rig = s3Rig(s3, await bucket());
    const clock = new FakeClock();
    // Run 1 dies after writing its 2nd aggTrades object, before that object's checkpoint.
    const run1 = makePoller({
      rig,
      restUrl: venue.restUrl,
      clock,
      checkpoints: crashingCheckpoints(rig.checkpoints, '/aggTrades/', 2),
    });
    await expect(run1.poller.run()).rejects.toBeInstanceOf(Crash);
    // Run 2 resumes, then dies between pages: its 2nd page is never written.
    const run2 = makePoller({
      rig,
      restUrl: venue.restUrl,
      clock,
      writer: crashingWriter(rig.writer, '/aggTrades/', 2),
    });
    await expect(run2.poller.run()).rejects.toBeInstanceOf(Crash);
    // Run 3 finishes.
    const run3 = makePoller({ rig, restUrl: venue.restUrl, clock });
    const result = await run3.poller.run();
    expect(result.stoppedBy).toBeUndefined();
    expect(result.symbols[0]?.aggTrades.caughtUp).toBe(true);
    expect(result.symbols[0]?.aggTrades.adopted).toBe(0);

    const lines = await bronzeAggTrades(rig.reader);
    const aggIds = lines.map((l) => l.a);
    expect(new Set(aggIds).size).toBe(aggIds.length);
    expect(aggIds).toEqual(aggIds.map((_, i) => (aggIds[0] as number) + i));
    const tradeIds = lines.flatMap((l) => Array.from({ length: l.l - l.f + 1 }, (_, k) => l.f + k));
    const range = venue.truth.tradeRange('BTCUSDT');
    const truth = venue.truth.trades('BTCUSDT', range?.oldest as number, 100_000).map((t) => t.id);
    expect(tradeIds).toEqual(truth);
    // Object names are their first and last aggregate ids; partitions by the first line's hour.
    for (const key of await rig.reader.list(datasetPrefix('rest/aggTrades', 'BTCUSDT'))) {
      const parsed = parseBronzeKey(key);
      const objectLines = await rig.reader.read<{ a: number; T: number }>(key);
      expect(Number(parsed?.first)).toBe(objectLines[0]?.a);
      expect(Number(parsed?.last)).toBe(objectLines.at(-1)?.a);
      expect(parsed?.hour).toBe(new Date(objectLines[0]?.T as number).getUTCHours());
    }
  });

  it('adopts an object its crashed run wrote before the checkpoint, instead of fetching it again', async () => {
    const rig = s3Rig(s3, await bucket());
    const clock = new FakeClock();
    const crashed = makePoller({
      rig,
      restUrl: venue.restUrl,
      clock,
      checkpoints: crashingCheckpoints(rig.checkpoints, '/aggTrades/', 1),
    });
    await expect(crashed.poller.run()).rejects.toBeInstanceOf(Crash);
    const resumed = await makePoller({ rig, restUrl: venue.restUrl, clock }).poller.run();
    expect(resumed.symbols[0]?.aggTrades.adopted).toBe(1);
    const keys = await rig.reader.list(datasetPrefix('rest/aggTrades', 'BTCUSDT'));
    expect(new Set(keys.map((k) => parseBronzeKey(k)?.first)).size).toBe(keys.length);
  });

  it('writes closed 1m klines only and depth snapshots on their own schedule', async () => {
    const rig = s3Rig(s3, await bucket());
    const clock = new FakeClock();
    const sent: SentRequest[] = [];
    for (let run = 0; run < 3; run++) {
      await makePoller({
        rig,
        restUrl: venue.restUrl,
        clock,
        sent,
        options: { depthEveryRuns: 2 },
      }).poller.run();
    }
    const klineKeys = await rig.reader.list(datasetPrefix('rest/klines_1m', 'BTCUSDT'));
    const klines = (await Promise.all(klineKeys.map((k) => rig.reader.read<KlineLine>(k)))).flat();
    const serverTimeMs = venue.clockUs() / 1000;
    expect(klines.length).toBeGreaterThanOrEqual(3);
    for (const k of klines) expect(k.closeTimeMs).toBeLessThan(serverTimeMs);
    const opens = klines.map((k) => k.openTimeMs);
    expect(new Set(opens).size).toBe(opens.length);
    // Runs 1 and 3 snapshot (every 2 runs), run 2 does not.
    expect(sent.filter((r) => r.path === '/api/v3/depth')).toHaveLength(2);
    const depthKeys = await rig.reader.list(datasetPrefix('rest/depth', 'BTCUSDT'));
    const [depth] = await rig.reader.read<DepthLine>(depthKeys[0] as string);
    expect(depth?.lastUpdateId).toBe(venue.truth.lastUpdateId('BTCUSDT'));
    expect(depth?.bids[0]?.[0]).toMatch(/^\d+\.\d{8}$/);
    // Marked as the poller's: the parity check anchors only where the live book was.
    expect(depth?.source).toBe('poller');
  });

  it('keeps within its share of the weight limit, as the venue counts it', async () => {
    const own = await startVenue({ source: sim(8, 60e6) });
    try {
      await own.marketEnded;
      const rig = s3Rig(s3, await bucket());
      // 1% of 6,000: 60 weight, i.e. the time request and 14 pages of aggTrades at most.
      const { poller, rest } = makePoller({
        rig,
        restUrl: own.restUrl,
        clock: new FakeClock(),
        share: 0.01,
        options: {},
      });
      const result = await poller.run();
      expect(result.stoppedBy).toBe('weight-budget');
      expect(result.weightSpent).toBeLessThanOrEqual(60);
      expect(rest.usedWeight1m).toBeLessThanOrEqual(60);
    } finally {
      await own.close();
    }
  });
});

describe('REST poller rate limits', () => {
  it('honours Retry-After on 429: nothing is sent before it ends, and the data is still complete', async () => {
    const own = await startVenue({
      source: sim(9, 120e6),
      faults: 'rest-429:every=3:path=/api/v3/aggTrades:retryAfter=2',
    });
    try {
      await own.marketEnded;
      const rig = s3Rig(s3, await bucket());
      const clock = new FakeClock();
      const sent: SentRequest[] = [];
      const result = await makePoller({ rig, restUrl: own.restUrl, clock, sent }).poller.run();
      expect(result.rateLimited429).toBeGreaterThan(0);
      expect(result.stoppedBy).toBeUndefined();
      sent.forEach((r, i) => {
        if (r.status !== 429) return;
        const next = sent[i + 1];
        expect(next).toBeDefined();
        expect(next?.atMs).toBeGreaterThanOrEqual(r.atMs + (r.retryAfterS as number) * 1000);
      });
      const tradeIds = (await bronzeAggTrades(rig.reader)).flatMap((l) =>
        Array.from({ length: l.l - l.f + 1 }, (_, k) => l.f + k),
      );
      const range = own.truth.tradeRange('BTCUSDT');
      expect(tradeIds).toEqual(
        own.truth.trades('BTCUSDT', range?.oldest as number, 100_000).map((t) => t.id),
      );
    } finally {
      await own.close();
    }
  });

  it('stops on a 418 ban and sends nothing until the ban has passed, across runs', async () => {
    const own = await startVenue({
      source: sim(10, 30e6),
      rateLimits: { weightPerMinute: 12, banAfter429s: 1, firstBanMs: 120_000 },
    });
    try {
      await own.marketEnded;
      const rig = s3Rig(s3, await bucket());
      const clock = new FakeClock();
      const sent: SentRequest[] = [];
      const options = { runBudgetMs: 300_000 };
      const first = await makePoller({
        rig,
        restUrl: own.restUrl,
        clock,
        sent,
        share: 1,
        options,
      }).poller.run();
      expect(first.stoppedBy).toBe('banned');
      expect(first.banned418).toBe(1);
      const ban = sent.find((r) => r.status === 418) as SentRequest;
      expect(sent.at(-1)).toBe(ban);
      // A later run (a new Lambda container: state from the checkpoint) inside the ban sends nothing.
      clock.now += 30_000;
      const before = sent.length;
      const second = await makePoller({ rig, restUrl: own.restUrl, clock, sent, share: 1 }).poller.run();
      expect(second.stoppedBy).toBe('banned');
      expect(sent.length).toBe(before);
      expect(second.resumeAtMs).toBe(ban.atMs + (ban.retryAfterS as number) * 1000);
    } finally {
      await own.close();
    }
  });

  it('opens its circuit after consecutive 5xx, stays open for the cool-down, then sends one probe', async () => {
    const own = await startVenue({ source: sim(11, 30e6), faults: 'rest-5xx:every=1:status=503' });
    try {
      await own.marketEnded;
      const rig = s3Rig(s3, await bucket());
      const clock = new FakeClock();
      const sent: SentRequest[] = [];
      const options = { breaker: { failureThreshold: 3, coolDownMs: 60_000 } };
      const poll = () => makePoller({ rig, restUrl: own.restUrl, clock, sent, options }).poller.run();
      const opened = await poll();
      expect(opened.stoppedBy).toBe('circuit-open');
      expect(opened.serverErrors).toBe(3);
      expect(sent).toHaveLength(3);
      clock.now += 20_000;
      const stillOpen = await poll();
      expect(stillOpen.stoppedBy).toBe('circuit-open');
      expect(sent).toHaveLength(3);
      clock.now += 60_000;
      const probed = await poll();
      expect(sent).toHaveLength(4); // one probe in half-open; it failed, so open again
      expect(probed.stoppedBy).toBe('circuit-open');
      expect(probed.circuit).toBe('open');
    } finally {
      await own.close();
    }
  });
});
