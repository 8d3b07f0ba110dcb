/**
 * The port every database user goes through: PostgreSQL SQL with positional parameters `$1 … $n`.
 * Adapters: PGlite (embedded, the local default), pg (a real server) and the RDS Data API (Aurora),
 * which has no array parameters, no multi-statement calls and size limits; so:
 * - write values with explicit casts in SQL (`CAST($3 AS numeric)`, `CAST($5 AS jsonb)`) and pass
 *   decimals and JSON as strings: every adapter then sends the same thing;
 * - read bigint and numeric columns as text (`col::text`) or convert with Number(): adapters return
 *   them as number (Data API longValue) or string (pg) otherwise;
 * - bulk writes go through `batch` (one statement, many parameter sets), which the Data API adapter
 *   cuts into requests under its 4 MiB request limit; reads page with LIMIT so a response stays under
 *   the Data API's 1 MiB.
 */

export type SqlValue = string | number | boolean | null | bigint | Uint8Array;
export type SqlRow = Record<string, unknown>;

export interface SqlResult<R extends SqlRow = SqlRow> {
  rows: R[];
  /** Rows changed by an INSERT / UPDATE / DELETE, when the adapter knows it. */
  rowsAffected?: number;
}

export interface SqlExecutor {
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<R>>;
  /** The same statement over every parameter set (bulk upsert). Nothing is returned. */
  batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'pglite' | 'pg' | 'data-api';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class SqlError extends Error {
  override readonly name: string = 'SqlError';
  constructor(
    message: string,
    /** Worth retrying as is (throttling, a paused Aurora Serverless cluster waking up). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Splits a script into statements on top-level semicolons, skipping those inside quotes, quoted
 * identifiers, comments and dollar-quoted bodies ($$ … $$, $tag$ … $tag$). The Data API runs one
 * statement per call, so migrations go through this.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number) => {
    const s = script.slice(start, end).trim();
    if (s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim() !== '') out.push(s);
  };
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const e = script.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
    } else if (c === '/' && next === '*') {
      const e = script.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (script[j] === c) {
          if (script[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i));
      if (m) {
        const e = script.indexOf(m[0], i + m[0].length);
        i = e < 0 ? n : e + m[0].length;
      } else i++;
    } else if (c === ';') {
      push(i);
      start = ++i;
    } else i++;
  }
  push(n);
  return out;
}
