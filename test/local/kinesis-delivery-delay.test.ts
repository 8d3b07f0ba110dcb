/**
 * The local event source can reproduce the delivery delay of the AWS mapping it stands for
 * (`npm start -- --kinesis-delivery polling|fan-out`). Asserted as lower bounds and order only: a
 * busy machine may deliver later, never sooner.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import {
  FAN_OUT_PUSH_DELAY_MS,
  KinesisEventSource,
  STANDARD_POLL_INTERVAL_MS,
} from '../../local/kinesis-event-source.ts';

let kinesis: KinesisEmulator;
let run = 0;
beforeAll(async () => {
  kinesis = await startKinesisEmulator();
});
afterAll(async () => {
  await kinesis.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newStream(): Promise<string> {
  const name = `delay-${++run}`;
  await kinesis.createStream(name, 1);
  return name;
}

async function put(streamName: string, values: string[]): Promise<void> {
  await kinesis.client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: values.map((v) => ({ Data: Buffer.from(v), PartitionKey: 'BTCUSDT' })),
    }),
  );
}

/** Every delivered record with the time its batch reached the handler. */
function recorder() {
  const delivered: { value: string; arrivalMs: number; deliveredMs: number }[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    const deliveredMs = Date.now();
    for (const r of event.Records) {
      delivered.push({
        value: Buffer.from(r.kinesis.data, 'base64').toString(),
        arrivalMs: r.kinesis.approximateArrivalTimestamp * 1000,
        deliveredMs,
      });
    }
    return { batchItemFailures: [] };
  };
  return { delivered, handler };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await sleep(20);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('local event source: delivery delay of the mapping it stands for', () => {
  it('fan-out: no record reaches the handler sooner than the push delay after its put, in order', async () => {
    const name = await newStream();
    const { delivered, handler } = recorder();
    const source = new KinesisEventSource({
      client: kinesis.client,
      streamName: name,
      region: kinesis.region,
      handler,
      delivery: 'fan-out',
    });
    await source.start();
    const values = Array.from({ length: 60 }, (_, i) => `r${i}`);
    // Three puts a little apart, so some records wait in the queue behind others still held.
    for (let i = 0; i < values.length; i += 20) {
      await put(name, values.slice(i, i + 20));
      await sleep(25);
    }
    await until(() => delivered.length === values.length, 'every record');
    await source.stop();
    expect(delivered.map((d) => d.value)).toEqual(values);
    for (const d of delivered)
      expect(d.deliveredMs - d.arrivalMs).toBeGreaterThanOrEqual(FAN_OUT_PUSH_DELAY_MS);
  });

  it('polling: a caught-up shard is polled no more than once a second, and nothing is lost', async () => {
    const name = await newStream();
    const { delivered, handler } = recorder();
    const polls: { atMs: number; records: number }[] = [];
    // The real client, with each GetRecords answer timed on its way back.
    const timed = new Proxy(kinesis.client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: Parameters<KinesisClient['send']>[0]) => {
          const output = await target.send(command as never);
          if (command.constructor.name === 'GetRecordsCommand') {
            polls.push({
              atMs: Date.now(),
              records: (output as { Records?: unknown[] }).Records?.length ?? 0,
            });
          }
          return output;
        };
      },
    });
    const source = new KinesisEventSource({
      client: timed,
      streamName: name,
      region: kinesis.region,
      handler,
      delivery: 'polling',
    });
    await source.start();
    await until(() => polls.length >= 2, 'two polls of the idle shard');
    await put(name, ['a', 'b', 'c']);
    await until(() => delivered.length === 3, 'the three records');
    await until(() => polls.length >= 4, 'two more polls');
    await source.stop();
    expect(delivered.map((d) => d.value)).toEqual(['a', 'b', 'c']);
    // After a poll that found nothing, the next one waits the standard interval (timers may fire a
    // millisecond early, hence the slack of 5 ms, far below the 1 s being checked).
    for (let i = 1; i < polls.length; i++) {
      const previous = polls[i - 1] as { atMs: number; records: number };
      if (previous.records > 0) continue;
      expect((polls[i] as { atMs: number }).atMs - previous.atMs).toBeGreaterThanOrEqual(
        STANDARD_POLL_INTERVAL_MS - 5,
      );
    }
  });
});
