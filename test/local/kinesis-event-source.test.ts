/**
 * The local event source behaves like Lambda's Kinesis event source mapping: AWS's event shape, in
 * order per shard, retries from the reported record, bisection, dead letters after bounded retries.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { type DeadLetter, KinesisEventSource } from '../../local/kinesis-event-source.ts';

let kinesis: KinesisEmulator;
let run = 0;
beforeAll(async () => {
  kinesis = await startKinesisEmulator();
});
afterAll(async () => {
  await kinesis.close();
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function streamWith(values: string[]): Promise<string> {
  const name = `es-${++run}`;
  await kinesis.createStream(name, 2);
  for (let i = 0; i < values.length; i += 100) {
    await kinesis.client.send(
      new PutRecordsCommand({
        StreamName: name,
        // Two partition keys over two shards: order is promised per shard only.
        Records: values
          .slice(i, i + 100)
          .map((v, k) => ({ Data: Buffer.from(v), PartitionKey: (i + k) % 2 ? 'A' : 'B' })),
      }),
    );
  }
  return name;
}

const decode = (event: KinesisStreamEvent) =>
  event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());

describe('local Kinesis event source', () => {
  it('delivers every record once, in order per partition key, in the event shape AWS sends', async () => {
    const values = Array.from({ length: 500 }, (_, i) => `v${i}`);
    const name = await streamWith(values);
    const seen: string[] = [];
    let shape: KinesisStreamEvent['Records'][number] | undefined;
    const source = new KinesisEventSource({
      client: kinesis.client,
      streamName: name,
      region: 'ap-northeast-1',
      batchSize: 64,
      handler: async (event) => {
        shape ??= event.Records[0];
        expect(event.Records.length).toBeLessThanOrEqual(64);
        seen.push(...decode(event));
      },
    });
    await source.start();
    expect(await source.drain()).toBe(true);
    await source.stop();
    expect([...seen].sort()).toEqual([...values].sort());
    for (const key of [0, 1]) {
      const expected = values.filter((_, i) => i % 2 === key);
      expect(seen.filter((v) => Number(v.slice(1)) % 2 === key)).toEqual(expected);
    }
    expect(shape).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventSourceARN: `arn:aws:kinesis:ap-northeast-1:000000000000:stream/${name}`,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: expect.any(String),
        sequenceNumber: expect.any(String),
      },
    });
    expect(typeof shape?.kinesis.approximateArrivalTimestamp).toBe('number');
  });

  it('retries from a reported record and dead-letters a poison record after bounded retries', async () => {
    const values = Array.from({ length: 60 }, (_, i) => (i === 37 ? 'poison' : `v${i}`));
    const name = await streamWith(values);
    const processed: string[] = [];
    const letters: DeadLetter[] = [];
    const source = new KinesisEventSource({
      client: kinesis.client,
      streamName: name,
      region: 'ap-northeast-1',
      batchSize: 16,
      retryAttempts: 2,
      retryBackoff: { baseMs: 1, capMs: 2 },
      onDeadLetter: (l) => letters.push(l),
      handler: async (event) => {
        const failures = [];
        for (const [i, v] of decode(event).entries()) {
          if (v === 'poison') {
            failures.push({ itemIdentifier: event.Records[i]?.kinesis.sequenceNumber as string });
            break;
          }
          processed.push(v);
        }
        return { batchItemFailures: failures };
      },
    });
    await source.start();
    expect(await source.drain()).toBe(true);
    await source.stop();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.attempts).toBeGreaterThan(2);
    // Everything else was processed exactly once, in order per key.
    expect([...processed].sort()).toEqual(values.filter((v) => v !== 'poison').sort());
    expect(new Set(processed).size).toBe(processed.length);
  });

  it('waits up to the batching window for a fuller batch, as MaximumBatchingWindowInSeconds does', async () => {
    const name = await streamWith([]);
    const batches: number[] = [];
    // The window's clock stands still until the test moves it: however slowly a busy machine lets
    // the records trickle in, they all arrive inside the window.
    let nowMs = 1_000_000;
    const source = new KinesisEventSource({
      client: kinesis.client,
      streamName: name,
      region: 'ap-northeast-1',
      batchSize: 1000,
      batchingWindowMs: 400,
      nowMs: () => nowMs,
      handler: async (event) => {
        batches.push(event.Records.length);
      },
    });
    await source.start();
    for (let i = 0; i < 30; i++) {
      await kinesis.client.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: [{ Data: Buffer.from(`v${i}`), PartitionKey: 'A' }],
        }),
      );
    }
    await until(() => source.queued === 30);
    // All thirty are read and the window is still open: nothing is invoked yet.
    expect(batches).toEqual([]);
    nowMs += 400;
    expect(await source.drain()).toBe(true);
    // One invocation once the window closed, not thirty.
    expect(batches).toEqual([30]);
    // A record arriving later opens a new window of its own.
    await kinesis.client.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: [{ Data: Buffer.from('late'), PartitionKey: 'A' }],
      }),
    );
    await until(() => source.queued === 1);
    expect(batches).toEqual([30]);
    nowMs += 400;
    expect(await source.drain()).toBe(true);
    await source.stop();
    expect(batches).toEqual([30, 1]);
  });

  it('treats a thrown error as a failed batch and retries it after a pause, losing nothing', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const name = await streamWith(values);
    const processed: string[] = [];
    let failuresLeft = 3;
    const source = new KinesisEventSource({
      client: kinesis.client,
      streamName: name,
      region: 'ap-northeast-1',
      retryAttempts: 5,
      retryBackoff: { baseMs: 1, capMs: 2 },
      handler: async (event) => {
        if (failuresLeft-- > 0) throw new Error('Redis restarting');
        processed.push(...decode(event));
      },
    });
    await source.start();
    expect(await source.drain()).toBe(true);
    await source.stop();
    expect([...processed].sort()).toEqual([...values].sort());
    expect(source.deadLettered).toBe(0);
    expect(source.failedBatches).toBeGreaterThanOrEqual(3);
  });
});
