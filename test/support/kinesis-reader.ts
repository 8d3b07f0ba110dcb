/** Reads a whole Kinesis stream back (every shard, from the start) through the real client. */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { allocateEnvelopeFrames, readEnvelope } from '../../core/envelope/frame-envelope.ts';

export interface StoredFrame {
  bytes: Uint8Array;
  receiveTimeUs: number;
  partitionKey: string;
}

export async function readStreamRecords(client: KinesisClient, stream: string) {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const records = [];
  for (const shard of Shards) {
    let { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (ShardIterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
      records.push(...(page.Records ?? []));
      if (!page.Records?.length) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return records;
}

/** Every frame inside every envelope of the stream, in stored order. */
export async function readStreamFrames(client: KinesisClient, stream: string): Promise<StoredFrame[]> {
  const out = allocateEnvelopeFrames();
  const frames: StoredFrame[] = [];
  for (const record of await readStreamRecords(client, stream)) {
    const data = record.Data as Uint8Array;
    const count = readEnvelope(data, out);
    for (let i = 0; i < count; i++) {
      const at = out.offsets[i] as number;
      frames.push({
        bytes: data.slice(at, at + (out.lengths[i] as number)),
        receiveTimeUs: out.receiveTimesUs[i] as number,
        partitionKey: record.PartitionKey ?? '',
      });
    }
  }
  return frames;
}
