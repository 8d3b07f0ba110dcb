/**
 * Kinesis on one machine: kinesalite (in memory) in this process, reached through the real AWS SDK
 * v3 client by endpoint override, the same code path as AWS and LocalStack.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceInUseException,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { kinesisClient } from '../../lambdas/shared/aws-clients.ts';

export interface KinesisEmulator {
  endpoint: string;
  region: string;
  client: KinesisClient;
  createStream(name: string, shards?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startKinesisEmulator(port = 0, region = 'ap-northeast-1'): Promise<KinesisEmulator> {
  // createStreamMs 0: streams are ACTIVE at once instead of after kinesalite's simulated delay.
  const server: Server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = kinesisClient({ region, endpoint });
  return {
    endpoint,
    region,
    client,
    async createStream(name, shards = 1) {
      try {
        await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      for (let i = 0; i < 100; i++) {
        const { StreamDescriptionSummary } = await client.send(
          new DescribeStreamSummaryCommand({ StreamName: name }),
        );
        if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`Stream ${name} did not become ACTIVE.`);
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
