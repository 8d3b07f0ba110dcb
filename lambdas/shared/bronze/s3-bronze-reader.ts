/**
 * BronzeReader on S3: lists keys page by page with StartAfter (not continuation tokens: same result,
 * and s3rver's tokens need OpenSSL's legacy DES), reads gzip NDJSON objects back into lines.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import { fromNdjson } from '../../../core/bronze/ndjson.ts';

const gunzipAsync = promisify(gunzip);

export class S3BronzeReader implements BronzeReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let after = startAfter;
    for (;;) {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(after ? { StartAfter: after } : {}),
        }),
      );
      const batch = (page.Contents ?? []).map((o) => o.Key as string);
      keys.push(...batch);
      if (!page.IsTruncated || batch.length === 0) return keys;
      after = batch[batch.length - 1];
    }
  }

  async read<T = unknown>(key: string): Promise<T[]> {
    const bytes = await this.bytes(key);
    return fromNdjson<T>((await gunzipAsync(bytes)).toString('utf8'));
  }

  private async bytes(key: string): Promise<Uint8Array> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!object.Body) throw new Error(`s3://${this.bucket}/${key} has no body.`);
    return object.Body.transformToByteArray();
  }
}
