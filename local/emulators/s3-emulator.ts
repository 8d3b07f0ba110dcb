/**
 * S3 on one machine: s3rver in this process, storing objects in a temporary directory, reached
 * through the real AWS SDK v3 client by endpoint override with path-style addressing (the same code
 * path as AWS and LocalStack). s3rver makes a continuation token with DES for every listing longer
 * than a page (whether or not the client ever sends it back), and Node 17+ has DES only with
 * `--openssl-legacy-provider`: `npm start` sets it, so do the test workers (vitest.config.ts), and the emulator
 * refuses to start without it rather than fail later on the 1,001st bronze object.
 */
import { createCipheriv } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../lambdas/shared/aws-clients.ts';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
}) => S3rverInstance;

// s3rver ships no types: what is used of it is typed here, at the one place it is used.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};
// s3rver checks SigV4 signatures against its accounts; lambdas/shared/aws-clients.ts signs every
// emulator request with local/local, so that key pair is registered (S3RVER/S3RVER stays valid).
DUMMY_ACCOUNT.createKeyPair('local', 'local');

export interface S3Emulator {
  endpoint: string;
  region: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

export class S3EmulatorSetupError extends Error {
  override readonly name = 'S3EmulatorSetupError';
}

function assertDesAvailable(): void {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new S3EmulatorSetupError(
      'The S3 emulator (s3rver) needs DES for listings longer than a page: run Node with ' +
        'NODE_OPTIONS=--openssl-legacy-provider (npm start does; vitest.config.ts passes it to test workers).',
    );
  }
}

export async function startS3Emulator(
  options: { port?: number; region?: string; buckets?: string[] } = {},
): Promise<S3Emulator> {
  assertDesAvailable();
  const region = options.region ?? 'ap-northeast-1';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    resetOnClose: true,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = s3Client({ region, endpoint });
  const emulator: S3Emulator = {
    endpoint,
    region,
    client,
    async createBucket(name) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        const n = (error as { name?: string }).name;
        if (n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists') throw error;
      }
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  for (const bucket of options.buckets ?? []) await emulator.createBucket(bucket);
  return emulator;
}
