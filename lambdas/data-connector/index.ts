/**
 * Lambda entry: composes the data connector from the environment once per container (clients at
 * module scope): the Data API when DB_CLUSTER_ARN is set, else DATABASE_URL (pg or PGlite). The
 * migrations ship next to the bundle (PipelineFunction `bundledAssets`: migrations/*.sql).
 */
import { fileURLToPath } from 'node:url';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { s3Client } from '../shared/aws-clients.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { loadMigrations } from '../shared/sql/migrations.ts';
import { openSqlClient } from '../shared/sql/open-sql-client.ts';
import { parseDataConnectorEnvironment, sqlTargetOf } from './config.ts';
import { DataConnector } from './data-connector.ts';
import { createDataConnectorHandler } from './handler.ts';
import { S3BronzeSource } from './s3-bronze-source.ts';

const logger = serviceLogger('data-connector');
const metrics = new Metrics({ serviceName: 'data-connector' });
const config = parseDataConnectorEnvironment(process.env);
const sql = await openSqlClient(sqlTargetOf(config));
const migrations = await loadMigrations(fileURLToPath(new URL('./migrations/', import.meta.url)));
const connector = new DataConnector({
  sql,
  bronze: new S3BronzeSource(s3Client({ region: config.region, endpoint: config.endpoint }), config.bucket),
  migrations,
  nowUs: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
  log: (level, message, fields) => logger[level](message, fields ?? {}),
});

export const handler = createDataConnectorHandler({
  connector,
  symbols: config.symbols,
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  record(outcome, trigger) {
    metrics.addDimension('trigger', trigger);
    metrics.addMetric('ObjectsLoaded', MetricUnit.Count, outcome.loaded);
    metrics.addMetric('RowsUpserted', MetricUnit.Count, outcome.rows);
    metrics.addMetric('ObjectsUnchanged', MetricUnit.Count, outcome.unchanged);
    metrics.addMetric('ObjectsFailed', MetricUnit.Count, outcome.failed.length);
    metrics.publishStoredMetrics();
  },
});
