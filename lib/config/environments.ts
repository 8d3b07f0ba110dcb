/**
 * The values of each environment (`-c env=dev|staging|prod`), with the reason beside each size and
 * threshold; what each field means is in ./environment-config.ts.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BINANCE_REST_API_URL, BINANCE_SBE_WS_URL } from '../../core/market/venue-endpoints.ts';
import type {
  AlarmThresholds,
  EnvSpecific,
  FunctionSize,
  InferenceConfig,
  PipelineEnv,
  TrainerConfig,
} from './environment-config.ts';

const SYMBOLS = ['BTCUSDT'] as const;

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

export const ENVIRONMENTS: Record<PipelineEnv, EnvSpecific> = {
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
