/** SqlClient over PGlite (Postgres in WASM, in process): the embedded default. */
import { PGlite } from '@electric-sql/pglite';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import type { SqlClient, SqlExecutor, SqlResult, SqlRow, SqlValue } from './sql-client.ts';

type Queryable = Pick<PGlite, 'query'>;

function executor(db: Queryable): SqlExecutor {
  return {
    async query<R extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult<R>> {
      const r = await db.query<R>(sql, params as unknown[]);
      return { rows: r.rows, ...(r.affectedRows !== undefined ? { rowsAffected: r.affectedRows } : {}) };
    },
    async batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> {
      for (const params of parameterSets) await db.query(sql, params as unknown[]);
    },
  };
}

export class PgliteSqlClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private readonly base: SqlExecutor;

  private constructor(
    readonly db: PGlite,
    private readonly lock?: DataDirLock,
  ) {
    this.base = executor(db);
  }

  /**
   * `dataDir` undefined: in memory; otherwise a directory PGlite persists to, locked for this
   * process until close() (data-dir-lock.ts: never two PGlite instances on one directory).
   */
  static async open(dataDir?: string): Promise<PgliteSqlClient> {
    if (!dataDir) {
      const db = new PGlite();
      await db.waitReady;
      return new PgliteSqlClient(db);
    }
    const lock = lockDataDir(dataDir);
    try {
      const db = new PGlite(dataDir);
      await db.waitReady;
      return new PgliteSqlClient(db, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<R>> {
    return this.base.query<R>(sql, params);
  }

  /** Outside a transaction the sets still go in one, so a batch is all or nothing (and faster). */
  batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> {
    return this.transaction((tx) => tx.batch(sql, parameterSets));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(executor(tx)));
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}
