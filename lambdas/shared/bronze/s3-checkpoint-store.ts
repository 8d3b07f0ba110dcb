/**
 * CheckpointStore on S3: one small JSON object per job and key beside the data
 * (`checkpoints/<job>/<dataset>/symbol=<SYMBOL>.json`). Callers write it only after the data it
 * covers is in S3, so a crash between the two makes the next run redo (and overwrite) that data.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CheckpointStore } from '../../../core/bronze/bronze-store.ts';

export class S3CheckpointStore implements CheckpointStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf8')) ?? '';
      return JSON.parse(text) as T;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(value),
        ContentType: 'application/json',
      }),
    );
  }
}
