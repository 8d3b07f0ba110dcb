/**
 * The aggregator's Kinesis contract (lambdas/aggregator/handler.ts), with the real aggregator on a
 * real Redis: a batch that cannot reach Redis is reported from its first record (Lambda retries it,
 * bisects, then dead-letters), an unreadable record is reported by its own sequence number after the
 * records before it are applied, and a healthy batch reports nothing and records its outcome against
 * the stream it came from.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { createAggregatorHandler } from '../../lambdas/aggregator/handler.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, toRecords } from '../support/depth-feed.ts';
import { dropSymbol, testRedis, uniqueSymbol } from '../support/redis.ts';

const STREAM_ARN = 'arn:aws:kinesis:ap-northeast-1:123456789012:stream/market-sbe-depth-dev';
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

/** A Kinesis event as Lambda's event source mapping delivers it. */
function kinesisEvent(records: { data: Uint8Array; sequenceNumber: string }[]): KinesisStreamEvent {
  return {
    Records: records.map((r) => ({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/aggregator',
      awsRegion: 'ap-northeast-1',
      eventSourceARN: STREAM_ARN,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'BTCUSDT',
        sequenceNumber: r.sequenceNumber,
        data: Buffer.from(r.data).toString('base64'),
        approximateArrivalTimestamp: Date.now() / 1000,
      },
    })),
  };
}

function handlerOn(redis: Redis) {
  const logged: { level: string; message: string }[] = [];
  const recorded: { stream: string; diffs: number }[] = [];
  const handler = createAggregatorHandler({
    aggregator: new Aggregator(new RedisHotState(redis), new WasmSbeDecoder(), nowUs),
    log: (level, message) => logged.push({ level, message }),
    record: (outcome, _lag, stream) => recorded.push({ stream, diffs: outcome.diffsApplied }),
    triggerReanchor: async () => {},
  });
  return { handler, logged, recorded };
}

let redis: Redis;
let symbol: string;
beforeAll(() => {
  redis = testRedis();
});
afterAll(async () => {
  await redis.quit();
});
afterEach(async () => {
  await dropSymbol(redis, symbol);
});

describe('aggregator Kinesis handler', () => {
  it('reports the whole batch from its first record when Redis cannot be reached, and records nothing', async () => {
    symbol = uniqueSymbol();
    const feed = new DepthFeed(symbol, 3);
    // A closed port: every command fails at once instead of queueing.
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    try {
      const { handler, logged, recorded } = handlerOn(down);
      const records = toRecords(
        feed.take(30).map((d) => d.frame),
        10,
      );
      const response = await handler(kinesisEvent(records));
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.sequenceNumber }]);
      expect(recorded).toEqual([]);
      expect(logged).toContainEqual({ level: 'error', message: 'batch failed; Lambda will retry it' });
    } finally {
      down.disconnect();
    }
  });

  it('applies the records before an unreadable one and reports that one by its sequence number', async () => {
    symbol = uniqueSymbol();
    const feed = new DepthFeed(symbol, 4);
    const { handler, recorded } = handlerOn(redis);
    const good = toRecords(
      feed.take(20).map((d) => d.frame),
      10,
    );
    const garbage = {
      data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
      sequenceNumber: '99999999999999999999',
    };
    const response = await handler(kinesisEvent([...good, garbage]));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: garbage.sequenceNumber }]);
    // The readable records were processed (no book yet: they are logged for the re-anchor).
    expect(recorded).toEqual([{ stream: 'market-sbe-depth-dev', diffs: 0 }]);
  });

  it('reports no failure for a healthy batch and records its outcome against its stream', async () => {
    symbol = uniqueSymbol();
    const feed = new DepthFeed(symbol, 5);
    const { handler, recorded } = handlerOn(redis);
    const response = await handler(kinesisEvent(toRecords(feed.take(10).map((d) => d.frame))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.stream).toBe('market-sbe-depth-dev');
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});
