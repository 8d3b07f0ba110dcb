/** BronzeSource over S3 (the real service, LocalStack or s3rver through the endpoint override). */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BronzeObjectRef, BronzeSource, ConnectorCheckpoint } from './bronze-source.ts';

/** S3 quotes ETags in listings and GETs but not in event notifications: compare them bare. */
export const unquote = (etag: string) => etag.replace(/"/g, '');

const checkpointKey = (dataset: string, symbol: string) =>
  `checkpoints/data-connector/${dataset}/symbol=${symbol}.json`;

export class S3BronzeSource implements BronzeSource {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * Pages with StartAfter (the last key seen) rather than continuation tokens: the same result on S3,
   * and s3rver's tokens need a cipher Node 17+ disables by default.
   */
  async *list(prefix: string, startAfter?: string): AsyncIterable<BronzeObjectRef> {
    let after = startAfter;
    for (;;) {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(after ? { StartAfter: after } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        after = o.Key;
        yield { key: o.Key, ...(o.ETag ? { etag: unquote(o.ETag) } : {}) };
      }
      if (!page.IsTruncated || !page.Contents?.length) return;
    }
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
