/**
 * Lambda entry of the gap detector (EventBridge every minute, plus asynchronous invokes from the hot
 * path): clients, Redis and the WASM decoder at module scope; EMF metrics per gap reason.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  GAP_DEPTH_SILENCE_MS,
  GAP_VOLUME_TOLERANCE,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { s3Client } from '../shared/aws-clients.ts';
import { BinanceRestClient } from '../shared/binance/binance-rest-client.ts';
import { RedisRestLimiter, restLimitScope } from '../shared/binance/redis-rest-limiter.ts';
import { S3BronzeReader } from '../shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../shared/bronze/s3-checkpoint-store.ts';
import { connectConfiguredRedis } from '../shared/redis/redis-connection.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { parseGapDetectorEnvironment } from './config.ts';
import { GapDetector } from './gap-detector.ts';
import { createGapDetectorHandler } from './handler.ts';
import { LambdaReanchorTrigger } from './lambda-reanchor-trigger.ts';
import { RedisGapSignals } from './redis-gap-signals.ts';

const logger = serviceLogger('gap-detector');
const metrics = new Metrics({ serviceName: 'gap-detector' });
const config = parseGapDetectorEnvironment(process.env);
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };
const redis = await connectConfiguredRedis(config[REDIS_URL], config[REDIS_AUTH_SECRET_ARN], aws);
const s3 = s3Client(aws);
const bucket = config[BRONZE_BUCKET];
const lambda = new LambdaClient({ region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) });
const detector = new GapDetector(
  {
    reader: new S3BronzeReader(s3, bucket),
    writer: new S3BronzeWriter(s3, bucket),
    checkpoints: new S3CheckpointStore(s3, bucket),
    signals: new RedisGapSignals(redis),
    reanchor: new LambdaReanchorTrigger(lambda, config[REANCHOR_FUNCTION_NAME]),
    // One budget and Retry-After gate with the re-anchor and the REST poller (ADR 0075).
    rest: new BinanceRestClient(
      config[BINANCE_REST_URL],
      10_000,
      undefined,
      new RedisRestLimiter(redis, { scope: restLimitScope(config[BINANCE_REST_URL]) }),
    ),
    // The bundle ships the module next to index.mjs (PipelineFunction's bundledAssets).
    decoder: new WasmSbeDecoder(new URL('./sbe_decoder.wasm', import.meta.url)),
    nowMs: () => Date.now(),
  },
  { depthSilenceMs: config[GAP_DEPTH_SILENCE_MS], volumeTolerance: config[GAP_VOLUME_TOLERANCE] },
);

export const handler = createGapDetectorHandler({
  detector,
  symbols: config[SYMBOLS],
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  record(result) {
    metrics.addDimension('symbol', result.symbol);
    for (const [reason, count] of Object.entries(result.counts)) {
      metrics.addMetric(`Gap_${reason}`, MetricUnit.Count, count);
    }
    metrics.addMetric('BackfilledObjects', MetricUnit.Count, result.backfill.objects.length);
    metrics.addMetric('ReanchorsRequested', MetricUnit.Count, result.reanchorsRequested.length);
    metrics.publishStoredMetrics();
  },
});
