/** SqlClient over node-postgres (a real server: 127.0.0.1:5432 locally, or Aurora without the Data API). */
import pg from 'pg';
import {
  type SqlClient,
  SqlError,
  type SqlExecutor,
  type SqlResult,
  type SqlRow,
  type SqlValue,
} from './sql-client.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** SQLSTATE classes worth a retry: connection exceptions, serialization failures / deadlocks, too many connections. */
const RETRYABLE_SQLSTATE = /^(08|40|53)/;

function wrap(error: unknown): never {
  const code = (error as { code?: string }).code ?? '';
  throw new SqlError(
    `PostgreSQL error${code ? ` ${code}` : ''}: ${(error as Error).message}`,
    RETRYABLE_SQLSTATE.test(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET',
    { cause: error },
  );
}

function executor(db: Queryable): SqlExecutor {
  return {
    async query<R extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult<R>> {
      try {
        const r = await db.query<R>(sql, params as unknown[]);
        return { rows: r.rows, ...(r.rowCount !== null ? { rowsAffected: r.rowCount } : {}) };
      } catch (error) {
        wrap(error);
      }
    },
    async batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> {
      try {
        for (const params of parameterSets) await db.query(sql, params as unknown[]);
      } catch (error) {
        wrap(error);
      }
    },
  };
}

export class PgSqlClient implements SqlClient {
  readonly kind = 'pg' as const;

  constructor(readonly pool: pg.Pool) {}

  static connect(connectionString: string, max = 4): PgSqlClient {
    return new PgSqlClient(new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 }));
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<R>> {
    return executor(this.pool).query<R>(sql, params);
  }

  batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> {
    return this.transaction((tx) => tx.batch(sql, parameterSets));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      wrap(error);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
