/**
 * One typed configuration per deployment (`-c env=dev|staging|prod`): every size, count, retention,
 * removal policy and alarm threshold the stacks use lives here, so the difference between two
 * environments reads as a diff of two objects. Validated once, before any construct is built, and
 * every failure names the bad value.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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

type EnvSpecific = Omit<EnvironmentConfig, 'name' | 'account' | 'region' | 'prefix' | 'alarmEmail'>;

const SYMBOLS = ['BTCUSDT'] as const;

/** Binance's SBE market-data endpoint (sbe-market-data-streams.md: port 443 or 9443). */
export const BINANCE_SBE_WS_URL = 'wss://stream-sbe.binance.com:9443';

/** Binance's REST API (depth snapshots, aggTrades, klines). */
export const BINANCE_REST_API_URL = 'https://api.binance.com';

/** The re-anchor's lock TTL (lambdas/re-anchor/re-anchor.ts `lockTtlMs` default): its timeout stays below. */
export const REANCHOR_LOCK_TTL = Duration.seconds(30);

const BASE_ALARMS: AlarmThresholds = {
  iteratorAgeMs: 30_000,
  writeThrottledRecords: 0,
  ingestSilence: Duration.minutes(5),
  // AWS's guidance for EngineCPUUtilization is 90%; we alarm earlier because Redis is
  // single-threaded and the re-anchor's atomic swap needs headroom on the same core.
  redisEngineCpuPercent: 80,
  // The re-anchor briefly doubles a book (temporary keys): leave room before maxmemory evicts.
  redisMemoryPercent: 70,
  // Sustained near-max ACUs means queries queue: raise maxCapacityAcu before latency grows.
  auroraAcuUtilizationPercent: 90,
  lambdaErrors: 0,
  lambdaDurationShareOfTimeout: 0.8,
  // About twice the AWS floor (one poll a second per shard plus processing): a slow Redis or a
  // backlog, not the poll interval.
  exchangeToRedisP99Ms: 2_500,
  inferenceLatencyP99Ms: 25,
};

// 1769 MB is one full vCPU: the decoder and the Redis pipeline run on one Node thread, so more
// memory buys no speed; less slows every batch in proportion. 10 s is ~20x a 1000-record batch's
// expected time (the aggregator's budget: 50k+ events/s), short enough that a stuck batch is retried quickly.
const PROD_AGGREGATOR: FunctionSize = { memoryMiB: 1769, timeout: Duration.seconds(10) };
// A 5000-level snapshot is ~200 KB of JSON: memory is for CPU, not space. 25 s leaves room for
// five snapshots with back-off (re-anchor.ts) and stays under the lock TTL.
const REANCHOR = { memoryMiB: 1024, timeout: Duration.seconds(25), reservedConcurrency: 2 };
// 45 s of run budget plus the checkpoint write, inside the one-minute schedule. I/O-bound: 512 MB.
const REST_POLLER: FunctionSize = { memoryMiB: 512, timeout: Duration.seconds(55) };
// Decodes archived frames with the WASM decoder and compares them with REST: CPU for the decode.
const GAP_DETECTOR: FunctionSize = { memoryMiB: 1024, timeout: Duration.seconds(55) };
// Gunzip and parse NDJSON, then Data API upserts (I/O-bound); four minutes inside the five.
const DATA_CONNECTOR: FunctionSize = { memoryMiB: 1024, timeout: Duration.minutes(4) };
// One object per shard per minute: ~1.4k objects a day per stream instead of one per second. The
// timeout leaves a 10000-record batch (6 MB at most, Lambda's payload limit) time to gzip and PUT.
const ARCHIVER = {
  memoryMiB: 1024,
  timeout: Duration.seconds(60),
  batchSize: 10_000,
  maxBatchingWindow: Duration.seconds(60),
};

