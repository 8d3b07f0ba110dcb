/**
 * The history replay array job's warehouse side (containers/trainer/replay-day.ts): which day a child
 * replays, idempotent upserts of training rows, and the trainer reading the last days back.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromSql, TRAINING_DAYS } from '../../containers/trainer/data-sources.ts';
import { dayOfChild, ReplayDayConfigError } from '../../containers/trainer/replay-day.ts';
import { FEATURE_NAMES, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { MarketDataRepository, type TrainingRow } from '../../lambdas/shared/sql/market-data-repository.ts';
import { applyMigrations, loadMigrations } from '../../lambdas/shared/sql/migrations.ts';
import { PgliteSqlClient } from '../../lambdas/shared/sql/pglite-sql-client.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../lambdas/data-connector/migrations/', import.meta.url));

describe('dayOfChild', () => {
  it('maps array index 0 to the oldest day and the last to yesterday (UTC)', () => {
    const now = new Date('2026-12-01T00:05:00Z');
    const env = (i: number) => ({ REPLAY_DAYS: '3', AWS_BATCH_JOB_ARRAY_INDEX: String(i) });
    expect([0, 1, 2].map((i) => dayOfChild(now, env(i)))).toEqual(['2026-11-28', '2026-11-29', '2026-11-30']);
    expect(() => dayOfChild(now, env(3))).toThrow(ReplayDayConfigError);
    expect(() => dayOfChild(now, { REPLAY_DAYS: 'x' })).toThrow(/REPLAY_DAYS=x/);
  });
});

describe('training rows in the warehouse', () => {
  let sql: PgliteSqlClient;
  beforeAll(async () => {
    sql = await PgliteSqlClient.open();
    await applyMigrations(sql, await loadMigrations(MIGRATIONS_DIR));
  }, 120_000); // PGlite's start-up took over 30 s on a machine shared by several test runs
  afterAll(() => sql?.close());

  const day0 = Date.parse('2026-11-20T00:00:00Z') * 1000;
  const rowsOf = (day: number, n: number, label: number): TrainingRow[] =>
    Array.from({ length: n }, (_, k) => ({
      symbol: 'BTCUSDT',
      featureVersion: FEATURE_VERSION,
      eventTimeUs: day0 + day * 86_400_000_000 + k * 2_000_000,
      values: FEATURE_NAMES.map((_, j) => (j === 0 ? Number.NaN : k + j)),
      label,
      source: `day ${day}`,
    }));

  it('upserts idempotently (a retried day replaces its rows) and the trainer reads the last days', async () => {
    const repo = new MarketDataRepository(sql);
    for (let day = 0; day < TRAINING_DAYS + 2; day++) await repo.upsertTrainingRows(rowsOf(day, 30, 1e-4));
    await repo.upsertTrainingRows(rowsOf(TRAINING_DAYS + 1, 30, 2e-4)); // the last day again
    const count = await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM training_rows');
    expect(Number(count.rows[0]?.n)).toBe(30 * (TRAINING_DAYS + 2));
    const dataset = await datasetFromSql(sql, 'BTCUSDT', 'pglite');
    expect(dataset.source).toMatch(/training_rows\(210, 7 d\)/);
    expect(dataset.rows).toHaveLength(30 * TRAINING_DAYS);
    expect(dataset.rows[0]?.eventTimeUs).toBe(day0 + 2 * 86_400_000_000);
    expect(dataset.rows.at(-1)?.label).toBe(2e-4);
    expect(Number.isNaN(dataset.rows[0]?.x[0])).toBe(true);
    expect(dataset.rows[0]?.x[1]).toBe(1);
  }, 30_000);
});
