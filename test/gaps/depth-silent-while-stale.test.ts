/**
 * A ledger gap is a gap in the data: while the book is stale (a lost diff, no re-anchor yet) the
 * aggregator applies nothing, yet the depth stream keeps flowing. The gap detector must report the
 * stale book, and no `depth-silent` gap, whose evidence would only be the stalled applied time.
 * Real Redis (aggregator, re-anchor, gap signals) and s3rver (the detector's bronze and state).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { GapDetector } from '../../lambdas/gap-detector/gap-detector.ts';
import { RedisGapSignals } from '../../lambdas/gap-detector/redis-gap-signals.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../../lambdas/shared/bronze/s3-checkpoint-store.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, toRecords } from '../support/depth-feed.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';

const BUCKET = `silent-${process.pid}`;
const redis = testRedis();
const symbol = uniqueSymbol();
let s3: S3Emulator;
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET] });
});
afterAll(async () => {
  await dropSymbol(redis, symbol);
  redis.disconnect();
  await s3?.close();
});

describe('gap detector while the book is stale', () => {
  it('reports the stale book, not a silent depth stream, when diffs kept arriving', async () => {
    const feed = new DepthFeed(symbol, 5);
    const aggregator = new Aggregator(new RedisHotState(redis), new WasmSbeDecoder(), nowUs);
    const snapshotId = feed.truth.updateId;
    const reanchor = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots: { depth: async () => feed.snapshotAt(snapshotId) },
      nowUs,
    });
    expect((await reanchor.run(symbol)).status).toBe('swapped');
    await aggregator.process(toRecords(feed.take(50).map((d) => d.frame)));
    feed.next(); // lost: the book goes stale at the next diff
    // 8 s of exchange time (20 ms per diff) arrive while the book is stale.
    const afterGap = feed.take(400);
    await aggregator.process(toRecords(afterGap.map((d) => d.frame)));
    const k = symbolKeys(symbol);
    expect(await redis.hget(k.meta, 'stale')).toBe('gap');
    const lastUs = afterGap.at(-1)?.eventTimeUs as number;
    await redis.hset(k.bestBidAsk, { eventTimeUs: lastUs + 500_000, bookUpdateId: feed.truth.updateId });

    const triggered: string[] = [];
    const detector = new GapDetector({
      reader: new S3BronzeReader(s3.client, BUCKET),
      writer: new S3BronzeWriter(s3.client, BUCKET),
      checkpoints: new S3CheckpointStore(s3.client, BUCKET),
      signals: new RedisGapSignals(redis),
      reanchor: { trigger: async (r) => void triggered.push(r.reason) },
      rest: { aggTrades: async () => [] },
      decoder: new WasmSbeDecoder(),
      nowMs: () => Date.now(),
    });
    const result = await detector.run(symbol);
    expect(result.counts['book-stale']).toBe(1);
    expect(result.findings.filter((f) => f.reason === 'depth-silent')).toEqual([]);
    expect(triggered).toEqual(['book-stale']);

    // And a stream that really went silent is still a gap: no diff for 8 s while bestBidAsk moved on.
    await redis.hset(k.bestBidAsk, { eventTimeUs: lastUs + 8_000_000 });
    const silent = await detector.run(symbol);
    expect(silent.findings.filter((f) => f.reason === 'depth-silent')).toMatchObject([
      { durationMs: 8000, stream: 'depth' },
    ]);
  });
});
