/**
 * Picks the SqlClient adapter from configuration: the Data API when a cluster ARN is set (Aurora in
 * AWS), else DATABASE_URL: `postgres://…` (pg), `pglite:<dir>` or `pglite:memory` (embedded).
 */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiSqlClient } from './data-api-sql-client.ts';
import { PgSqlClient } from './pg-sql-client.ts';
import { PgliteSqlClient } from './pglite-sql-client.ts';
import type { SqlClient } from './sql-client.ts';

export type SqlTarget =
  | { kind: 'pglite'; dataDir?: string }
  | { kind: 'pg'; url: string }
  | {
      kind: 'data-api';
      resourceArn: string;
      secretArn: string;
      database: string;
      region: string;
      endpoint?: string;
    };

export class SqlTargetError extends Error {
  override readonly name = 'SqlTargetError';
}

export function sqlTargetFromUrl(url: string): SqlTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'pg', url };
  if (url === 'pglite:memory' || url === 'pglite:' || url === 'pglite://memory') return { kind: 'pglite' };
  if (url.startsWith('pglite:')) return { kind: 'pglite', dataDir: url.replace(/^pglite:(\/\/)?/, '') };
  throw new SqlTargetError(`"${url}" is not a postgres:// URL or pglite:<dir> / pglite:memory.`);
}

export async function openSqlClient(target: SqlTarget): Promise<SqlClient> {
  switch (target.kind) {
    case 'pglite':
      return PgliteSqlClient.open(target.dataDir);
    case 'pg':
      return PgSqlClient.connect(target.url);
    case 'data-api':
      return new DataApiSqlClient(
        new RDSDataClient({
          region: target.region,
          ...(target.endpoint
            ? { endpoint: target.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
            : {}),
        }),
        { resourceArn: target.resourceArn, secretArn: target.secretArn, database: target.database },
      );
  }
}
