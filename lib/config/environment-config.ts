/**
 * One typed configuration per deployment (`-c env=dev|staging|prod`): what each part means, and how
 * the one for `-c env=` is resolved. The values of each environment are in ./environments.ts, so the
 * difference between two environments reads as a diff of two objects. Before any construct is built,
 * ./invariants.ts checks what spans several parts (a timeout against an alarm, a lock, a schedule);
 * each AWS limit is checked by the construct that owns the resource (lib/constructs/), naming the
 * bad value the same way (lib/invalid-setting.ts).
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { invalidSetting } from '../invalid-setting.ts';
import { ENVIRONMENTS } from './environments.ts';
import { validateEnvironmentConfig } from './invariants.ts';

export { validateEnvironmentConfig };

export const PIPELINE_ENVS = ['dev', 'staging', 'prod'] as const;
export type PipelineEnv = (typeof PIPELINE_ENVS)[number];

/** Binance answers fastest from AWS Tokyo. */
export const DEFAULT_REGION = 'ap-northeast-1';

/** Kinesis capacity: a fixed shard count, or on-demand (pay per GB, scales by itself). */
export type StreamCapacity =
  | { readonly mode: 'provisioned'; readonly shardCount: number }
  | { readonly mode: 'on-demand' };

export interface NetworkConfig {
  /** Two AZs are enough for Multi-AZ failover of Redis and Aurora; each extra AZ costs NAT and endpoints. */
  readonly maxAzs: number;
  readonly natGateways: number;
  /** Interface endpoints cost per AZ-hour: worth it only where Kinesis/ECR/Logs traffic would cross NAT. */
  readonly interfaceEndpoints: boolean;
  readonly flowLogRetention: RetentionDays;
}

export interface StreamsConfig {
  readonly capacity: StreamCapacity;
  /** 24 h is included in the Kinesis price; longer lets a broken consumer be replayed after a weekend. */
  readonly retentionHours: number;
}

export interface BucketsConfig {
  readonly bronzeInfrequentAccessAfterDays: number;
  readonly bronzeGlacierAfterDays: number;
  /** Bronze is the replayable record of the market: kept forever in prod, trimmed in dev. */
  readonly bronzeExpireAfterDays: number | undefined;
  readonly modelsNoncurrentExpireAfterDays: number;
  readonly accessLogsExpireAfterDays: number;
  /** Empties buckets on stack deletion (dev only: deleting data must never be a side effect elsewhere). */
  readonly autoDeleteObjects: boolean;
}

export interface CacheConfig {
  readonly nodeType: string;
  /** Nodes in the replication group: 1 primary plus replicas. Multi-AZ needs at least 2. */
  readonly nodes: number;
  readonly multiAz: boolean;
  readonly snapshotRetentionDays: number;
}

export interface DatabaseConfig {
  /** Aurora Serverless v2 capacity in ACUs; 0 lets an idle dev cluster pause. */
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly readers: number;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
}

export interface ConsumerConfig {
  /** Records per aggregator invocation: larger batches amortise the one Redis round trip per batch. */
  readonly batchSize: number;
  /**
   * How long Lambda waits to fill a batch (whole seconds). Lambda polls each shard about once a
   * second anyway, so 0 costs no batch size on a busy stream; every second here is hot-state latency.
   */
  readonly maxBatchingWindow: Duration;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  /** 1 keeps per-shard order; the book also needs per-symbol order, which any factor preserves. */
  readonly parallelizationFactor: number;
  /**
   * Read the market streams through an enhanced fan-out consumer registered for the aggregator: Kinesis
   * pushes records about 70 ms after the put instead of Lambda polling each shard about once a second
   * (docs/adr/0100-aws-latency-budget.md). Costs a consumer-shard hour per stream and shard and a fee
   * per GB read (`npm run cost`). The archiver stays on standard polling either way: bronze is not
   * latency-sensitive.
   */
  readonly enhancedFanOut: boolean;
}

export interface IngestConfig {
  /**
   * Ingestor tasks running side by side, each with its own Binance connections. More than one is
   * safe: Kinesis is at-least-once anyway and the aggregator is idempotent, so duplicates change nothing.
   */
  readonly desiredCount: number;
  /** Fargate CPU units (256 = 0.25 vCPU); with memoryMiB, one of Fargate's valid pairs. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** The Binance SBE WebSocket base URL (BINANCE_WS_URL). */
  readonly binanceWsUrl: string;
}

/**
 * The AWS Batch job of the trainer (containers/trainer), on Fargate. A run reads the warehouse's
 * `features` table through the Data API, fits a small MLP with the tfjs WASM backend (one thread: a
 * second vCPU buys nothing) and writes `models/<version>/`; memory holds the whole table as arrays.
 */
