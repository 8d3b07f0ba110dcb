/**
 * The raw-stream archiver driven by the local Kinesis event source (kinesalite) and writing to
 * s3rver: every frame lands exactly once, in order, and decodes back to the exact frame bytes; keys
 * are shard and sequence numbers; a replayed batch overwrites the same keys.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPrefix, parseBronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { StreamFrameLine } from '../../core/bronze/bronze-lines.ts';
import { EnvelopeBuilder } from '../../core/envelope/frame-envelope.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { createStreamArchiverHandler } from '../../lambdas/stream-archiver/handler.ts';
import { StreamArchiver } from '../../lambdas/stream-archiver/stream-archiver.ts';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { KinesisEventSource } from '../../local/kinesis-event-source.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { MarketScript, streamOf } from '../support/market-frames.ts';

let kinesis: KinesisEmulator;
let s3: S3Emulator;
const BUCKET = `archive-${process.pid}`;
beforeAll(async () => {
  [kinesis, s3] = await Promise.all([startKinesisEmulator(), startS3Emulator({ buckets: [BUCKET] })]);
});
afterAll(async () => {
  await kinesis?.close();
  await s3?.close();
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('raw-stream archiver', () => {
  it('archives every frame exactly once, decodable back to the exact bytes, keyed by shard and sequence', async () => {
    const decoder = new WasmSbeDecoder();
    const handler = createStreamArchiverHandler({
      archiver: new StreamArchiver({ writer: new S3BronzeWriter(s3.client, BUCKET), decoder }),
      record: () => {},
      log: () => {},
    });
    const events: KinesisStreamEvent[] = [];
    const frames = new MarketScript('BTCUSDT').take(600);
    // A frame the ingestor received but no decoder accepts (bad schema id): archived all the same.
    const corrupt = Uint8Array.from(frames[1]?.bytes as Uint8Array);
    corrupt[4] = 99;
    const byStream: Record<string, Uint8Array[]> = { trade: [], bestbidask: [], depth: [] };
    for (const f of frames) byStream[streamOf(f.message)]?.push(f.bytes);
    byStream.trade?.splice(10, 0, corrupt);

    for (const [stream, list] of Object.entries(byStream)) {
      const name = `arch-${stream}`;
      await kinesis.createStream(name);
      // 5 frames per record (envelope), as the ingestor packs them.
      const records: Uint8Array[] = [];
      for (let i = 0; i < list.length; i += 5) {
        const builder = new EnvelopeBuilder();
        list.slice(i, i + 5).forEach((bytes, k) => {
          builder.tryAdd(bytes, 1_723_161_255_000_000 + i + k);
        });
        records.push(builder.finish());
      }
      await kinesis.client.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: records.map((Data) => ({ Data, PartitionKey: 'BTCUSDT' })),
        }),
      );
      const source = new KinesisEventSource({
        client: kinesis.client,
        streamName: name,
        region: s3.region,
        batchSize: 7,
        handler: async (event) => {
          events.push(event);
          return handler(event);
        },
      });
      await source.start();
      expect(await source.drain()).toBe(true);
      await source.stop();
      expect(source.deadLettered).toBe(0);
    }

    const reader = new S3BronzeReader(s3.client, BUCKET);
    for (const [stream, sent] of Object.entries(byStream)) {
      const keys = await reader.list(datasetPrefix(`stream/${stream}` as 'stream/trade', 'BTCUSDT'));
      expect(keys.length).toBeGreaterThan(1);
      const lines: StreamFrameLine[] = [];
      for (const key of keys.sort((a, b) => {
        const seq = (k: string) => BigInt(String(parseBronzeKey(k)?.first).split('_')[1] as string);
        return seq(a) < seq(b) ? -1 : 1;
      })) {
        const parsed = parseBronzeKey(key);
        expect(parsed?.first).toMatch(/^shardId-\d+_\d+$/);
        expect(parsed?.last).toMatch(/^\d+$/);
        lines.push(...(await reader.read<StreamFrameLine>(key)));
      }
      expect(lines.map((l) => l.sbe)).toEqual(sent.map(b64));
      for (const line of lines) {
        const bytes = Buffer.from(line.sbe, 'base64');
        if (bytes.equals(Buffer.from(corrupt))) {
          expect(line.firstId).toBeNull();
          continue;
        }
        const message = decoder.decode(bytes);
        expect(message?.templateId).toBe(line.templateId);
        expect(message?.eventTimeUs).toBe(line.eventTimeUs);
        if (message?.templateId === TemplateId.Trades) {
          expect([line.firstId, line.lastId]).toEqual([message.trades[0]?.id, message.trades.at(-1)?.id]);
        } else if (message?.templateId === TemplateId.DepthDiff) {
          expect([line.firstId, line.lastId]).toEqual([message.firstBookUpdateId, message.lastBookUpdateId]);
        } else {
          expect([line.firstId, line.lastId]).toEqual([message?.bookUpdateId, message?.bookUpdateId]);
        }
      }
    }

    // A replayed batch (Kinesis is at least once) writes the same keys: no new object.
    const all = async () => (await reader.list('bronze/stream/')).length;
    const before = await all();
    for (const event of events.slice(0, 5)) await handler(event);
    expect(await all()).toBe(before);
  });

  it('reports the batch for retry when a write fails, and a record that is not an envelope', async () => {
    const failing = createStreamArchiverHandler({
      archiver: new StreamArchiver({
        writer: { write: () => Promise.reject(new Error('S3 is away')) },
        decoder: new WasmSbeDecoder(),
      }),
      record: () => {},
      log: () => {},
    });
    const builder = new EnvelopeBuilder();
    builder.tryAdd(new MarketScript().next().bytes, 1);
    const record = (data: Uint8Array, seq: string) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'BTCUSDT',
        sequenceNumber: seq,
        data: Buffer.from(data).toString('base64'),
        approximateArrivalTimestamp: 1,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/x',
      awsRegion: 'ap-northeast-1',
      eventSourceARN: 'arn:aws:kinesis:ap-northeast-1:000000000000:stream/market-sbe-depth',
    });
    const event = { Records: [record(builder.finish(), '11'), record(builder.finish(), '12')] };
    expect(await failing(event)).toEqual({ batchItemFailures: [{ itemIdentifier: '11' }] });
    const notEnvelope = createStreamArchiverHandler({
      archiver: new StreamArchiver({ writer: { write: async () => {} }, decoder: new WasmSbeDecoder() }),
      record: () => {},
      log: () => {},
    });
    expect(await notEnvelope({ Records: [record(Uint8Array.of(7, 7, 7), '21')] })).toEqual({
      batchItemFailures: [{ itemIdentifier: '21' }],
    });
  });
});
