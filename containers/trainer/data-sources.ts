/**
 * Where the trainer's rows come from, by a `--data` spec:
 * - `a.txt.gz[,b.txt.gz…]` or a directory of `*_raw_stream.txt[.gz]`: recordings replayed through
 *   core/features (cold start);
 * - a directory holding bronze `features/served/**.ndjson.gz` (a copy of the bucket): served vectors;
 * - `postgres://…`, `pglite:<dir>`: the data connector's `features` table (or a SqlClient passed in,
 *   e.g. the Data API in AWS).
 * Served vectors are labelled from the vector 10 s later (core/model/dataset.ts explains why that is
 * the same label). Vectors of another FEATURE_VERSION are refused by the readers.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FEATURE_VERSION, type FeatureVector } from '../../core/features/feature-names.ts';
import { type Dataset, datasetFromServedVectors } from '../../core/model/dataset.ts';
import { parseBronzeKey, parseBronzeObject } from '../../lambdas/data-connector/bronze-objects.ts';
import { MarketDataRepository } from '../../lambdas/shared/sql/market-data-repository.ts';
import { openSqlClient, sqlTargetFromUrl } from '../../lambdas/shared/sql/open-sql-client.ts';
import type { SqlClient } from '../../lambdas/shared/sql/sql-client.ts';
import { datasetFromRecordings } from './recording-dataset.ts';

const RECORDING = /_raw_stream\.txt(\.gz)?$|\.txt\.gz$/;

export class DataSourceError extends Error {
  override readonly name = 'DataSourceError';
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out.sort();
}

export async function datasetFromSql(
  sql: SqlClient,
  symbol = 'BTCUSDT',
  source = 'postgres',
): Promise<Dataset> {
  const vectors = await new MarketDataRepository(sql).readFeatures(symbol, FEATURE_VERSION);
  return datasetFromServedVectors(vectors, `${source}:features(${vectors.length})`);
}

/** Served vectors from a local copy of the bronze bucket. */
export async function datasetFromBronzeDirectory(dir: string, symbol = 'BTCUSDT'): Promise<Dataset> {
  const vectors: FeatureVector[] = [];
  for (const path of await walk(dir)) {
    const rel = relative(dir, path).split('\\').join('/');
    const at = rel.indexOf('bronze/');
    const k = parseBronzeKey(at >= 0 ? rel.slice(at) : `bronze/${rel}`);
    if (k?.dataset !== 'features/served' || k.symbol !== symbol) continue;
    const parsed = parseBronzeObject(k, await readFile(path));
    if (parsed.dataset !== 'features/served') continue;
    for (const r of parsed.rows) {
      if (r.featureVersion !== FEATURE_VERSION) continue;
      vectors.push({
        eventTimeUs: r.eventTimeUs,
        values: r.values.map((x) => (x === null ? Number.NaN : x)),
      });
    }
  }
  return datasetFromServedVectors(vectors, `bronze:${dir}`);
}

export async function loadDataset(spec: string): Promise<Dataset> {
  if (/^(postgres(ql)?:\/\/|pglite:)/.test(spec)) {
    const sql = await openSqlClient(sqlTargetFromUrl(spec));
    try {
      return await datasetFromSql(sql, 'BTCUSDT', spec.replace(/\/\/[^@/]*@/, '//'));
    } finally {
      await sql.close();
    }
  }
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > 1 || RECORDING.test(spec)) return datasetFromRecordings(parts);
  const info = await stat(spec).catch(() => undefined);
  if (!info) throw new DataSourceError(`--data ${spec}: no such file or directory.`);
  if (!info.isDirectory()) return datasetFromRecordings([spec]);
  const files = await walk(spec);
  const recordings = files.filter((f) => /_raw_stream\.txt(\.gz)?$/.test(f));
  if (recordings.length > 0) return datasetFromRecordings(recordings);
  const dataset = await datasetFromBronzeDirectory(spec);
  if (dataset.rows.length === 0)
    throw new DataSourceError(`--data ${spec}: neither recordings nor bronze features/served objects found.`);
  return dataset;
}
