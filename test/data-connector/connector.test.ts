import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromSql } from '../../containers/trainer/data-sources.ts';
import { FEATURE_INDEX } from '../../core/features/feature-names.ts';
import { DataConnector, DataConnectorError } from '../../lambdas/data-connector/data-connector.ts';
import { createDataConnectorHandler } from '../../lambdas/data-connector/handler.ts';
import { MarketDataRepository } from '../../lambdas/shared/sql/market-data-repository.ts';
import {
  applyMigrations,
  loadMigrations,
  type Migration,
  MigrationError,
} from '../../lambdas/shared/sql/migrations.ts';
import { PgSqlClient } from '../../lambdas/shared/sql/pg-sql-client.ts';
import { PgliteSqlClient } from '../../lambdas/shared/sql/pglite-sql-client.ts';
import type { SqlClient } from '../../lambdas/shared/sql/sql-client.ts';
import { MemoryBronze, seedBronze } from './bronze-fixtures.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../lambdas/data-connector/migrations/', import.meta.url));
// Trust auth on the project's machines; a user must still be named (the process may have no USER).
const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Every table's rows, in key order, as text: equal snapshots mean the same data. */
async function snapshot(sql: SqlClient): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, key] of [
    ['agg_trades', 'symbol, agg_trade_id'],
    ['klines_1m', 'symbol, open_time_ms'],
    ['book_snapshots', 'symbol, last_update_id'],
    ['features', 'symbol, feature_version, event_time_us'],
    ['predictions', 'symbol, model_version, event_time_us'],
  ] as const) {
    const r = await sql.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t ORDER BY ${key}`);
    out[table] = r.rows.map((x) => x.row);
  }
  return out;
}

async function pgReachable(): Promise<string | undefined> {
  const client = PgSqlClient.connect(PG_URL, 1);
  try {
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${PG_URL} is unreachable (${(error as Error).message})`;
  } finally {
    await client.close().catch(() => {});
  }
}

const pgSkip = await pgReachable();
if (pgSkip) console.warn(`[skip] data connector on pg: ${pgSkip}.`);

type Adapter = {
  name: string;
  skip: boolean;
  open: () => Promise<{ sql: SqlClient; cleanup: () => Promise<void> }>;
};