/** Fargate's CPU units → the memory sizes (MiB) it accepts with them (ECS and Batch alike). */
export const FARGATE_MEMORY_MIB: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16_384, 1024),
  4096: range(8192, 30_720, 1024),
  8192: range(16_384, 61_440, 4096),
  16384: range(32_768, 122_880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

// One vCPU: the tfjs WASM backend trains on one thread. Features arrive every 2 s per symbol
// (~43k rows a day); 4 GiB holds a year of them as arrays with room for the fit.
const TRAINER: TrainerConfig = {
  cpu: 1024,
  memoryMiB: 4096,
  timeout: Duration.hours(2),
  attempts: 2,
};
// A prediction every 2 s from a small MLP and a Redis round trip: a quarter vCPU keeps up.
const INFERENCE: InferenceConfig = { desiredCount: 1, cpu: 256, memoryMiB: 512 };

const ENVIRONMENTS: Record<PipelineEnv, EnvSpecific> = {
  dev: {
    symbols: SYMBOLS,
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    network: {
      maxAzs: 2,
      natGateways: 1,
      interfaceEndpoints: false,
      flowLogRetention: RetentionDays.ONE_WEEK,
    },
    streams: { capacity: { mode: 'provisioned', shardCount: 1 }, retentionHours: 24 },
    buckets: {
      bronzeInfrequentAccessAfterDays: 30,
      bronzeGlacierAfterDays: 90,
      bronzeExpireAfterDays: 180,
      modelsNoncurrentExpireAfterDays: 7,
      accessLogsExpireAfterDays: 30,
      autoDeleteObjects: true,
    },
    cache: { nodeType: 'cache.t4g.micro', nodes: 1, multiAz: false, snapshotRetentionDays: 1 },
    database: {
      minCapacityAcu: 0,
      maxCapacityAcu: 2,
      readers: 0,
      backupRetentionDays: 1,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    },
    consumer: {
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      retryAttempts: 2,
      maxRecordAge: Duration.minutes(10),
      parallelizationFactor: 1,
      // Dev accepts the ~1 s poll: its latency is not what anyone watches, its bill is.
      enhancedFanOut: false,
    },
    // The smallest Fargate size: one symbol's SBE streams are a few hundred frames per second.
    ingest: { desiredCount: 1, cpu: 256, memoryMiB: 512, binanceWsUrl: BINANCE_SBE_WS_URL },
    // About half a vCPU: dev batches are a tenth of prod's; slower is fine, cheaper matters.
    processing: {
      aggregator: { memoryMiB: 1024, timeout: Duration.seconds(20) },
      reanchor: { ...REANCHOR, memoryMiB: 512 },
      restPoller: REST_POLLER,
      gapDetector: GAP_DETECTOR,
      dataConnector: { ...DATA_CONNECTOR, memoryMiB: 512 },
      archiver: { ...ARCHIVER, memoryMiB: 512 },
      binanceRestUrl: BINANCE_REST_API_URL,
    },
    // Dev holds days, not months, of features: 2 GiB and half an hour are plenty.
    ml: {
      trainer: { ...TRAINER, memoryMiB: 2048, timeout: Duration.minutes(30) },
      inference: INFERENCE,
      sagemaker: false,
    },
    // Dev runs without an ingestor most of the time: silence there is not an incident. Its 1 s
    // batching window and smaller functions add latency by design.
    alarms: {
      ...BASE_ALARMS,
      iteratorAgeMs: 120_000,
      ingestSilence: undefined,
      lambdaErrors: 5,
      exchangeToRedisP99Ms: 5_000,
    },
  },
  staging: {
    symbols: SYMBOLS,
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.TWO_WEEKS,
    logLevel: 'INFO',
    network: {
      maxAzs: 2,
      natGateways: 1,
      interfaceEndpoints: true,
      flowLogRetention: RetentionDays.TWO_WEEKS,
    },
    streams: { capacity: { mode: 'provisioned', shardCount: 1 }, retentionHours: 48 },
    buckets: {
      bronzeInfrequentAccessAfterDays: 30,
      bronzeGlacierAfterDays: 90,
      bronzeExpireAfterDays: 365,
      modelsNoncurrentExpireAfterDays: 30,
      accessLogsExpireAfterDays: 90,
      autoDeleteObjects: false,
    },
    cache: { nodeType: 'cache.t4g.small', nodes: 2, multiAz: true, snapshotRetentionDays: 3 },
    database: {
      minCapacityAcu: 0.5,
      maxCapacityAcu: 4,
      readers: 0,
      backupRetentionDays: 7,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    },
    consumer: {
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(0),
      retryAttempts: 3,
      maxRecordAge: Duration.minutes(30),
      parallelizationFactor: 1,
      // Staging measures the latency prod will have.
      enhancedFanOut: true,
    },
    ingest: { desiredCount: 1, cpu: 512, memoryMiB: 1024, binanceWsUrl: BINANCE_SBE_WS_URL },
    processing: {
      aggregator: PROD_AGGREGATOR,
      reanchor: REANCHOR,
      restPoller: REST_POLLER,
      gapDetector: GAP_DETECTOR,
      dataConnector: DATA_CONNECTOR,
      archiver: ARCHIVER,
      binanceRestUrl: BINANCE_REST_API_URL,
    },
    ml: { trainer: TRAINER, inference: INFERENCE, sagemaker: false },
    alarms: { ...BASE_ALARMS, iteratorAgeMs: 60_000, lambdaErrors: 1 },
  },
  prod: {
    symbols: SYMBOLS,
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    network: {
      maxAzs: 2,
      natGateways: 2,
      interfaceEndpoints: true,
      flowLogRetention: RetentionDays.ONE_MONTH,
    },
    // On-demand absorbs Binance's bursts without resharding; partition key = symbol, so a burst on
    // one symbol still lands on one shard: the ingestor packs many frames per record for that reason.
    streams: { capacity: { mode: 'on-demand' }, retentionHours: 168 },
    buckets: {
      bronzeInfrequentAccessAfterDays: 30,
      bronzeGlacierAfterDays: 90,
      bronzeExpireAfterDays: undefined,
      modelsNoncurrentExpireAfterDays: 90,
      accessLogsExpireAfterDays: 365,
      autoDeleteObjects: false,
    },
    cache: { nodeType: 'cache.r7g.large', nodes: 2, multiAz: true, snapshotRetentionDays: 7 },
    database: {
      minCapacityAcu: 0.5,
      maxCapacityAcu: 16,
      readers: 1,
      backupRetentionDays: 14,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    },
    consumer: {
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(0),
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      parallelizationFactor: 1,
      enhancedFanOut: true,
    },
    // Two tasks in two AZs: a task or AZ failure loses no market data (duplicates are harmless).
    // Half a vCPU each: one Node event loop cannot use more, and it leaves headroom for bursts.
    ingest: { desiredCount: 2, cpu: 512, memoryMiB: 1024, binanceWsUrl: BINANCE_SBE_WS_URL },
    processing: {
      aggregator: PROD_AGGREGATOR,
      reanchor: REANCHOR,
      restPoller: REST_POLLER,
      gapDetector: GAP_DETECTOR,
      dataConnector: DATA_CONNECTOR,
      archiver: ARCHIVER,
      binanceRestUrl: BINANCE_REST_API_URL,
    },
    // Three attempts: a failed day leaves yesterday's champion serving, so prod tries harder.
    // Half a vCPU for inference: headroom for the SSE clients on its HTTP port.
    ml: {
      trainer: { ...TRAINER, attempts: 3 },
      inference: { ...INFERENCE, cpu: 512, memoryMiB: 1024 },
      sagemaker: false,
    },
    alarms: BASE_ALARMS,
  },
};

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
    throw new Error(`Unknown environment '${String(envName)}': pass -c env=dev, staging or prod.`);
  }
  const region = input.region === undefined || input.region === '' ? DEFAULT_REGION : input.region;
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new Error(`Invalid region '${String(region)}': expected an AWS region such as ${DEFAULT_REGION}.`);
  }
  const account = input.account === '' ? undefined : input.account;
  if (account !== undefined && (typeof account !== 'string' || !ACCOUNT_PATTERN.test(account))) {
    throw new Error(`Invalid account '${String(account)}': expected 12 digits (CDK_DEFAULT_ACCOUNT).`);
  }
  const alarmEmail = input.alarmEmail === '' ? undefined : input.alarmEmail;
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !EMAIL_PATTERN.test(alarmEmail))) {
    throw new Error(`Invalid alarmEmail '${String(alarmEmail)}': expected an e-mail address.`);
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

function check(ok: boolean, what: string, value: unknown, expected: string): void {
  if (!ok) throw new Error(`Invalid ${what} ${JSON.stringify(value)}: ${expected}.`);
}

function isInt(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Limits from the AWS service quotas and from our own invariants; exported for the tests. */
export function validateEnvironmentConfig(c: EnvironmentConfig): void {
  const where = `${c.name}`;
  const n = c.network;
  check(isInt(n.maxAzs, 2, 6), `${where} network.maxAzs`, n.maxAzs, 'need 2 to 6 (Multi-AZ needs two)');
  check(
    isInt(n.natGateways, 1, n.maxAzs),
    `${where} network.natGateways`,
    n.natGateways,
    `need 1 to maxAzs (${n.maxAzs}): compute reaches Binance through NAT`,
  );

  const s = c.streams;
  check(
    isInt(s.retentionHours, 24, 8760),
    `${where} streams.retentionHours`,
    s.retentionHours,
    'Kinesis allows 24 to 8760',
  );
  if (s.capacity.mode === 'provisioned') {
    check(
      isInt(s.capacity.shardCount, 1, 500),
      `${where} streams.capacity.shardCount`,
      s.capacity.shardCount,
      'need 1 to 500',
    );
  }

  const b = c.buckets;
  check(
    isInt(b.bronzeInfrequentAccessAfterDays, 30, 3650),
    `${where} buckets.bronzeInfrequentAccessAfterDays`,
    b.bronzeInfrequentAccessAfterDays,
    'S3 needs at least 30 days before STANDARD_IA',
  );
  check(
    b.bronzeGlacierAfterDays >= b.bronzeInfrequentAccessAfterDays + 30,
    `${where} buckets.bronzeGlacierAfterDays`,
    b.bronzeGlacierAfterDays,
    'must be at least 30 days after the STANDARD_IA transition',
  );
  if (b.bronzeExpireAfterDays !== undefined) {
    check(
      b.bronzeExpireAfterDays > b.bronzeGlacierAfterDays,
      `${where} buckets.bronzeExpireAfterDays`,
      b.bronzeExpireAfterDays,
      'must come after the Glacier transition',
    );
  }
  check(
    isInt(b.modelsNoncurrentExpireAfterDays, 1, 3650),
    `${where} buckets.modelsNoncurrentExpireAfterDays`,
    b.modelsNoncurrentExpireAfterDays,
    'need 1 to 3650',
  );
  check(
    isInt(b.accessLogsExpireAfterDays, 1, 3650),
    `${where} buckets.accessLogsExpireAfterDays`,
    b.accessLogsExpireAfterDays,
    'need 1 to 3650',
  );
  check(
    !b.autoDeleteObjects || c.removalPolicy === RemovalPolicy.DESTROY,
    `${where} buckets.autoDeleteObjects`,
    b.autoDeleteObjects,
    'only with removalPolicy DESTROY',
  );

  const r = c.cache;
  check(
    /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(r.nodeType),
    `${where} cache.nodeType`,
    r.nodeType,
    'expected e.g. cache.t4g.micro',
  );
  check(isInt(r.nodes, 1, 6), `${where} cache.nodes`, r.nodes, 'a replication group holds 1 to 6 nodes');
  check(
    !r.multiAz || r.nodes >= 2,
    `${where} cache.multiAz`,
    r.multiAz,
    `Multi-AZ needs at least 2 nodes, got ${r.nodes}`,
  );
  check(
    isInt(r.snapshotRetentionDays, 1, 35),
    `${where} cache.snapshotRetentionDays`,
    r.snapshotRetentionDays,
    'need 1 to 35',
  );

  const d = c.database;
  const validAcu = (v: number) => v >= 0 && v <= 256 && Number.isInteger(v * 2);
  check(
    validAcu(d.minCapacityAcu),
    `${where} database.minCapacityAcu`,
    d.minCapacityAcu,
    'need 0 to 256 in steps of 0.5',
  );
  check(
    validAcu(d.maxCapacityAcu) && d.maxCapacityAcu >= 1 && d.maxCapacityAcu >= d.minCapacityAcu,
    `${where} database.maxCapacityAcu`,
    d.maxCapacityAcu,
    `need 1 to 256 in steps of 0.5, at least minCapacityAcu (${d.minCapacityAcu})`,
  );
  check(isInt(d.readers, 0, 15), `${where} database.readers`, d.readers, 'need 0 to 15');
  check(
    isInt(d.backupRetentionDays, 1, 35),
    `${where} database.backupRetentionDays`,
    d.backupRetentionDays,
    'need 1 to 35',
  );

  const k = c.consumer;
  check(
    isInt(k.batchSize, 1, 10_000),
    `${where} consumer.batchSize`,
    k.batchSize,
    'Kinesis event sources take 1 to 10000',
  );
  const windowS = k.maxBatchingWindow.toMilliseconds() / 1000;
  check(
    Number.isInteger(windowS) && windowS >= 0 && windowS <= 300,
    `${where} consumer.maxBatchingWindow`,
    k.maxBatchingWindow.toHumanString(),
    'Lambda takes whole seconds from 0 to 300',
  );
  // Bounded on purpose: -1 (infinite) would let one poison record stall its shard until it expires.
  check(
    isInt(k.retryAttempts, 0, 10),
    `${where} consumer.retryAttempts`,
    k.retryAttempts,
    'need a bounded 0 to 10',
  );
  const ageS = k.maxRecordAge.toSeconds();
  check(
    isInt(ageS, 60, 604_800),
    `${where} consumer.maxRecordAge`,
    k.maxRecordAge.toHumanString(),
    'need 60 s to 7 days',
  );
  check(
    ageS <= s.retentionHours * 3600,
    `${where} consumer.maxRecordAge`,
    k.maxRecordAge.toHumanString(),
    `cannot exceed the stream retention (${s.retentionHours} h)`,
  );
  check(
    isInt(k.parallelizationFactor, 1, 10),
    `${where} consumer.parallelizationFactor`,
    k.parallelizationFactor,
    'need 1 to 10',
  );

  const i = c.ingest;
  check(
    isInt(i.desiredCount, 1, 10),
    `${where} ingest.desiredCount`,
    i.desiredCount,
    'need 1 to 10 (each task holds its own Binance connections)',
  );
  check(
    /^wss:\/\/[^\s/]+/.test(i.binanceWsUrl),
    `${where} ingest.binanceWsUrl`,
    i.binanceWsUrl,
    'need a wss:// URL',
  );

  const p = c.processing;
  for (const [key, size] of [
    ['aggregator', p.aggregator],
    ['reanchor', p.reanchor],
    ['restPoller', p.restPoller],
    ['gapDetector', p.gapDetector],
    ['dataConnector', p.dataConnector],
    ['archiver', p.archiver],
  ] as const) {
    check(
      isInt(size.memoryMiB, 128, 10_240),
      `${where} processing.${key}.memoryMiB`,
      size.memoryMiB,
      'Lambda allows 128 to 10240 MB',
    );
    check(
      isInt(size.timeout.toSeconds(), 1, 900),
      `${where} processing.${key}.timeout`,
      size.timeout.toHumanString(),
      'Lambda allows 1 to 900 whole seconds',
    );
  }
  // One stuck batch holds its shard for the whole timeout: alone it must not trip the lag alarm.
  check(
    p.aggregator.timeout.toMilliseconds() <= c.alarms.iteratorAgeMs / 2,
    `${where} processing.aggregator.timeout`,
    p.aggregator.timeout.toHumanString(),
    `need at most half the iterator-age alarm threshold (${c.alarms.iteratorAgeMs} ms)`,
  );
  check(
    p.reanchor.timeout.toMilliseconds() < REANCHOR_LOCK_TTL.toMilliseconds(),
    `${where} processing.reanchor.timeout`,
    p.reanchor.timeout.toHumanString(),
    `need less than the re-anchor lock TTL (${REANCHOR_LOCK_TTL.toHumanString()}), so a run never outlives its lock`,
  );
  for (const [key, size, scheduleS] of [
    ['restPoller', p.restPoller, 60],
    ['gapDetector', p.gapDetector, 60],
    ['dataConnector', p.dataConnector, 300],
  ] as const) {
    check(
      size.timeout.toSeconds() < scheduleS,
      `${where} processing.${key}.timeout`,
      size.timeout.toHumanString(),
      `need under its ${scheduleS} s schedule, so runs never overlap`,
    );
  }
  check(
    isInt(p.archiver.batchSize, 1, 10_000),
    `${where} processing.archiver.batchSize`,
    p.archiver.batchSize,
    'Kinesis event sources take 1 to 10000',
  );
  const archiverWindowS = p.archiver.maxBatchingWindow.toMilliseconds() / 1000;
  check(
    Number.isInteger(archiverWindowS) && archiverWindowS >= 0 && archiverWindowS <= 300,
    `${where} processing.archiver.maxBatchingWindow`,
    p.archiver.maxBatchingWindow.toHumanString(),
    'Lambda takes whole seconds from 0 to 300',
  );
  check(
    isInt(p.reanchor.reservedConcurrency, 1, 10),
    `${where} processing.reanchor.reservedConcurrency`,
    p.reanchor.reservedConcurrency,
    'need 1 to 10 (each run may fetch 5000-level snapshots of weight 250)',
  );
  check(
    /^https:\/\/[^\s/]+/.test(p.binanceRestUrl),
    `${where} processing.binanceRestUrl`,
    p.binanceRestUrl,
    'need an https:// URL',
  );

  const m = c.ml;
  for (const [key, size] of [
    ['trainer', m.trainer],
    ['inference', m.inference],
  ] as const) {
    const memories = FARGATE_MEMORY_MIB[size.cpu];
    check(
      memories !== undefined,
      `${where} ml.${key}.cpu`,
      size.cpu,
      `Fargate takes ${Object.keys(FARGATE_MEMORY_MIB).join(', ')}`,
    );
    check(
      memories?.includes(size.memoryMiB) ?? false,
      `${where} ml.${key}.memoryMiB`,
      size.memoryMiB,
      `with cpu ${size.cpu} Fargate takes ${memories?.[0]} to ${memories?.[memories.length - 1]} MiB in its steps`,
    );
  }
  const trainerS = m.trainer.timeout.toSeconds();
  check(
    isInt(trainerS, 60, 86_400),
    `${where} ml.trainer.timeout`,
    m.trainer.timeout.toHumanString(),
    'Batch takes whole seconds from 60',
  );
  check(
    isInt(m.trainer.attempts, 1, 10),
    `${where} ml.trainer.attempts`,
    m.trainer.attempts,
    'Batch takes 1 to 10',
  );
  // Every attempt of one day's run ends before the next day's is submitted.
  check(
    trainerS * m.trainer.attempts < 86_400,
    `${where} ml.trainer.timeout`,
    m.trainer.timeout.toHumanString(),
    `times ${m.trainer.attempts} attempts must stay under the daily schedule (24 h)`,
  );
  check(
    isInt(m.inference.desiredCount, 0, 1),
    `${where} ml.inference.desiredCount`,
    m.inference.desiredCount,
    'need 0 or 1 (a second task would write the same predictions and served vectors twice)',
  );

  const a = c.alarms;
  check(
    a.inferenceLatencyP99Ms > 0,
    `${where} alarms.inferenceLatencyP99Ms`,
    a.inferenceLatencyP99Ms,
    'need a positive number of ms',
  );
  check(
    a.exchangeToRedisP99Ms > 0,
    `${where} alarms.exchangeToRedisP99Ms`,
    a.exchangeToRedisP99Ms,
    'need a positive number of ms',
  );
  check(
    a.iteratorAgeMs > 0,
    `${where} alarms.iteratorAgeMs`,
    a.iteratorAgeMs,
    'need a positive number of ms',
  );
  for (const [key, value] of [
    ['redisEngineCpuPercent', a.redisEngineCpuPercent],
    ['redisMemoryPercent', a.redisMemoryPercent],
    ['auroraAcuUtilizationPercent', a.auroraAcuUtilizationPercent],
  ] as const) {
    check(value > 0 && value < 100, `${where} alarms.${key}`, value, 'need a percentage between 0 and 100');
  }
  check(
    a.lambdaDurationShareOfTimeout > 0 && a.lambdaDurationShareOfTimeout < 1,
    `${where} alarms.lambdaDurationShareOfTimeout`,
    a.lambdaDurationShareOfTimeout,
    'need a share between 0 and 1',
  );
  check(
    a.writeThrottledRecords >= 0 && a.lambdaErrors >= 0,
    `${where} alarms`,
    { writeThrottledRecords: a.writeThrottledRecords, lambdaErrors: a.lambdaErrors },
    'counts cannot be negative',
  );
  check(
    c.symbols.length > 0 && c.symbols.every((sym) => /^[A-Z0-9]{5,20}$/.test(sym)),
    `${where} symbols`,
    c.symbols,
    'need Binance symbols such as BTCUSDT',
  );
}
