import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DATA_API_MAX_REQUEST_BYTES,
  DataApiRequestTooLargeError,
  DataApiSqlClient,
  toNamedParameters,
  toSqlParameters,
} from '../../lambdas/shared/sql/data-api-sql-client.ts';
import { MarketDataRepository } from '../../lambdas/shared/sql/market-data-repository.ts';
import { SqlError, splitStatements } from '../../lambdas/shared/sql/sql-client.ts';

const target = {
  resourceArn: 'arn:aws:rds:ap-northeast-1:123456789012:cluster:market',
  secretArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf',
  database: 'pipeline',
};
const rds = mockClient(RDSDataClient);
beforeEach(() => rds.reset());

describe('Data API parameter mapping', () => {
  it('rewrites $n to :pn outside literals, comments and dollar quotes', () => {
    expect(toNamedParameters('SELECT $1, \'$2\', "$3" -- $4\n, $$ $5 $$, $10::text')).toBe(
      'SELECT :p1, \'$2\', "$3" -- $4\n, $$ $5 $$, :p10::text',
    );
  });

  it('maps values to typed fields', () => {
    expect(toSqlParameters([null, true, 'x', 42, 0.5, 2n ** 60n, new Uint8Array([1])])).toEqual([
      { name: 'p1', value: { isNull: true } },
      { name: 'p2', value: { booleanValue: true } },
      { name: 'p3', value: { stringValue: 'x' } },
      { name: 'p4', value: { longValue: 42 } },
      { name: 'p5', value: { doubleValue: 0.5 } },
      { name: 'p6', value: { stringValue: '1152921504606846976' } },
      { name: 'p7', value: { blobValue: new Uint8Array([1]) } },
    ]);
    expect(() => toSqlParameters([Number.NaN])).toThrow(SqlError);
  });

  it('maps result records to rows by column label', async () => {
    rds.on(ExecuteStatementCommand).resolves({
      columnMetadata: [{ label: 't' }, { label: 'v' }],
      records: [
        [{ stringValue: '1723161600000000' }, { stringValue: '[1,null]' }],
        [{ isNull: true }, { longValue: 3 }],
      ],
    });
    const sql = new DataApiSqlClient(new RDSDataClient({ region: 'ap-northeast-1' }), target);
    const r = await sql.query('SELECT a AS t, b AS v FROM x WHERE c = $1', [7]);
    expect(r.rows).toEqual([
      { t: '1723161600000000', v: '[1,null]' },
      { t: null, v: 3 },
    ]);
    const call = rds.commandCalls(ExecuteStatementCommand)[0]?.args[0].input;
    expect(call).toMatchObject({
      ...target,
      sql: 'SELECT a AS t, b AS v FROM x WHERE c = :p1',
      includeResultMetadata: true,
    });
    expect(call?.parameters).toEqual([{ name: 'p1', value: { longValue: 7 } }]);
  });
});

