/**
 * Feature parity: the vectors the inference service serves equal, bit for bit, the vectors an offline
 * replay of bronze computes for the same instants. A session of 90 s of market time runs through the
 * real pieces on a real Redis and s3rver: the aggregator (depth and trades as separate streams, in
 * either order), the re-anchor (first anchor, then after a dropped diff; snapshots older than the
 * log, so it catches up) with its snapshots archived to bronze, the raw-stream archiver, inference
 * and its served-vector log. Then bronze alone is read back, replayed through core/model on the
 * 100 ms grid, and every served vector (from bronze `features/served`) is compared with the replay's.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceService, type ServedPrediction } from '../../containers/inference/inference-service.ts';
import { ServedVectorLog } from '../../containers/inference/served-vector-log.ts';
import { datasetPrefix } from '../../core/bronze/bronze-keys.ts';
import type { DepthLine } from '../../core/bronze/bronze-lines.ts';
import { FEATURE_NAMES } from '../../core/features/feature-names.ts';
import { compareWithReplay } from '../../core/model/feature-parity.ts';
import { replayTape } from '../../core/model/feature-replay.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { ArchivingSnapshotSource } from '../../lambdas/re-anchor/archiving-snapshot-source.ts';
import { ReAnchor } from '../../lambdas/re-anchor/re-anchor.ts';
import { readBronzeTape, readServedVectors } from '../../lambdas/shared/bronze/read-bronze-tape.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { StreamArchiver } from '../../lambdas/stream-archiver/stream-archiver.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, type FeedDiff, toRecords } from '../support/depth-feed.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';
import { TradeTape } from '../support/trade-tape.ts';

const BUCKET = 'parity-bronze';
/**
 * Diffs of 20 ms per round (a Kinesis batch): long and short batches, ending anywhere in a 100 ms
 * step, some inside the step where the batch before ended.
 */
const ROUND_SIZES = [23, 1, 2, 3, 27, 1, 4, 30, 2, 1, 6];
const diffsInRound = (round: number) => ROUND_SIZES[round % ROUND_SIZES.length] as number;
const ROUNDS = 500; // ~90 s: the 60 s windows fill up
const GAP_ROUND = 330;
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

let redis: Redis;
let s3: S3Emulator;
let symbol: string;

beforeAll(async () => {
  redis = testRedis();
  s3 = await startS3Emulator({ buckets: [BUCKET] });
});
afterAll(async () => {
  await dropSymbol(redis, symbol);
  await redis.quit();
  await s3.close();
});