export interface TrainerConfig {
  /** Fargate CPU units (1024 = 1 vCPU); with memoryMiB, one of Fargate's valid pairs. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Batch stops an attempt after this and counts it as failed (60 s at least). */
  readonly timeout: Duration;
  /**
   * Attempts per job, the first included (1–10). Retries absorb transient failures (a paused Aurora
   * answering the first Data API call with DatabaseResumingException, Fargate capacity); a run is
   * idempotent (a new version, promoted only if it wins), so a retry never does harm.
   */
  readonly attempts: number;
}

/** The inference service (containers/inference) on Fargate. */
export interface InferenceConfig {
  /**
   * 0 or 1, never more: each task predicts every symbol and writes the same prediction keys and
   * served-vector objects, so a second task would double-write rather than add redundancy. ECS
   * replaces a lost task within a minute or two (the running-tasks alarm covers a crash loop).
   */
  readonly desiredCount: number;
  /** Fargate CPU units (256 = 0.25 vCPU); with memoryMiB, one of Fargate's valid pairs. */
  readonly cpu: number;
  readonly memoryMiB: number;
}

export interface MlConfig {
  readonly trainer: TrainerConfig;
  readonly inference: InferenceConfig;
  /**
   * Also create what a SageMaker training job needs to run the trainer image (an execution role with
   * the Batch job's access, an x86_64 image: SageMaker training has no Graviton instances) and the
   * outputs `aws sagemaker create-training-job` takes (lib/README.md). Batch stays the scheduled path.
   * @default false
   */
  readonly sagemaker?: boolean;
}

/** Memory and timeout of one Lambda function. */
export interface FunctionSize {
  /** MB (128–10240); Lambda allocates CPU in proportion, one full vCPU at 1769 MB. */
  readonly memoryMiB: number;
  readonly timeout: Duration;
}

export interface ProcessingConfig {
  /**
   * The Kinesis consumer of the three streams (the hot path). Its timeout bounds how long one stuck
   * batch (Redis away) holds its shard before Lambda retries and bisects it: validated to stay well
   * under the iterator-age alarm threshold, so a single timed-out batch never pages by itself.
   */
  readonly aggregator: FunctionSize;
  /**
   * Rebuilds a book from a REST snapshot, invoked asynchronously. Its timeout stays under the
   * re-anchor lock TTL (30 s, lambdas/re-anchor/re-anchor.ts) so a run never outlives its own lock.
   */
  readonly reanchor: FunctionSize & {
    /**
     * Concurrent re-anchors: one runs per symbol (the lock), a spare answers duplicate requests with
     * `locked`. Bounded because each run may fetch several 5000-level snapshots (weight 250 each out of
     * Binance's 6000 per minute per IP, shared with the REST poller behind the same NAT).
     */
    readonly reservedConcurrency: number;
  };
  /**
   * The REST poller, every minute. Its timeout stays under the one-minute schedule so two runs never
   * overlap (they would spend the weight budget twice and race on checkpoints); the poller itself
   * stops a run after 45 s (`runBudgetMs`) and needs the rest to write its checkpoint.
   */
  readonly restPoller: FunctionSize;
  /**
   * The gap detector, every minute: the same rule as the poller (under the schedule, one run at a
   * time) because its runs share a checkpoint and the day's completeness ledger.
   */
  readonly gapDetector: FunctionSize;
  /**
   * The data connector (bronze → Aurora through the Data API), every 5 minutes; its timeout stays under
   * the schedule so catch-up runs never overlap on its checkpoints.
   */
  readonly dataConnector: FunctionSize;
  /**
   * The raw-stream archiver (a Kinesis consumer of the three streams into bronze). Large, slow
   * batches on purpose: each batch is one S3 object per shard, and bronze is not latency-sensitive.
   */
  readonly archiver: FunctionSize & {
    readonly batchSize: number;
    /** Whole seconds, 0–300. */
    readonly maxBatchingWindow: Duration;
  };
  /** Binance REST base URL (BINANCE_REST_URL): depth snapshots, aggTrades, klines. */
  readonly binanceRestUrl: string;
}

