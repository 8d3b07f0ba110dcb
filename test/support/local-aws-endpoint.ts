/**
 * One local AWS endpoint (what AWS_ENDPOINT_URL points a process at) for the services no emulator
 * here covers, speaking their real wire protocols so the unmodified SDK clients in a bundle talk to
 * it over HTTP:
 * - Secrets Manager (JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`): the secrets given;
 * - Lambda Invoke (REST, `POST /2015-03-31/functions/<name>/invocations`): recorded, answered 202
 *   for `Event` invocations as Lambda does;
 * - the RDS Data API (REST JSON: /Execute, /BatchExecute, /BeginTransaction, /CommitTransaction,
 *   /RollbackTransaction) executed on PGlite, for the cluster and secret ARNs given;
 * - Kinesis (JSON 1.1, `X-Amz-Target: Kinesis_20131202.*`) is passed through to kinesalite, and
 *   everything else (S3) to s3rver, unchanged (their SigV4 checks see the same Host).
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

export interface RecordedInvoke {
  functionName: string;
  invocationType: string;
  payload: unknown;
}

export interface LocalAwsEndpointOptions {
  /** Secret ARN → SecretString. */
  secrets: Readonly<Record<string, string>>;
  /** Where S3 requests go (s3rver). */
  s3Endpoint: string;
  /** Where Kinesis requests go (kinesalite). */
  kinesisEndpoint?: string;
  dataApi?: { db: PGlite; clusterArn: string; secretArn: string };
}

export interface LocalAwsEndpoint {
  url: string;
  invocations: RecordedInvoke[];
  dataApiCalls: string[];
  close(): Promise<void>;
}

type DataApiField =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string };

const body = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function json(res: ServerResponse, status: number, value: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(value));
}

/** The Data API's `:pN` names back to PostgreSQL's `$N` (not inside a `::` cast). */
const toPositional = (sql: string) => sql.replace(/(?<!:):p(\d+)\b/g, (_, n: string) => `$${n}`);

function fromField(field: Record<string, unknown>): unknown {
  if (field.isNull) return null;
  if ('blobValue' in field) return Buffer.from(String(field.blobValue), 'base64');
  for (const key of ['booleanValue', 'longValue', 'doubleValue', 'stringValue']) {
    if (key in field) return field[key];
  }
  throw new Error(`Unsupported Data API field ${JSON.stringify(field)}.`);
}

function toField(value: unknown): DataApiField {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'bigint') return { longValue: Number(value) };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  if (value instanceof Uint8Array) return { blobValue: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') };
  if (typeof value === 'object') return { stringValue: JSON.stringify(value) };
  return { stringValue: String(value) };
}

export async function startLocalAwsEndpoint(o: LocalAwsEndpointOptions): Promise<LocalAwsEndpoint> {
  const invocations: RecordedInvoke[] = [];
  const dataApiCalls: string[] = [];
  let transaction = 0;

  async function dataApi(
    operation: string,
    input: Record<string, unknown>,
    res: ServerResponse,
  ): Promise<void> {
    const api = o.dataApi;
    if (!api) return json(res, 404, { message: 'No Data API here.' });
    dataApiCalls.push(operation);
    if (input.resourceArn !== api.clusterArn || input.secretArn !== api.secretArn) {
      return json(res, 400, { __type: 'BadRequestException', message: 'Unknown cluster or secret ARN.' });
    }
    const params = (set: unknown) =>
      ((set ?? []) as { value: Record<string, unknown> }[]).map((p) => fromField(p.value));
    try {
      if (operation === 'BeginTransaction') {
        await api.db.exec('BEGIN');
        return json(res, 200, { transactionId: `tx-${++transaction}` });
      }
      if (operation === 'CommitTransaction') {
        await api.db.exec('COMMIT');
        return json(res, 200, { transactionStatus: 'Transaction Committed' });
      }
      if (operation === 'RollbackTransaction') {
        await api.db.exec('ROLLBACK');
        return json(res, 200, { transactionStatus: 'Rollback Complete' });
      }
      const sql = toPositional(String(input.sql));
      if (operation === 'BatchExecute') {
        for (const set of (input.parameterSets ?? []) as unknown[]) await api.db.query(sql, params(set));
        return json(res, 200, { updateResults: [] });
      }
      const r = await api.db.query<Record<string, unknown>>(sql, params(input.parameters));
      return json(res, 200, {
        columnMetadata: r.fields.map((f) => ({ name: f.name, label: f.name })),
        records: r.rows.map((row) => r.fields.map((f) => toField(row[f.name]))),
        numberOfRecordsUpdated: r.affectedRows ?? 0,
      });
    } catch (error) {
      return json(res, 400, { __type: 'BadRequestException', message: (error as Error).message });
    }
  }

  function passTo(endpoint: string, req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(endpoint);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => json(res, 502, { message: String(e) }));
    req.pipe(upstream);
  }

  const server: Server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const dataApiOperation =
      /^\/(Execute|BatchExecute|BeginTransaction|CommitTransaction|RollbackTransaction)$/.exec(
        req.url ?? '',
      )?.[1];
    if (target.startsWith('Kinesis_') && o.kinesisEndpoint) return passTo(o.kinesisEndpoint, req, res);
    if (!target && !invoke && !dataApiOperation) return passTo(o.s3Endpoint, req, res);
    void body(req).then(async (raw) => {
      if (target === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(raw.toString()) as { SecretId: string };
        const value = o.secrets[SecretId];
        if (value === undefined) {
          return json(
            res,
            400,
            { __type: 'ResourceNotFoundException', message: `No secret ${SecretId}.` },
            'application/x-amz-json-1.1',
          );
        }
        return json(
          res,
          200,
          { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1' },
          'application/x-amz-json-1.1',
        );
      }
      if (invoke) {
        const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
        invocations.push({
          functionName: decodeURIComponent(invoke[1] as string),
          invocationType,
          payload: JSON.parse(raw.toString() || 'null'),
        });
        if (invocationType === 'Event') {
          res.writeHead(202);
          return res.end();
        }
        return json(res, 200, null);
      }
      if (dataApiOperation) return dataApi(dataApiOperation, JSON.parse(raw.toString() || '{}'), res);
      return json(
        res,
        400,
        { __type: 'UnknownOperationException', message: `Not served here: ${target}` },
        'application/x-amz-json-1.1',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    dataApiCalls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