describe('feature parity: served live vs recomputed from bronze', () => {
  it('serves exactly the vectors a replay of bronze computes at the same instants', async () => {
    symbol = uniqueSymbol();
    const writer = new S3BronzeWriter(s3.client, BUCKET);
    const feed = new DepthFeed(symbol, 23);
    const trades = new TradeTape(symbol);
    const store = new RedisHotState(redis);
    const aggregator = new Aggregator(store, new WasmSbeDecoder(), nowUs);
    let snapshotId = 0;
    const snapshots = new ArchivingSnapshotSource(
      { depth: async () => feed.snapshotAt(snapshotId) },
      writer,
      nowUs,
    );
    const reanchor = new ReAnchor({
      redis,
      decoder: new WasmSbeDecoder(),
      snapshots,
      nowUs,
      snapshotRetryMs: 5,
    });
    const servedLog = new ServedVectorLog(writer);
    const served: ServedPrediction[] = [];
    const service = new InferenceService({
      redis,
      store,
      symbols: [symbol],
      champion: () => undefined,
      onServed: (p) => {
        served.push(p);
        servedLog.add(p);
      },
    });
    const archiver = new StreamArchiver({ writer, decoder: new WasmSbeDecoder() });
    const archive = { depth: [] as ReturnType<typeof toRecords>, trade: [] as ReturnType<typeof toRecords> };
    const flushArchive = async () => {
      for (const stream of ['depth', 'trade'] as const) {
        const records = archive[stream].map((r) => ({
          ...r,
          shardId: `shard-${stream}`,
          partitionKey: symbol,
        }));
        if (records.length > 0) await archiver.archive(records, stream);
        archive[stream] = [];
      }
    };

    let reanchors = 0;
    let diffCount = 0;
    let dropped: FeedDiff | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      let diffs = feed.take(diffsInRound(round));
      const tradeFrames = trades.framesFor(diffs, feed);
      // A diff lost before the ingestor: neither Redis nor bronze ever sees it.
      if (round === GAP_ROUND) {
        dropped = diffs[7] as FeedDiff; // a round of 23
        diffs = diffs.filter((d) => d !== dropped);
      }
      diffCount += diffs.length;
      const received = nowUs();
      const depthRecords = toRecords(
        diffs.map((d) => d.frame),
        10,
        received,
      );
      const tradeRecords = toRecords(tradeFrames, 10, received);
      archive.depth.push(...depthRecords);
      archive.trade.push(...tradeRecords);
      // The two streams are consumed independently: either may be written first.
      const [first, second] = round % 2 === 0 ? [tradeRecords, depthRecords] : [depthRecords, tradeRecords];
      await aggregator.process(first);
      await aggregator.process(second);
      if (round === 0 || round === GAP_ROUND + 1) {
        // Snapshots older than the log's end, so the re-anchor replays (and feeds) the rest: the
        // first from the middle of the log, the second from inside the hole (right after the lost
        // diff), which the diff that revealed the gap continues.
        snapshotId = dropped
          ? dropped.diff.lastUpdateId
          : (diffs[diffs.length - 12] as FeedDiff).diff.lastUpdateId; // a round of 23
        const result = await reanchor.run(symbol);
        expect(result).toMatchObject({ status: 'swapped' });
        expect(result.status === 'swapped' && result.replayed).toBeGreaterThan(0);
        reanchors++;
      }
      await service.tick();
      if (round % 50 === 49) await flushArchive();
    }
    await flushArchive();
    await servedLog.flush();
    await snapshots.flush();
    expect(reanchors).toBe(2);
    expect(service.flaggedBy).toMatchObject({ 'book-gap': 1 });

    // Offline: nothing but bronze.
    const reader = new S3BronzeReader(s3.client, BUCKET);
    const bronze = await readBronzeTape(reader, symbol, new WasmSbeDecoder());
    expect(bronze).toMatchObject({ snapshots: 2, undecodable: 0, diffs: diffCount });
    // Each says the update id the live book went live at: the replay syncs it there.
    for (const key of await reader.list(datasetPrefix('rest/depth', symbol))) {
      for (const line of await reader.read<DepthLine>(key))
        expect(line.anchoredThroughId).toBeGreaterThan(line.lastUpdateId);
    }
    // Both are the re-anchor's: the parity audit, which anchors only where the live book was, keeps them.
    expect(
      (await readBronzeTape(reader, symbol, new WasmSbeDecoder(), { snapshots: 'reanchor' })).snapshots,
    ).toBe(2);
    const replay = replayTape(bronze.tape, { tickUs: 100_000 });
    expect(replay.stats.gaps).toBe(1);

    const live = await readServedVectors(reader, symbol);
    expect(live).toHaveLength(service.servedCount);
    expect(live.length).toBeGreaterThan(150);

    const parity = compareWithReplay(live, replay.vectors, replay);
    expect(parity.examples).toEqual([]);
    expect(parity).toMatchObject({
      compared: live.length,
      identical: live.length,
      tradesInFlight: 0,
      other: 0,
      missingOffline: 0,
      afterTapeEnd: 0,
    });
    console.log(
      `[parity] ${parity.identical}/${parity.served} served vectors identical; offline replay of ${bronze.diffs} diffs, ${bronze.trades} trades, ${bronze.snapshots} snapshots`,
    );
    // Not vacuous: after warm-up every feature has a value, and the trade features vary.
    const complete = live.filter((v) => Array.from(v.values).every(Number.isFinite));
    expect(complete.length).toBeGreaterThan(30);
    const tfi = new Set(complete.map((v) => v.values[FEATURE_NAMES.indexOf('tfi_1s')]));
    expect(tfi.size).toBeGreaterThan(10);
  }, 60_000);
});
