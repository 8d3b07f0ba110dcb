/**
 * The gap detector against real bronze (the REST poller over the local venue's HTTP API, the
 * archiver's stream objects) in s3rver and real Redis: an injected missing trade range is found and
 * back-filled exactly; sequence gaps, a stale book, a silent depth stream and volume mismatches are
 * each reported with their reason; the daily ledger counts right, and a second run adds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPrefix } from '../../core/bronze/bronze-keys.ts';
import type { AggTradeLine, LedgerLine, StreamFrameLine } from '../../core/bronze/bronze-lines.ts';
import { EnvelopeBuilder } from '../../core/envelope/frame-envelope.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { WeightBudget } from '../../core/rate-limit/weight-budget.ts';
import { encodeTrades } from '../../core/sbe/encoder.ts';
import { GapDetector } from '../../lambdas/gap-detector/gap-detector.ts';
import { createGapDetectorHandler } from '../../lambdas/gap-detector/handler.ts';
import { RedisGapSignals } from '../../lambdas/gap-detector/redis-gap-signals.ts';
import { systemClock } from '../../lambdas/rest-poller/guarded-rest.ts';
import { RestPoller } from '../../lambdas/rest-poller/rest-poller.ts';
import { BinanceRestClient } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../../lambdas/shared/bronze/s3-checkpoint-store.ts';
import { StreamArchiver } from '../../lambdas/stream-archiver/stream-archiver.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { startVenue, type TruthTrade, type Venue } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';

const START_US = Date.UTC(2024, 7, 9, 0, 58, 0) * 1000;
const SYMBOL = uniqueSymbol();
const BUCKET = `gaps-${process.pid}`;
const redis = testRedis();
let s3: S3Emulator;
let venue: Venue;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET] });
  venue = await startVenue({
    source: {
      kind: 'sim',
      seed: 12,
      speed: 'max',
      startTimeUs: START_US,
      durationUs: 150e6,
      symbols: [SYMBOL],
    },
  });
  await venue.marketEnded;
});
afterAll(async () => {
  await dropSymbol(redis, SYMBOL);
  redis.disconnect();
  await venue?.close();
  await s3?.close();
});

/** The venue's true trade tape as the trade stream would carry it: one frame per transact time. */
function tradeFrames(trades: readonly TruthTrade[]): { bytes: Uint8Array; ids: number[]; timeUs: number }[] {
  const frames: { bytes: Uint8Array; ids: number[]; timeUs: number }[] = [];
  for (let i = 0; i < trades.length; ) {
    const timeUs = trades[i]?.timeUs as number;
    let j = i;
    while (j < trades.length && trades[j]?.timeUs === timeUs) j++;
    const group = trades.slice(i, j);
    const bytes = encodeTrades({
      eventTimeUs: timeUs,
      transactTimeUs: timeUs,
      priceExponent: -8,
      qtyExponent: -8,
      symbol: SYMBOL,
      trades: group.map((t) => ({
        id: t.id,
        priceMantissa: t.priceMantissa,
        qtyMantissa: t.qtyMantissa,
        isBuyerMaker: t.isBuyerMaker,
      })),
    });
    frames.push({ bytes, ids: group.map((t) => t.id), timeUs });
    i = j;
  }
  return frames;
}

