/**
 * BronzeWriter into a local directory laid out as the bucket (as `aws s3 sync` leaves it): gzip
 * NDJSON at `<dir>/<key>`, which DirectoryBronzeReader reads back.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BronzeWriter } from '../../../core/bronze/bronze-store.ts';
import { toNdjson } from '../../../core/bronze/ndjson.ts';

export class DirectoryBronzeWriter implements BronzeWriter {
  constructor(private readonly dir: string) {}

  async write(key: string, lines: readonly unknown[]): Promise<void> {
    const path = join(this.dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, gzipSync(toNdjson(lines)));
  }
}
