/**
 * The trainer's composition: resolve the data source, hyperparameters and model store from the
 * command line, the environment and SageMaker's conventions, then run the job. Used by the container
 * entry (main.ts) and `npm run train` (scripts/train.ts).
 *
 * SageMaker / Batch conventions honoured:
 * - hyperparameters from /opt/ml/input/config/hyperparameters.json when present (string values);
 * - the training channel /opt/ml/input/data/training as the data when no --data / TRAINER_DATA;
 * - model.json and metrics.json also written to /opt/ml/model when it exists (SageMaker uploads it);
 * - on failure the reason goes to /opt/ml/output/failure.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  MODEL_STORE_DIR,
  MODELS_BUCKET,
  TRAINER_DATA,
} from '../../core/config/environment-names.ts';
import type { Dataset } from '../../core/model/dataset.ts';
import type { ModelStore } from '../../core/model/model-store.ts';
import { s3Client } from '../../lambdas/shared/aws-clients.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { LocalModelStore } from '../../lambdas/shared/model-store/local-model-store.ts';
import { S3ModelStore } from '../../lambdas/shared/model-store/s3-model-store.ts';
import { openSqlClient } from '../../lambdas/shared/sql/open-sql-client.ts';
import { datasetFromBronze, datasetFromSql, loadDataset, MIN_SERVED_ROWS } from './data-sources.ts';
import { type Hyperparameters, parseHyperparameters } from './hyperparameters.ts';
import type { EpochProgress } from './mlp.ts';
import { runTrainJob, type TrainJobResult } from './train-job.ts';

export const SAGEMAKER = {
  hyperparameters: '/opt/ml/input/config/hyperparameters.json',
  trainingChannel: '/opt/ml/input/data/training',
  modelDir: '/opt/ml/model',
  failure: '/opt/ml/output/failure',
} as const;

export interface TrainingCliOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  /** ISO time of the run. */
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onEpoch?: (p: EpochProgress) => void;
  /** Overridable for tests. */
  sagemaker?: typeof SAGEMAKER;
}

async function hyperparameters(o: TrainingCliOptions, cli: string | undefined): Promise<Hyperparameters> {
  const paths = o.sagemaker ?? SAGEMAKER;
  const fromFile = existsSync(paths.hyperparameters)
    ? (JSON.parse(await readFile(paths.hyperparameters, 'utf8')) as Record<string, unknown>)
    : {};
  return parseHyperparameters({ ...fromFile, ...(cli ? JSON.parse(cli) : {}) });
}

async function dataset(o: TrainingCliOptions, spec: string | undefined): Promise<Dataset> {
  const paths = o.sagemaker ?? SAGEMAKER;
  const aws = { region: o.env[AWS_REGION] ?? 'ap-northeast-1', endpoint: o.env[AWS_ENDPOINT_URL] };
  const chosen =
    spec ?? o.env[TRAINER_DATA] ?? (existsSync(paths.trainingChannel) ? paths.trainingChannel : undefined);
  if (chosen) return loadDataset(chosen, aws);
  const cluster = o.env[DB_CLUSTER_ARN];
  const secret = o.env[DB_SECRET_ARN];
  if (cluster && secret) {
    const sql = await openSqlClient({
      kind: 'data-api',
      resourceArn: cluster,
      secretArn: secret,
      database: o.env[DB_NAME] ?? 'pipeline',
      ...aws,
    });
    let warehouse: Dataset;
    try {
      warehouse = await datasetFromSql(sql, 'BTCUSDT', 'aurora');
    } finally {
      await sql.close();
    }
    // Cold start (or features redefined): too few served vectors, so replay bronze's market data.
    const bucket = o.env[BRONZE_BUCKET];
    if (warehouse.rows.length >= MIN_SERVED_ROWS || !bucket) return warehouse;
    o.log('too few served vectors: replaying bronze', { rows: warehouse.rows.length, bucket });
    return datasetFromBronze(new S3BronzeReader(s3Client(aws), bucket), `s3://${bucket}`);
  }
  throw new Error(`No data: pass --data, set ${TRAINER_DATA}, or ${DB_CLUSTER_ARN} and ${DB_SECRET_ARN}.`);
}

function store(o: TrainingCliOptions, dir: string | undefined): ModelStore {
  const bucket = o.env[MODELS_BUCKET];
  if (bucket && !dir)
    return new S3ModelStore(
      s3Client({ region: o.env[AWS_REGION] ?? 'ap-northeast-1', endpoint: o.env[AWS_ENDPOINT_URL] }),
      bucket,
    );
  return new LocalModelStore(dir ?? o.env[MODEL_STORE_DIR] ?? '.models');
}

export async function runTrainingCli(o: TrainingCliOptions): Promise<TrainJobResult> {
  const paths = o.sagemaker ?? SAGEMAKER;
  try {
    const { values } = parseArgs({
      args: o.argv,
      options: { data: { type: 'string' }, hp: { type: 'string' }, 'model-dir': { type: 'string' } },
      allowPositionals: true, // SageMaker runs the image with the argument `train`
    });
    const hp = await hyperparameters(o, values.hp);
    const data = await dataset(o, values.data);
    o.log('data', { source: data.source, rows: data.rows.length });
    const result = await runTrainJob(data, hp, {
      store: store(o, values['model-dir']),
      createdAt: o.now().toISOString(),
      log: o.log,
      ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
    });
    if (existsSync(paths.modelDir)) {
      const model = await store(o, values['model-dir']).getVersion(result.version);
      await writeFile(join(paths.modelDir, 'model.json'), JSON.stringify(model));
      await writeFile(join(paths.modelDir, 'metrics.json'), JSON.stringify(result.metrics, null, 2));
    }
    return result;
  } catch (error) {
    const failureDir = join(paths.failure, '..');
    if (existsSync(failureDir)) {
      await mkdir(failureDir, { recursive: true });
      await writeFile(paths.failure, String((error as Error).stack ?? error));
    }
    throw error;
  }
}