const adapters: Adapter[] = [
  {
    name: 'PGlite',
    skip: false,
    open: async () => {
      const sql = await PgliteSqlClient.open();
      return { sql, cleanup: () => sql.close() };
    },
  },
  {
    name: 'pg (127.0.0.1:5432)',
    skip: Boolean(pgSkip),
    open: async () => {
      // A private schema per run, so concurrent runs and other users of `test` do not collide.
      const schema = `dc_test_${process.pid}_${Date.now()}`;
      const admin = PgSqlClient.connect(PG_URL, 1);
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const sql = PgSqlClient.connect(url, 2);
      return {
        sql,
        cleanup: async () => {
          await sql.close();
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
  },
];

for (const adapter of adapters) {
  describe.skipIf(adapter.skip)(`data connector on ${adapter.name}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let migrations: Migration[];

    beforeAll(async () => {
      ({ sql, cleanup } = await adapter.open());
      migrations = await loadMigrations(MIGRATIONS_DIR);
    }, 120_000); // PGlite compiles its WASM on open: about 2 s idle, 30 s on a busy 2-core machine
    afterAll(async () => cleanup?.());

    it('applies the migrations once and records them', async () => {
      const first = await applyMigrations(sql, migrations);
      expect(first.applied).toEqual([
        '0001_market_tables',
        '0002_bronze_ledger',
        '0003_conflicting_writes',
        '0004_training_rows',
      ]);
      const second = await applyMigrations(sql, migrations);
      expect(second).toEqual({ applied: [], alreadyApplied: 4 });
      const recorded = await sql.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      expect(recorded.rows.map((r) => [Number(r.version), r.name])).toEqual([
        [1, 'market_tables'],
        [2, 'bronze_ledger'],
        [3, 'conflicting_writes'],
        [4, 'training_rows'],
      ]);
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
      await expect(applyMigrations(sql, edited)).rejects.toThrow(MigrationError);
    });

    it('loads bronze idempotently: the same objects twice, or again after the ledger is lost, give the same rows', async () => {
      const bronze = new MemoryBronze();
      seedBronze(bronze);
      const connector = new DataConnector({ sql, bronze, migrations, nowUs: () => 1 });
      const first = await connector.catchUp(['BTCUSDT']);
      expect(first.failed).toEqual([]);
      expect(first.loaded).toBe(6);
      const rows = await snapshot(sql);
      expect(rows.agg_trades).toHaveLength(100); // 50 + 51 with one overlapping trade
      expect(rows.klines_1m).toHaveLength(1);
      expect(rows.klines_1m?.[0]).toContain('61840'); // the later poll of the forming candle wins
      expect(rows.book_snapshots).toHaveLength(1);
      expect(rows.features).toHaveLength(16);
      expect(rows.predictions).toHaveLength(16);

      const again = await connector.catchUp(['BTCUSDT']);
      expect(again).toMatchObject({ loaded: 0, unchanged: 6 });
      await sql.query('DELETE FROM bronze_objects');
      const reload = await connector.loadObjects([...bronze.objects.keys()].map((key) => ({ key })));
      expect(reload).toMatchObject({ loaded: 6, ignored: 1, failed: [] });
      expect(await snapshot(sql)).toEqual(rows);
      expect(bronze.checkpoints.get('rest/aggTrades/BTCUSDT')?.partition).toBe('dt=2024-08-09/hour=00');
    });

    it('keeps the stored row when different data comes under its key, and counts it; the same data counts nothing', async () => {
      const repository = new MarketDataRepository(sql);
      const before = await repository.conflictingWrites();
      const row = {
        symbol: 'CONFLICTUSDT',
        aggTradeId: 1,
        price: '100.5',
        qty: '0.25',
        firstTradeId: 10,
        lastTradeId: 11,
        tradeTimeUs: 1_000_000,
        isBuyerMaker: false,
        isBestMatch: true,
        recvTimeUs: 5,
      };
      await repository.upsertAggTrades([row]);
      // The same trade loaded again (another receive time): not a conflict.
      await repository.upsertAggTrades([{ ...row, recvTimeUs: 9 }]);
      expect((await repository.conflictingWrites()).agg_trades).toBe(before.agg_trades);
      // Another run's trade under the same id: kept out, counted.
      await repository.upsertAggTrades([{ ...row, price: '99.1', qty: '3' }]);
      expect((await repository.conflictingWrites()).agg_trades).toBe((before.agg_trades ?? 0) + 1);
      const stored = await sql.query<{ price: string }>(
        "SELECT price::text AS price FROM agg_trades WHERE symbol = 'CONFLICTUSDT'",
      );
      expect(stored.rows.map((r) => Number(r.price))).toEqual([100.5]);
    });

    it('serves the trainer: features read back with labels from the vector 10 s later', async () => {
      const dataset = await datasetFromSql(sql);
      expect(dataset.rows).toHaveLength(11); // 16 vectors, the last 5 have no successor 10 s later
      const first = dataset.rows[0];
      expect(Number.isNaN(first?.x[3])).toBe(true); // null in JSON is NaN again
      // label(t0) = ret_10s_bp(t0 + 10 s) / 1e4; vector 5's values are 0.06 + j.
      expect(first?.label).toBeCloseTo((0.06 + FEATURE_INDEX.ret_10s_bp) / 1e4, 15);
    });

    it('handler: S3 notifications load those keys; a broken object fails the invocation after the rest', async () => {
      const bronze = new MemoryBronze();
      seedBronze(bronze);
      const bad = 'bronze/rest/aggTrades/symbol=BTCUSDT/dt=2024-08-09/hour=01/2000-2001.ndjson.gz';
      bronze.put(bad, [{ a: 2000 }]);
      const recorded: unknown[] = [];
      const handler = createDataConnectorHandler({
        connector: new DataConnector({ sql, bronze, migrations, nowUs: () => 1 }),
        symbols: ['BTCUSDT'],
        record: (o, trigger) => recorded.push({ trigger, loaded: o.loaded }),
        log: () => {},
      });
      const s3Record = (key: string) => ({
        eventSource: 'aws:s3',
        s3: { object: { key: encodeURIComponent(key) } },
      });
      const good = [...bronze.objects.keys()].find((k) => k.includes('rest/depth')) as string;
      await expect(handler({ Records: [s3Record(good)] })).resolves.toMatchObject({ loaded: 1 });
      await expect(handler({ Records: [s3Record(bad), s3Record(good)] })).rejects.toThrow(DataConnectorError);
      await expect(handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).rejects.toThrow(
        /2000-2001/,
      );
      expect(recorded[0]).toEqual({ trigger: 's3', loaded: 1 });
    });
  });
}
