/**
 * One child of the history replay array job (AWS Batch, one child per day; lib/constructs/
 * replay-array-job.ts): replays one UTC day of bronze market data through core/features and upserts
 * its feature rows and labels into the warehouse (`training_rows`, idempotent: a retried child writes
 * the same rows). The training job then reads the last days from there (data-sources.ts). The day is
 * `REPLAY_DAYS` days before today (UTC) plus the child's `AWS_BATCH_JOB_ARRAY_INDEX`: child 0 the
 * oldest, the last child yesterday. Rows whose label would need the next day (its last 10 s) are
 * left out.
 */

import type { BronzeReader } from '../../core/bronze/bronze-store.ts';
import {
  AWS_BATCH_JOB_ARRAY_INDEX,
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  REPLAY_DAYS,
} from '../../core/config/environment-names.ts';
import { FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { datasetFromReplay } from '../../core/model/dataset.ts';
import { FeatureReplay, type ReplayStats } from '../../core/model/feature-replay.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { s3Client } from '../../lambdas/shared/aws-clients.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { bronzeHistoryTape } from '../../lambdas/shared/history/bronze-history.ts';
import { MarketDataRepository } from '../../lambdas/shared/sql/market-data-repository.ts';
import { openSqlClient } from '../../lambdas/shared/sql/open-sql-client.ts';
import type { SqlExecutor } from '../../lambdas/shared/sql/sql-client.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const DAY_MS = 86_400_000;

export class ReplayDayConfigError extends Error {
  override readonly name = 'ReplayDayConfigError';
}

/** The UTC day (`YYYY-MM-DD`) array child `index` of `days` replays. */
export function dayOfChild(now: Date, env: Record<string, string | undefined>): string {
  const days = Number(env[REPLAY_DAYS] ?? 1);
  const index = Number(env[AWS_BATCH_JOB_ARRAY_INDEX] ?? 0);
  if (!(Number.isInteger(days) && days >= 1))
    throw new ReplayDayConfigError(`${REPLAY_DAYS}=${env[REPLAY_DAYS]} is not a positive integer.`);
  if (!(Number.isInteger(index) && index >= 0 && index < days))
    throw new ReplayDayConfigError(
      `${AWS_BATCH_JOB_ARRAY_INDEX}=${env[AWS_BATCH_JOB_ARRAY_INDEX]} is not in [0, ${days}).`,
    );
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return new Date(today - (days - index) * DAY_MS).toISOString().slice(0, 10);
}

export interface ReplayDayResult {
  day: string;
  rows: number;
  stats: ReplayStats;
  undecodable: number;
}

export async function replayDayToWarehouse(o: {
  reader: BronzeReader;
  sql: SqlExecutor;
  decoder: SbeBatchDecoder;
  symbol: string;
  day: string;
}): Promise<ReplayDayResult> {
  // Streamed: a day of bronze is never held whole, only the rows it makes (docs/adr/0131).
  const { batches, counts } = bronzeHistoryTape(o.reader, o.symbol, o.decoder, { day: o.day });
  const replay = new FeatureReplay();
  for await (const batch of batches) for (const e of batch) replay.push(e);
  const { vectors, mids, stats } = replay.finish();
  const fromUs = Date.parse(`${o.day}T00:00:00Z`) * 1000;
  const toUs = fromUs + DAY_MS * 1000;
  const inDay = vectors.filter((v) => v.eventTimeUs >= fromUs && v.eventTimeUs < toUs);
  const { rows } = datasetFromReplay(inDay, mids, `bronze ${o.day}`);
  await new MarketDataRepository(o.sql).upsertTrainingRows(
    rows.map((r) => ({
      symbol: o.symbol,
      featureVersion: FEATURE_VERSION,
      eventTimeUs: r.eventTimeUs,
      values: Array.from(r.x),
      label: r.label,
      source: `bronze:${o.day}`,
    })),
  );
  return { day: o.day, rows: rows.length, stats, undecodable: counts.undecodable };
}

/** The Batch child's composition: bronze in S3, the warehouse through the Data API. */
export async function runReplayDayJob(
  env: Record<string, string | undefined>,
  now: Date,
): Promise<ReplayDayResult> {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new ReplayDayConfigError(`${name} is not set.`);
    return v;
  };
  const day = dayOfChild(now, env);
  const aws = { region: env[AWS_REGION] ?? 'ap-northeast-1', endpoint: env[AWS_ENDPOINT_URL] };
  const sql = await openSqlClient({
    kind: 'data-api',
    resourceArn: need(DB_CLUSTER_ARN),
    secretArn: need(DB_SECRET_ARN),
    database: env[DB_NAME] ?? 'pipeline',
    ...aws,
  });
  try {
    return await replayDayToWarehouse({
      reader: new S3BronzeReader(s3Client(aws), need(BRONZE_BUCKET)),
      sql,
      decoder: new WasmSbeDecoder(),
      symbol: 'BTCUSDT',
      day,
    });
  } finally {
    await sql.close();
  }
}