describe('gap detector', () => {
  it('finds and back-fills a deleted trade range, reports every criterion with its reason, and keeps the ledger', async () => {
    const reader = new S3BronzeReader(s3.client, BUCKET);
    const writer = new S3BronzeWriter(s3.client, BUCKET);
    const checkpoints = new S3CheckpointStore(s3.client, BUCKET);
    const rest = new BinanceRestClient(venue.restUrl);

    // REST bronze: the poller's aggTrades and klines.
    const poller = new RestPoller(
      { rest, writer, reader, checkpoints, budget: new WeightBudget(), clock: systemClock },
      { symbols: [SYMBOL], initialLookbackMs: 86_400_000 },
    );
    expect((await poller.run()).stoppedBy).toBeUndefined();

    // Stream bronze: the archiver writes the trade stream, 20 frames per Kinesis record.
    const range = venue.truth.tradeRange(SYMBOL) as { oldest: number; newest: number };
    const frames = tradeFrames(venue.truth.trades(SYMBOL, range.oldest, 100_000));
    const archiver = new StreamArchiver({ writer, decoder: new WasmSbeDecoder() });
    for (let i = 0, seq = 1000; i < frames.length; i += 400) {
      const records = [];
      for (let k = i; k < Math.min(i + 400, frames.length); k += 20) {
        const builder = new EnvelopeBuilder();
        for (const f of frames.slice(k, k + 20)) builder.tryAdd(f.bytes, f.timeUs + 3000);
        records.push({
          data: builder.finish(),
          sequenceNumber: String(seq++),
          shardId: 'shardId-000000000000',
          partitionKey: SYMBOL,
        });
      }
      await archiver.archive(records, 'trade');
    }
    // Volume is compared on minutes the stream covers whole and whose kline is closed; the deleted
    // frames are taken from those, so the test does not hang on where an object crosses a minute.
    const firstFull = Math.ceil((frames[0]?.timeUs as number) / 60e6);
    const lastTimeUs = frames.at(-1)?.timeUs as number;
    const inClosedMinute = (timeUs: number): boolean => {
      const minute = Math.floor(timeUs / 60e6);
      return minute >= firstFull && (minute + 1) * 60e6 <= lastTimeUs;
    };
    // Delete two runs of trade frames from the archived object with most lines in such minutes,
    // away from its ends.
    const tradeKeys = await reader.list(datasetPrefix('stream/trade', SYMBOL));
    const objects = await Promise.all(
      tradeKeys.map(async (key) => ({ key, lines: await reader.read<StreamFrameLine>(key) })),
    );
    const inMinutes = (lines: readonly StreamFrameLine[]): StreamFrameLine[] =>
      lines.slice(1, -1).filter((l) => inClosedMinute(l.eventTimeUs));
    const victim = objects.reduce((best, o) =>
      inMinutes(o.lines).length > inMinutes(best.lines).length ? o : best,
    );
    const candidates = inMinutes(victim.lines);
    expect(candidates.length).toBeGreaterThan(30);
    const deleted = new Set([...candidates.slice(10, 16), ...candidates.slice(-8, -5)].map((l) => l.sbe));
    await writer.write(
      victim.key,
      victim.lines.filter((l) => !deleted.has(l.sbe)),
    );
    const deletedIds = frames
      .filter((f) => deleted.has(Buffer.from(f.bytes).toString('base64')))
      .flatMap((f) => f.ids);
    const deletedMinutes = new Set(
      frames
        .filter((f) => deleted.has(Buffer.from(f.bytes).toString('base64')))
        .map((f) => Math.floor(f.timeUs / 60e6)),
    );
    expect(deletedMinutes.size).toBeGreaterThan(0);

    // Redis: two logged sequence gaps, a book still stale, depth silent 8 s behind bestBidAsk.
    const k = symbolKeys(SYMBOL);
    const depthUs = START_US + 100e6;
    const nowMs = Date.now();
    await redis.hset(k.meta, {
      updateId: 500,
      epoch: 3,
      stale: 'gap',
      staleSinceUs: (nowMs - 4000) * 1000,
      eventTimeUs: depthUs,
      reanchors: 2,
      reanchoredAtUs: (nowMs - 30_000) * 1000,
    });
    await redis.hset(k.bestBidAsk, { eventTimeUs: depthUs + 8e6, bookUpdateId: 900 });
    await redis.xadd(
      k.reanchorRequests,
      '*',
      'reason',
      'gap',
      'expectedId',
      101,
      'receivedId',
      105,
      'detail',
      'expected 101, received 105',
      'atUs',
      (nowMs - 60_000) * 1000,
    );
    await redis.xadd(
      k.reanchorRequests,
      '*',
      'reason',
      'checksum',
      'expectedId',
      480,
      'receivedId',
      481,
      'detail',
      'expected 480, received 481',
      'atUs',
      (nowMs - 5_000) * 1000,
    );

    const triggered: { symbol: string; reason: string }[] = [];
    const detector = new GapDetector({
      reader,
      writer,
      checkpoints,
      signals: new RedisGapSignals(redis),
      reanchor: { trigger: async (r) => void triggered.push(r) },
      rest,
      decoder: new WasmSbeDecoder(),
      nowMs: () => nowMs,
    });
    const handler = createGapDetectorHandler({
      detector,
      symbols: [SYMBOL],
      record: () => {},
      log: () => {},
    });
    const [result] = await handler({ symbol: SYMBOL, reason: 'test' });
    if (!result) throw new Error('no result');

    // (c) exactly the deleted ids, in two ranges, and back-filled exactly.
    const tradeGaps = result.findings.filter((f) => f.reason === 'trade-id-gap');
    expect(tradeGaps).toHaveLength(2);
    expect(
      tradeGaps.flatMap((g) =>
        Array.from(
          { length: (g.toId as number) - (g.fromId as number) + 1 },
          (_, i) => (g.fromId as number) + i,
        ),
      ),
    ).toEqual(deletedIds);
    const backfilled: AggTradeLine[] = [];
    for (const key of await reader.list(datasetPrefix('rest/aggTrades_backfill', SYMBOL))) {
      backfilled.push(...(await reader.read<AggTradeLine>(key)));
    }
    expect(backfilled.flatMap((a) => Array.from({ length: a.l - a.f + 1 }, (_, i) => a.f + i))).toEqual(
      deletedIds,
    );
    expect(result.backfill.objects).toHaveLength(2);

    // (d) the minutes that lost trades, and only those.
    const volume = result.findings.filter((f) => f.reason === 'volume-mismatch');
    expect(volume.length).toBe(deletedMinutes.size);
    // (a) the logged requests with their ids, and the stale book.
    const sequence = result.findings.filter((f) => f.criterion === 'sequence');
    expect(sequence.map((f) => [f.reason, f.fromId, f.toId])).toEqual([
      ['sequence-gap', 101, 104],
      ['checksum-mismatch', 480, 480],
      ['book-stale', 500, null],
    ]);
    // (b) depth silent for 8 s of exchange time.
    const silent = result.findings.filter((f) => f.criterion === 'time');
    expect(silent).toMatchObject([{ reason: 'depth-silent', durationMs: 8000, stream: 'depth' }]);
    expect(triggered).toEqual([{ symbol: SYMBOL, reason: 'book-stale,depth-silent' }]);
    expect(result.counts).toMatchObject({
      'trade-id-gap': 2,
      'volume-mismatch': deletedMinutes.size,
      'sequence-gap': 1,
      'checksum-mismatch': 1,
      'book-stale': 1,
      'depth-silent': 1,
    });

    // The ledger: per stream, messages, gaps with cause, re-anchors, snapshot ages.
    const ledgerKeys = await reader.list(datasetPrefix('ledger/completeness', SYMBOL));
    const ledger = (await Promise.all(ledgerKeys.map((key) => reader.read<LedgerLine>(key)))).flat();
    const day = new Date(START_US / 1000).toISOString().slice(0, 10);
    const trade = ledger.find((l) => l.day === day && l.stream === 'trade');
    expect(trade?.messages).toBe(frames.length - deleted.size);
    expect(trade?.gaps.filter((g) => g.cause === 'trade-id-gap')).toHaveLength(2);
    const today = new Date(nowMs).toISOString().slice(0, 10);
    const depth = ledger.find((l) => l.day === today && l.stream === 'depth');
    expect(depth?.reanchors).toBe(2);
    expect(depth?.snapshotAgesMs).toEqual([30_000]);
    expect(depth?.gaps.map((g) => g.cause)).toEqual(
      expect.arrayContaining(['sequence-gap', 'checksum-mismatch', 'depth-silent']),
    );

    // A second run finds nothing new (state checkpointed), and the ledger does not double-count.
    await redis.hdel(k.meta, 'stale');
    await redis.hset(k.meta, 'eventTimeUs', depthUs + 8e6);
    const [again] = await handler({ 'detail-type': 'Scheduled Event' });
    expect(again?.findings).toEqual([]);
    expect(triggered).toHaveLength(1);
    const ledgerAgain = (await Promise.all(ledgerKeys.map((key) => reader.read<LedgerLine>(key)))).flat();
    expect(ledgerAgain.find((l) => l.day === day && l.stream === 'trade')?.messages).toBe(trade?.messages);
  });
});
