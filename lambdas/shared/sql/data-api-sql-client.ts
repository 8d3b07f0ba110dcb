/**
 * SqlClient over the RDS Data API (Aurora PostgreSQL), within its documented limits
 * (docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_BatchExecuteStatement.html and the
 * Aurora user guide's "Data API limitations"):
 * - "the maximum size of the HTTP request submitted through the Data API is 4 MiB … includes the size
 *   of the HTTP headers and the JSON notation": `batch` packs parameter sets greedily into requests
 *   whose JSON body stays under `maxRequestBytes` (4 MiB less an allowance for headers and signing);
 *   a single set too large for any request is an error, not a silent truncation;
 * - "there isn't a fixed upper limit on the number of parameter sets": we still cap a request at
 *   `maxSetsPerRequest` so the per-set update results stay far below the 1 MiB response limit;
 * - "the response size limit is 1 MiB" and "64 KB per row" for results: readers page with LIMIT;
 * - one statement per call, named parameters (`:p1`), no array parameters: `$n` placeholders are
 *   rewritten to `:pn` outside quotes and comments, values map to typed fields.
 * Transactions use BeginTransaction / CommitTransaction / RollbackTransaction.
 */
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  type RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import {
  type SqlClient,
  SqlError,
  type SqlExecutor,
  type SqlResult,
  type SqlRow,
  type SqlValue,
} from './sql-client.ts';

/** 4 MiB: the documented request limit, headers and JSON notation included. */
export const DATA_API_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Left for HTTP headers, SigV4 and the SDK's own fields. */
export const DATA_API_HEADER_ALLOWANCE_BYTES = 64 * 1024;
/** 1 MiB: the documented response limit. */
export const DATA_API_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Each set's update result is tens of bytes: 1000 of them stay two orders of magnitude under 1 MiB. */
export const DATA_API_DEFAULT_MAX_SETS = 1000;

export interface DataApiOptions {
  resourceArn: string;
  secretArn: string;
  database: string;
  /** JSON body budget per request. Default 4 MiB - 64 KiB. */
  maxRequestBytes?: number;
  maxSetsPerRequest?: number;
}

export class DataApiRequestTooLargeError extends SqlError {
  override readonly name = 'DataApiRequestTooLargeError';
  constructor(bytes: number, limit: number) {
    super(`One parameter set needs a ${bytes}-byte request, over the ${limit}-byte Data API budget.`, false);
  }
}

const RETRYABLE = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'StatementTimeoutException',
  'InternalServerErrorException',
  'ServiceUnavailableError',
  'ThrottlingException',
  'TooManyRequestsException',
]);

function wrap(error: unknown): never {
  const name = (error as { name?: string }).name ?? 'Error';
  throw new SqlError(`Data API ${name}: ${(error as Error).message}`, RETRYABLE.has(name), { cause: error });
}

/** `$1` → `:p1` outside string literals, quoted identifiers, comments and dollar quotes. */
export function toNamedParameters(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    let end = i + 1;
    if (c === '-' && next === '-') {
      const e = sql.indexOf('\n', i);
      end = e < 0 ? n : e;
    } else if (c === '/' && next === '*') {
      const e = sql.indexOf('*/', i + 2);
      end = e < 0 ? n : e + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      end = j + 1;
    } else if (c === '$') {
      const m = /^\$(\d+)|^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m?.[1] !== undefined) {
        out += `:p${m[1]}`;
        i += m[0].length;
        continue;
      }
      if (m) {
        const e = sql.indexOf(m[0], i + m[0].length);
        end = e < 0 ? n : e + m[0].length;
      }
    }
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

export function toSqlParameters(params: readonly SqlValue[]): SqlParameter[] {
  return params.map((v, i): SqlParameter => {
    const name = `p${i + 1}`;
    if (v === null || v === undefined) return { name, value: { isNull: true } };
    if (typeof v === 'boolean') return { name, value: { booleanValue: v } };
    if (typeof v === 'string') return { name, value: { stringValue: v } };
    if (typeof v === 'bigint')
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? { name, value: { longValue: Number(v) } }
        : { name, value: { stringValue: v.toString() } };
    if (v instanceof Uint8Array) return { name, value: { blobValue: v } };
    if (!Number.isFinite(v))
      throw new SqlError(`Parameter $${i + 1} is ${v}: the Data API has no such value.`, false);
    return Number.isSafeInteger(v) ? { name, value: { longValue: v } } : { name, value: { doubleValue: v } };
  });
}

function fieldValue(f: Field): unknown {
  if (f.isNull) return null;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return f.blobValue;
  if (f.arrayValue !== undefined) {
    const a = f.arrayValue;
    return a.longValues ?? a.doubleValues ?? a.stringValues ?? a.booleanValues ?? a.arrayValues ?? [];
  }
  return null;
}