export interface AlarmThresholds {
  /** Kinesis consumer lag (ms) beyond which features describe a market that has moved on. */
  readonly iteratorAgeMs: number;
  /** Write throttles per 5 minutes tolerated before the ingestor's retries are at risk. */
  readonly writeThrottledRecords: number;
  /** Alarm when no record reached Kinesis for this long (BTCUSDT trades every second). */
  readonly ingestSilence: Duration | undefined;
  readonly redisEngineCpuPercent: number;
  readonly redisMemoryPercent: number;
  readonly auroraAcuUtilizationPercent: number;
  /** Lambda errors per 5 minutes. */
  readonly lambdaErrors: number;
  /** Lambda p99 duration as a share of its timeout. */
  readonly lambdaDurationShareOfTimeout: number;
  /**
   * The aggregator's per-batch exchange-event-to-Redis p99 (ms, EMF `ExchangeToRedisP99`), averaged
   * over 5 minutes, sustained for 15. Lambda's standard Kinesis poller reads each shard about once a
   * second, so ~1 s plus the batching window is the floor in AWS (the 50 ms budget in
   * README's performance table is the local run's); well beyond it, the 10 s-ahead predictions lose a noticeable part of their horizon.
   */
  readonly exchangeToRedisP99Ms: number;
  /**
   * The inference service's p99 tick latency over a minute (ms, EMF `InferenceLatencyP99`): one Redis
   * read and one write, about 2 ms on a laptop (npm run bench:inference). Sustained above this, Redis
   * or the task is struggling, long before the 2 s tick is at risk.
   */
  readonly inferenceLatencyP99Ms: number;
}

export interface EnvironmentConfig {
  readonly name: PipelineEnv;
  /** Undefined offline: the stacks are then environment-agnostic and synth needs no credentials. */
  readonly account: string | undefined;
  readonly region: string;
  /** Prefix of physical names and dashboards, e.g. `btcusdt-dev`. */
  readonly prefix: string;
  readonly symbols: readonly string[];
  /** Removal policy of stateful resources other than the database. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly network: NetworkConfig;
  readonly streams: StreamsConfig;
  readonly buckets: BucketsConfig;
  readonly cache: CacheConfig;
  readonly database: DatabaseConfig;
  readonly consumer: ConsumerConfig;
  readonly ingest: IngestConfig;
  readonly processing: ProcessingConfig;
  readonly ml: MlConfig;
  readonly alarms: AlarmThresholds;
  /** Optional e-mail subscribed to the alarm topic (`-c alarmEmail=ops@example.com`). */
  readonly alarmEmail: string | undefined;
}

/** What differs between environments: everything but the names resolved from the context. */
export type EnvSpecific = Omit<EnvironmentConfig, 'name' | 'account' | 'region' | 'prefix' | 'alarmEmail'>;

export interface EnvironmentConfigInput {
  /** `-c env=`; defaults to dev. */
  readonly envName?: unknown;
  /** `-c region=`, else `AWS_REGION`, else ap-northeast-1. */
  readonly region?: unknown;
  /** `CDK_DEFAULT_ACCOUNT` (undefined offline). */
  readonly account?: unknown;
  readonly alarmEmail?: unknown;
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function isPipelineEnv(value: unknown): value is PipelineEnv {
  return typeof value === 'string' && (PIPELINE_ENVS as readonly string[]).includes(value);
}

/** Builds and validates the configuration of one environment; throws naming the bad value. */
export function resolveEnvironmentConfig(input: EnvironmentConfigInput): EnvironmentConfig {
  const envName = input.envName ?? 'dev';
  if (!isPipelineEnv(envName)) {
    invalidSetting('Context', 'env', envName, 'pass -c env=dev, staging or prod');
  }
  const region = input.region === undefined || input.region === '' ? DEFAULT_REGION : input.region;
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    invalidSetting('Context', 'region', region, `expected an AWS region such as ${DEFAULT_REGION}`);
  }
  const account = input.account === '' ? undefined : input.account;
  if (account !== undefined && (typeof account !== 'string' || !ACCOUNT_PATTERN.test(account))) {
    invalidSetting('Context', 'account', account, 'expected 12 digits (CDK_DEFAULT_ACCOUNT)');
  }
  const alarmEmail = input.alarmEmail === '' ? undefined : input.alarmEmail;
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !EMAIL_PATTERN.test(alarmEmail))) {
    invalidSetting('Context', 'alarmEmail', alarmEmail, 'expected an e-mail address');
  }
  const config: EnvironmentConfig = {
    ...ENVIRONMENTS[envName],
    name: envName,
    account,
    region,
    prefix: `btcusdt-${envName}`,
    alarmEmail,
  };
  validateEnvironmentConfig(config);
  return config;
}

/**
 * Reads `-c env=`, `-c region=`, `-c alarmEmail=`, the CLI's `CDK_DEFAULT_ACCOUNT` and `AWS_REGION`.
 * Not `CDK_DEFAULT_REGION`: the CLI always sets it, falling back to us-east-1 without a configured
 * region, which would silently override the Tokyo default.
 */
export function environmentConfigFromContext(
  tryGetContext: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
): EnvironmentConfig {
  return resolveEnvironmentConfig({
    envName: tryGetContext('env'),
    region: tryGetContext('region') ?? env.AWS_REGION,
    account: env.CDK_DEFAULT_ACCOUNT,
    alarmEmail: tryGetContext('alarmEmail'),
  });
}
