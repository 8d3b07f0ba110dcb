/**
 * The publisher's failure paths, which an emulator cannot produce: partial PutRecords failures and
 * throttling (aws-sdk-client-mock), a full buffer. Nothing is lost, nothing reordered per key.
 */
import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IngestorMetrics } from '../../containers/sbe-ingestor/ingestor-metrics.ts';
import { KinesisPublisher } from '../../containers/sbe-ingestor/kinesis-publisher.ts';
import { allocateEnvelopeFrames, readEnvelope } from '../../core/envelope/frame-envelope.ts';

const kinesis = mockClient(KinesisClient);
const streamNames = { trade: 'trade', bestbidask: 'bba', depth: 'depth' };

/** Frame i of a symbol: 4 bytes holding i, so order can be checked after the round trip. */
const frame = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);

/** Frames per partition key in the order Kinesis accepted them. */
function accepted(calls: PutRecordsCommandInput[], succeeded: boolean[][]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const frames = allocateEnvelopeFrames();
  calls.forEach((input, c) => {
    input.Records?.forEach((record, r) => {
      if (!succeeded[c]?.[r]) return;
      const data = record.Data as Uint8Array;
      const n = readEnvelope(data, frames);
      const list = out.get(record.PartitionKey as string) ?? [];
      for (let i = 0; i < n; i++) {
        const at = frames.offsets[i] as number;
        list.push(new DataView(data.buffer, data.byteOffset + at, 4).getUint32(0, true));
      }
      out.set(record.PartitionKey as string, list);
    });
  });
  return out;
}

describe('KinesisPublisher', () => {
  beforeEach(() => kinesis.reset());

  it('retries only failed entries, preserving order per partition key', async () => {
    const calls: PutRecordsCommandInput[] = [];
    const succeeded: boolean[][] = [];
    let call = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      calls.push(input);
      // Every other call fails its first entry, as a hot shard does.
      const ok = (input.Records ?? []).map((_, r) => !(call % 2 === 0 && r === 0));
      call++;
      succeeded.push(ok);
      return {
        FailedRecordCount: ok.filter((x) => !x).length,
        Records: ok.map((x, r) =>
          x
            ? { SequenceNumber: `${call}-${r}`, ShardId: 'shardId-000000000000' }
            : { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
        ),
      };
    });
    const metrics = new IngestorMetrics();
    const publisher = new KinesisPublisher({
      client: new KinesisClient({ region: 'ap-northeast-1' }),
      streamNames,
      metrics,
      lingerMs: 0,
      retry: { baseMs: 1, capMs: 5 },
    });
    for (let i = 0; i < 3000; i++) {
      publisher.add('depth', 'BTCUSDT', frame(i), i);
      publisher.add('depth', 'ETHUSDT', frame(i), i);
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(await publisher.flush(10_000)).toBe(true);
    const byKey = accepted(calls, succeeded);
    const all = Array.from({ length: 3000 }, (_, i) => i);
    expect(byKey.get('BTCUSDT')).toEqual(all);
    expect(byKey.get('ETHUSDT')).toEqual(all);
    expect(publisher.recordsFailed).toBeGreaterThan(0);
    expect(
      await metrics.value(metrics.putFailures, {
        stream: 'depth',
        error: 'ProvisionedThroughputExceededException',
      }),
    ).toBe(publisher.recordsFailed);
    // One record per partition key per call: at most 2 entries per call here.
    expect(Math.max(...calls.map((c) => c.Records?.length ?? 0))).toBe(2);
  });

  it('retries a throttled call with backoff until it succeeds', async () => {
    let attempts = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      attempts++;
      if (attempts <= 3)
        throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      return {
        FailedRecordCount: 0,
        Records: (input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 's' })),
      };
    });
    const publisher = new KinesisPublisher({
      client: new KinesisClient({ region: 'ap-northeast-1', maxAttempts: 1 }),
      streamNames,
      metrics: new IngestorMetrics(),
      lingerMs: 0,
      retry: { baseMs: 1, capMs: 5 },
    });
    publisher.add('trade', 'BTCUSDT', frame(1), 1);
    expect(await publisher.flush(5000)).toBe(true);
    expect(attempts).toBe(4);
    expect(publisher.framesPut).toBe(1);
  });

  it('asks for backpressure, then refuses and signals once when the buffer is full', async () => {
    // Kinesis unavailable: nothing drains.
    kinesis.on(PutRecordsCommand).rejects(new Error('endpoint unreachable'));
    const pressure: boolean[] = [];
    const overflows: string[] = [];
    const metrics = new IngestorMetrics();
    const publisher = new KinesisPublisher({
      client: new KinesisClient({ region: 'ap-northeast-1', maxAttempts: 1 }),
      streamNames,
      metrics,
      maxBufferedBytes: 16 * 1000,
      retry: { baseMs: 1000, capMs: 1000 },
      onPressure: (high) => pressure.push(high),
      onOverflow: (kind, symbol) => overflows.push(`${kind}:${symbol}`),
    });
    const accepted = Array.from({ length: 1500 }, (_, i) => publisher.add('depth', 'BTCUSDT', frame(i), i));
    // 12 bytes of envelope header + 4 bytes of frame: 1000 frames fit in 16,000 bytes.
    expect(accepted.filter(Boolean)).toHaveLength(1000);
    expect(publisher.bufferedBytes).toBe(16_000);
    expect(pressure).toEqual([true]);
    expect(overflows).toEqual(['depth:BTCUSDT']);
    expect(await metrics.value(metrics.overflowFrames, { stream: 'depth' })).toBe(500);
    expect(await publisher.close(50)).toBe(false);
  });
});
