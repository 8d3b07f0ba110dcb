/** The data connector's environment, parsed once with zod, failing fast with the variable's name. */
import { z } from 'zod';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BRONZE_BUCKET,
  DATABASE_URL,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { awsVariables, parseEnvironment, symbolsVariable } from '../shared/runtime-config.ts';
import { type SqlTarget, sqlTargetFromUrl } from '../shared/sql/open-sql-client.ts';

const schema = z
  .object({
    [BRONZE_BUCKET]: z.string().min(1),
    [DB_CLUSTER_ARN]: z.string().startsWith('arn:').optional(),
    [DB_SECRET_ARN]: z.string().startsWith('arn:').optional(),
    [DB_NAME]: z.string().min(1).default('pipeline'),
    [DATABASE_URL]: z.string().min(1).optional(),
    [SYMBOLS]: symbolsVariable,
    ...awsVariables,
  })
  .refine((e) => e[DB_CLUSTER_ARN] || e[DATABASE_URL], {
    message: `set ${DB_CLUSTER_ARN} and ${DB_SECRET_ARN} (Data API) or ${DATABASE_URL}`,
  })
  .refine((e) => !e[DB_CLUSTER_ARN] || e[DB_SECRET_ARN], {
    message: `${DB_CLUSTER_ARN} needs ${DB_SECRET_ARN}`,
  });

export interface DataConnectorConfig {
  bucket: string;
  symbols: string[];
  region: string;
  endpoint: string | undefined;
  database: { clusterArn?: string; secretArn?: string; name: string; url?: string };
}

export function parseDataConnectorEnvironment(env: Record<string, string | undefined>): DataConnectorConfig {
  const e = parseEnvironment(schema, env);
  return {
    bucket: e[BRONZE_BUCKET],
    symbols: e[SYMBOLS],
    region: e[AWS_REGION],
    endpoint: e[AWS_ENDPOINT_URL],
    database: {
      ...(e[DB_CLUSTER_ARN] ? { clusterArn: e[DB_CLUSTER_ARN] } : {}),
      ...(e[DB_SECRET_ARN] ? { secretArn: e[DB_SECRET_ARN] } : {}),
      name: e[DB_NAME],
      ...(e[DATABASE_URL] ? { url: e[DATABASE_URL] } : {}),
    },
  };
}

export function sqlTargetOf(c: DataConnectorConfig): SqlTarget {
  const db = c.database;
  if (db.clusterArn && db.secretArn)
    return {
      kind: 'data-api',
      resourceArn: db.clusterArn,
      secretArn: db.secretArn,
      database: db.name,
      region: c.region,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
  return sqlTargetFromUrl(db.url as string);
}
