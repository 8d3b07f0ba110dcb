/**
 * Where the trainer's rows come from, by a `--data` spec:
 * - `a.txt.gz[,b.csv…]` or a directory of history files (Binance `*_raw_stream.txt[.gz]`, tardis.dev
 *   `*.csv[.gz]`; format told from the content, lambdas/shared/history): replayed through
 *   core/features, streaming (cold start);
 * - `s3://<bronze bucket>` or a directory holding a copy of it: the served vectors
 *   (`features/served`), or, with too few of them, the bronze market data replayed through
 *   core/features (datasetFromBronze);
 * - `postgres://…`, `pglite:<dir>`: the data connector's `features` table (or a SqlClient passed in,
 *   e.g. the Data API in AWS).
 * Served vectors are labelled from the vector 10 s later (core/model/dataset.ts explains why that is
 * the same label). Vectors of another FEATURE_VERSION are left out.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BronzeReader } from '../../core/bronze/bronze-store.ts';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { LABEL_HORIZON_US } from '../../core/features/label.ts';
import { type Dataset, datasetFromReplay, datasetFromServedVectors } from '../../core/model/dataset.ts';
import { type ReplayStats, replayTape } from '../../core/model/feature-replay.ts';
import { type AwsClientOptions, s3Client } from '../../lambdas/shared/aws-clients.ts';
import { DirectoryBronzeReader } from '../../lambdas/shared/bronze/directory-bronze-reader.ts';
import { readBronzeTape, readServedVectors } from '../../lambdas/shared/bronze/read-bronze-tape.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { MarketDataRepository } from '../../lambdas/shared/sql/market-data-repository.ts';
import { openSqlClient, sqlTargetFromUrl } from '../../lambdas/shared/sql/open-sql-client.ts';
import type { SqlClient } from '../../lambdas/shared/sql/sql-client.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { datasetFromRecordings } from './recording-dataset.ts';

const RECORDING = /_raw_stream\.txt(\.gz)?$|\.txt(\.gz)?$|\.csv(\.gz)?$/;

export class DataSourceError extends Error {
  override readonly name = 'DataSourceError';
}

/** Every file under `dir`, sorted. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Days of replayed rows (`training_rows`) the trainer takes, ending at the newest row. */
export const TRAINING_DAYS = 7;

/**
 * From the warehouse: the rows the history replay array job wrote (`training_rows`, the last
 * TRAINING_DAYS days up to the newest) when they make enough rows; otherwise the served vectors.
 */
export async function datasetFromSql(
  sql: SqlClient,
  symbol = 'BTCUSDT',
  source = 'postgres',
): Promise<Dataset> {
  const repository = new MarketDataRepository(sql);
  const newest = await sql.query<{ t: string | null }>(
    'SELECT max(event_time_us)::text AS t FROM training_rows WHERE symbol = $1 AND feature_version = $2',
    [symbol, FEATURE_VERSION],
  );
  const newestUs = Number(newest.rows[0]?.t ?? Number.NaN);
  if (Number.isFinite(newestUs)) {
    const rows = await repository.readTrainingRows(
      symbol,
      FEATURE_VERSION,
      newestUs - TRAINING_DAYS * 86_400_000_000 + 1,
    );
    if (rows.length >= MIN_SERVED_ROWS)
      return {
        featureVersion: FEATURE_VERSION,
        featureNames: FEATURE_NAMES,
        horizonUs: LABEL_HORIZON_US,
        rows,
        source: `${source}:training_rows(${rows.length}, ${TRAINING_DAYS} d)`,
      };
  }
  const vectors = await repository.readFeatures(symbol, FEATURE_VERSION);
  return datasetFromServedVectors(vectors, `${source}:features(${vectors.length})`);
}

/**
 * Labelled rows of served vectors below which the trainer replays the market data instead: the
 * promotion rule needs 30 held-out rows, a fifth of the data, and anything less is not a model.
 */
export const MIN_SERVED_ROWS = 150;

/**
 * From bronze: the vectors inference served (`features/served`, of this FEATURE_VERSION) when they make
 * enough rows; otherwise (a cold start, or features redefined) the market data replayed through
 * core/features (`stream/depth`, `stream/trade`, `rest/depth`), 2 s ticks as served.
 */
export async function datasetFromBronze(
  reader: BronzeReader,
  source: string,
  symbol = 'BTCUSDT',
): Promise<Dataset & { replay?: ReplayStats }> {
  const vectors = await readServedVectors(reader, symbol);
  const served = datasetFromServedVectors(vectors, `${source} features/served(${vectors.length})`);
  if (served.rows.length >= MIN_SERVED_ROWS) return served;
  const { tape } = await readBronzeTape(reader, symbol, new WasmSbeDecoder());
  const { vectors: replayed, mids, stats } = replayTape(tape);
  const replay = { ...datasetFromReplay(replayed, mids, `${source} market data replayed`), replay: stats };
  // Bronze without its market data (a copy of features/served only): the few served rows it is.
  return replay.rows.length >= served.rows.length ? replay : served;
}

export async function loadDataset(
  spec: string,
  aws: AwsClientOptions = { region: 'ap-northeast-1' },
): Promise<Dataset> {
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
  const bucket = /^s3:\/\/([^/]+)\/?$/.exec(spec)?.[1];
  if (bucket) return datasetFromBronze(new S3BronzeReader(s3Client(aws), bucket), spec);
  const info = await stat(spec).catch(() => undefined);
  if (!info) throw new DataSourceError(`--data ${spec}: no such file or directory.`);
  if (!info.isDirectory()) return datasetFromRecordings([spec]);
  const files = await walk(spec);
  const recordings = files.filter((f) => /_raw_stream\.txt(\.gz)?$|\.csv(\.gz)?$/.test(f));
  if (recordings.length > 0) return datasetFromRecordings(recordings);
  const dataset = await datasetFromBronze(new DirectoryBronzeReader(spec), `bronze:${spec}`);
  if (dataset.rows.length === 0)
    throw new DataSourceError(`--data ${spec}: neither recordings nor bronze with enough data found.`);
  return dataset;
}
