/**
 * BronzeWriter on S3: one gzip NDJSON object per call, `Content-Encoding` left unset so that Athena
 * and DuckDB read the `.gz` as a compressed file (not transparently decompressed by S3 clients). A
 * PUT replaces the key whole, so a retry after a crash overwrites, never duplicates.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BronzeWriter } from '../../../core/bronze/bronze-store.ts';
import { toNdjson } from '../../../core/bronze/ndjson.ts';

const gzipAsync = promisify(gzip);

export class S3BronzeWriter implements BronzeWriter {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async write(key: string, lines: readonly unknown[]): Promise<void> {
    const body = await gzipAsync(Buffer.from(toNdjson(lines)));
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}
