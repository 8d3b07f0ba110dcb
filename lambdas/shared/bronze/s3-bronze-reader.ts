/** BronzeReader on S3: lists keys (list-s3-objects.ts), reads gzip NDJSON objects back into lines. */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import { fromNdjson } from '../../../core/bronze/ndjson.ts';
import { listS3Objects } from './list-s3-objects.ts';

const gunzipAsync = promisify(gunzip);

export class S3BronzeReader implements BronzeReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listS3Objects(this.s3, this.bucket, prefix, startAfter)) keys.push(o.key);
    return keys;
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
