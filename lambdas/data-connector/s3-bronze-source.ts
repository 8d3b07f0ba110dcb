/** BronzeSource over S3 (the real service, LocalStack or s3rver through the endpoint override). */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listS3Objects, unquote } from '../shared/bronze/list-s3-objects.ts';
import type { BronzeObjectRef, BronzeSource, ConnectorCheckpoint } from './bronze-source.ts';

const checkpointKey = (dataset: string, symbol: string) =>
  `checkpoints/data-connector/${dataset}/symbol=${symbol}.json`;

export class S3BronzeSource implements BronzeSource {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  list(prefix: string, startAfter?: string): AsyncIterable<BronzeObjectRef> {
    return listS3Objects(this.s3, this.bucket, prefix, startAfter);
  }

  async get(key: string): Promise<{ body: Uint8Array; etag?: string }> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = await r.Body?.transformToByteArray();
    if (!body) throw new Error(`s3://${this.bucket}/${key} has no body.`);
    return { body, ...(r.ETag ? { etag: unquote(r.ETag) } : {}) };
  }

  async readCheckpoint(dataset: string, symbol: string): Promise<ConnectorCheckpoint | undefined> {
    try {
      const { body } = await this.get(checkpointKey(dataset, symbol));
      return JSON.parse(Buffer.from(body).toString('utf8')) as ConnectorCheckpoint;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async writeCheckpoint(dataset: string, symbol: string, checkpoint: ConnectorCheckpoint): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: checkpointKey(dataset, symbol),
        Body: JSON.stringify(checkpoint),
        ContentType: 'application/json',
      }),
    );
  }
}
