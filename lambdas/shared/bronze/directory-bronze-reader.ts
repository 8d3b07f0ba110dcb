/**
 * BronzeReader over a local copy of the bronze bucket (`aws s3 sync s3://<bucket> <dir>`): keys are
 * paths relative to the directory, objects gzip NDJSON as in S3. The directory may also hold the
 * `bronze/` tree itself one level down (a SageMaker channel of the prefix).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { BRONZE_ROOT } from '../../../core/bronze/bronze-keys.ts';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import { fromNdjson } from '../../../core/bronze/ndjson.ts';

const gunzipAsync = promisify(gunzip);

export class DirectoryBronzeReader implements BronzeReader {
  private keys: Map<string, string> | undefined;

  constructor(private readonly dir: string) {}

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    return [...(await this.index()).keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort();
  }

  async read<T = unknown>(key: string): Promise<T[]> {
    const path = (await this.index()).get(key);
    if (!path) throw new Error(`${key} is not under ${this.dir}.`);
    const bytes = await readFile(path);
    const text = key.endsWith('.gz') ? (await gunzipAsync(bytes)).toString('utf8') : bytes.toString('utf8');
    return fromNdjson<T>(text);
  }

  /** Key → file, keys starting at `bronze/` wherever that is in the copy. */
  private async index(): Promise<Map<string, string>> {
    if (!this.keys) {
      this.keys = new Map();
      const entries = await readdir(this.dir, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const path of entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))) {
        const rel = relative(this.dir, path).split(sep).join('/');
        const at = `/${rel}`.indexOf(`/${BRONZE_ROOT}/`);
        if (at >= 0) this.keys.set(rel.slice(at), path);
      }
    }
    return this.keys;
  }
}