/** The JSON body size of a parameter set as the SDK serialises it (blobs as base64). */
function parameterSetBytes(set: SqlParameter[]): number {
  return Buffer.byteLength(
    JSON.stringify(set, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
  );
}

export class DataApiSqlClient implements SqlClient {
  readonly kind = 'data-api' as const;
  private readonly maxRequestBytes: number;
  private readonly maxSets: number;

  constructor(
    private readonly client: RDSDataClient,
    private readonly options: DataApiOptions,
  ) {
    this.maxRequestBytes =
      options.maxRequestBytes ?? DATA_API_MAX_REQUEST_BYTES - DATA_API_HEADER_ALLOWANCE_BYTES;
    this.maxSets = options.maxSetsPerRequest ?? DATA_API_DEFAULT_MAX_SETS;
  }

  private get target() {
    return {
      resourceArn: this.options.resourceArn,
      secretArn: this.options.secretArn,
      database: this.options.database,
    };
  }

  private executor(transactionId?: string): SqlExecutor {
    const tx = transactionId ? { transactionId } : {};
    return {
      query: async <R extends SqlRow>(
        sql: string,
        params: readonly SqlValue[] = [],
      ): Promise<SqlResult<R>> => {
        try {
          const r = await this.client.send(
            new ExecuteStatementCommand({
              ...this.target,
              ...tx,
              sql: toNamedParameters(sql),
              parameters: toSqlParameters(params),
              includeResultMetadata: true,
            }),
          );
          const names = (r.columnMetadata ?? []).map((c, i) => c.label ?? c.name ?? `column${i}`);
          const rows = (r.records ?? []).map((record) => {
            const row: SqlRow = {};
            record.forEach((f, i) => {
              row[names[i] as string] = fieldValue(f);
            });
            return row as R;
          });
          return {
            rows,
            ...(r.numberOfRecordsUpdated !== undefined ? { rowsAffected: r.numberOfRecordsUpdated } : {}),
          };
        } catch (error) {
          if (error instanceof SqlError) throw error;
          wrap(error);
        }
      },
      batch: async (sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> => {
        for (const sets of this.planBatches(sql, parameterSets, transactionId)) {
          try {
            await this.client.send(
              new BatchExecuteStatementCommand({
                ...this.target,
                ...tx,
                sql: toNamedParameters(sql),
                parameterSets: sets,
              }),
            );
          } catch (error) {
            wrap(error);
          }
        }
      },
    };
  }

  /**
   * Cuts the parameter sets into requests: each request's JSON body (target, SQL, sets and their
   * notation) stays within `maxRequestBytes` and holds at most `maxSetsPerRequest` sets.
   */
  planBatches(
    sql: string,
    parameterSets: readonly (readonly SqlValue[])[],
    transactionId?: string,
  ): SqlParameter[][][] {
    const base = Buffer.byteLength(
      JSON.stringify({
        ...this.target,
        ...(transactionId ? { transactionId } : {}),
        sql: toNamedParameters(sql),
        parameterSets: [],
      }),
    );
    const out: SqlParameter[][][] = [];
    let current: SqlParameter[][] = [];
    let bytes = base;
    for (const values of parameterSets) {
      const set = toSqlParameters(values);
      const size = parameterSetBytes(set) + 1; // the comma between sets
      if (base + size > this.maxRequestBytes)
        throw new DataApiRequestTooLargeError(base + size, this.maxRequestBytes);
      if (current.length > 0 && (bytes + size > this.maxRequestBytes || current.length >= this.maxSets)) {
        out.push(current);
        current = [];
        bytes = base;
      }
      current.push(set);
      bytes += size;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<R>> {
    return this.executor().query<R>(sql, params);
  }

  /** Each request commits on its own outside a transaction; wrap in `transaction` for all-or-nothing. */
  batch(sql: string, parameterSets: readonly (readonly SqlValue[])[]): Promise<void> {
    return this.executor().batch(sql, parameterSets);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let transactionId: string | undefined;
    try {
      transactionId = (await this.client.send(new BeginTransactionCommand(this.target))).transactionId;
    } catch (error) {
      wrap(error);
    }
    if (!transactionId) throw new SqlError('BeginTransaction returned no transaction id.', true);
    try {
      const result = await fn(this.executor(transactionId));
      await this.client.send(new CommitTransactionCommand({ ...this.target, transactionId }));
      return result;
    } catch (error) {
      try {
        await this.client.send(
          new RollbackTransactionCommand({
            resourceArn: this.options.resourceArn,
            secretArn: this.options.secretArn,
            transactionId,
          }),
        );
      } catch {
        // The transaction times out server-side anyway; the original error is the one to report.
      }
      if (error instanceof SqlError) throw error;
      wrap(error);
    }
  }

  async close(): Promise<void> {}
}