describe('Data API batching', () => {
  /** A kline-sized parameter set: ~13 fields, a few hundred bytes of JSON. */
  const sets = Array.from({ length: 5000 }, (_, i) => [
    'BTCUSDT',
    1_723_161_600_000 + i * 60_000,
    '61800.00',
    '61850.00',
    '61790.00',
    '61840.00',
    '12.5',
    1_723_161_659_999 + i * 60_000,
    '772500.1',
    900 + i,
    '6.1',
    '376980.0',
    1_723_161_660_000_000 + i,
  ]);

  it('keeps every request under the 4 MiB limit and the set cap, in order, nothing lost', async () => {
    rds.on(BatchExecuteStatementCommand).resolves({ updateResults: [] });
    const sql = new DataApiSqlClient(new RDSDataClient({ region: 'ap-northeast-1' }), target);
    await new MarketDataRepository(sql).upsertKlines(
      sets.map((s) => ({
        symbol: s[0] as string,
        openTimeMs: s[1] as number,
        open: s[2] as string,
        high: s[3] as string,
        low: s[4] as string,
        close: s[5] as string,
        volume: s[6] as string,
        closeTimeMs: s[7] as number,
        quoteVolume: s[8] as string,
        trades: s[9] as number,
        takerBuyBase: s[10] as string,
        takerBuyQuote: s[11] as string,
        recvTimeUs: s[12] as number,
      })),
    );
    const calls = rds.commandCalls(BatchExecuteStatementCommand);
    expect(calls).toHaveLength(5); // 1000 sets per request
    const sent = calls.flatMap((c) => c.args[0].input.parameterSets ?? []);
    expect(sent).toHaveLength(5000);
    expect(sent.map((s) => s[1]?.value?.longValue)).toEqual(sets.map((s) => s[1]));
    for (const c of calls) {
      expect(Buffer.byteLength(JSON.stringify(c.args[0].input))).toBeLessThan(DATA_API_MAX_REQUEST_BYTES);
      expect(c.args[0].input.sql).toMatch(/VALUES \(:p1, :p2/);
    }
  });

  it('cuts by bytes when sets are large: each request body within the budget, greedy', () => {
    const budget = 64 * 1024;
    const sql = new DataApiSqlClient(new RDSDataClient({ region: 'ap-northeast-1' }), {
      ...target,
      maxRequestBytes: budget,
    });
    const big = Array.from({ length: 300 }, (_, i) => [i, 'x'.repeat(1000 + (i % 7) * 300)]);
    const plan = sql.planBatches('INSERT INTO t VALUES ($1, $2)', big);
    expect(plan.flat()).toHaveLength(300);
    for (const [k, request] of plan.entries()) {
      const body = Buffer.byteLength(
        JSON.stringify({ ...target, sql: 'INSERT INTO t VALUES (:p1, :p2)', parameterSets: request }),
      );
      expect(body).toBeLessThanOrEqual(budget);
      // Greedy: the next set would not have fitted.
      const next = plan[k + 1]?.[0];
      if (next) {
        const withNext = JSON.stringify({
          ...target,
          sql: 'INSERT INTO t VALUES (:p1, :p2)',
          parameterSets: [...request, next],
        });
        expect(Buffer.byteLength(withNext)).toBeGreaterThan(budget - 64);
      }
    }
    expect(() => sql.planBatches('INSERT INTO t VALUES ($1)', [['y'.repeat(budget)]])).toThrow(
      DataApiRequestTooLargeError,
    );
  });

  it('runs a transaction with its id on every statement, and rolls back on error', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
    rds.on(ExecuteStatementCommand).resolves({ records: [] });
    rds
      .on(BatchExecuteStatementCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'DatabaseErrorException' }));
    const sql = new DataApiSqlClient(new RDSDataClient({ region: 'ap-northeast-1' }), target);
    await sql.transaction((tx) => tx.query('SELECT 1'));
    expect(rds.commandCalls(ExecuteStatementCommand)[0]?.args[0].input.transactionId).toBe('tx-1');
    expect(rds.commandCalls(CommitTransactionCommand)[0]?.args[0].input.transactionId).toBe('tx-1');
    const failed = sql.transaction((tx) => tx.batch('INSERT INTO t VALUES ($1)', [[1]]));
    await expect(failed).rejects.toMatchObject({ name: 'SqlError', retryable: false });
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
  });

  it('classifies a resuming Aurora Serverless cluster as retryable', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejects(Object.assign(new Error('resuming'), { name: 'DatabaseResumingException' }));
    const sql = new DataApiSqlClient(new RDSDataClient({ region: 'ap-northeast-1' }), target);
    await expect(sql.query('SELECT 1')).rejects.toMatchObject({ retryable: true });
  });
});

describe('statement splitting (migrations through the Data API)', () => {
  it('splits on top-level semicolons only', () => {
    const script = `-- a comment; not a split
CREATE TABLE a (x text DEFAULT ';');
/* block; comment */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
CREATE TABLE "b;c" (y int)  ;
-- trailing comment only`;
    expect(splitStatements(script)).toEqual([
      "-- a comment; not a split\nCREATE TABLE a (x text DEFAULT ';')",
      '/* block; comment */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
      'CREATE TABLE "b;c" (y int)',
    ]);
  });
});
