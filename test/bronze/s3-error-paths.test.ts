/**
 * S3 failures s3rver cannot produce (throttling, 500), through aws-sdk-client-mock: the bronze
 * adapters surface them (never swallow) and a missing checkpoint reads as none.
 */
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../../lambdas/shared/bronze/s3-checkpoint-store.ts';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const serviceError = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });

describe('bronze S3 adapters on S3 errors', () => {
  it('a throttled or failed PUT rejects with the service error', async () => {
    const writer = new S3BronzeWriter(new S3Client({ region: 'ap-northeast-1', maxAttempts: 1 }), 'b');
    s3.on(PutObjectCommand)
      .rejectsOnce(serviceError('SlowDown', 503))
      .rejectsOnce(serviceError('InternalError', 500));
    await expect(writer.write('bronze/x.ndjson.gz', [{ a: 1 }])).rejects.toMatchObject({ name: 'SlowDown' });
    await expect(writer.write('bronze/x.ndjson.gz', [{ a: 1 }])).rejects.toMatchObject({
      name: 'InternalError',
    });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('a missing checkpoint is none; any other read error is thrown', async () => {
    const store = new S3CheckpointStore(new S3Client({ region: 'ap-northeast-1', maxAttempts: 1 }), 'b');
    s3.on(GetObjectCommand)
      .rejectsOnce(new NoSuchKey({ message: 'none', $metadata: {} }))
      .rejectsOnce(serviceError('InternalError', 500));
    expect(await store.get('checkpoints/x.json')).toBeUndefined();
    await expect(store.get('checkpoints/x.json')).rejects.toMatchObject({ name: 'InternalError' });
  });
});
