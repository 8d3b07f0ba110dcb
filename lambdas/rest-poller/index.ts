/**
 * Lambda entry of the REST poller (EventBridge, every minute): composes it from the environment once
 * per container (clients and the weight budget at module scope, so a warm container keeps its view
 * of the current minute) and publishes EMF metrics through Powertools.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  REST_DEPTH_EVERY_RUNS,
  REST_DEPTH_LIMIT,
  REST_INITIAL_LOOKBACK_MS,
  REST_WEIGHT_SHARE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { WeightBudget } from '../../core/rate-limit/weight-budget.ts';
import { s3Client } from '../shared/aws-clients.ts';
import { BinanceRestClient } from '../shared/binance/binance-rest-client.ts';
import { RedisRestLimiter, restLimitScope } from '../shared/binance/redis-rest-limiter.ts';
import { S3BronzeReader } from '../shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../shared/bronze/s3-checkpoint-store.ts';
import { connectConfiguredRedis } from '../shared/redis/redis-connection.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { parseRestPollerEnvironment } from './config.ts';
import { systemClock } from './guarded-rest.ts';
import { createRestPollerHandler } from './handler.ts';
import { RestPoller } from './rest-poller.ts';

const logger = serviceLogger('rest-poller');
const metrics = new Metrics({ serviceName: 'rest-poller' });
const config = parseRestPollerEnvironment(process.env);
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };
const s3 = s3Client(aws);
const redis = await connectConfiguredRedis(config[REDIS_URL], config[REDIS_AUTH_SECRET_ARN], aws);
const bucket = config[BRONZE_BUCKET];
const poller = new RestPoller(
  {
    // One budget and Retry-After gate with the re-anchor and the gap detector's back-fill (ADR 0075).
    rest: new BinanceRestClient(
      config[BINANCE_REST_URL],
      10_000,
      undefined,
      new RedisRestLimiter(redis, { scope: restLimitScope(config[BINANCE_REST_URL]) }),
    ),
    writer: new S3BronzeWriter(s3, bucket),
    reader: new S3BronzeReader(s3, bucket),
    checkpoints: new S3CheckpointStore(s3, bucket),
    budget: new WeightBudget({ share: config[REST_WEIGHT_SHARE] }),
    clock: systemClock,
  },
  {
    symbols: config[SYMBOLS],
    depthEveryRuns: config[REST_DEPTH_EVERY_RUNS],
    depthLimit: config[REST_DEPTH_LIMIT],
    initialLookbackMs: config[REST_INITIAL_LOOKBACK_MS],
  },
);

export const handler = createRestPollerHandler({
  poller,
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  record(result) {
    metrics.addMetric('Requests', MetricUnit.Count, result.requests);
    metrics.addMetric('WeightSpent', MetricUnit.Count, result.weightSpent);
    metrics.addMetric('RateLimited429', MetricUnit.Count, result.rateLimited429);
    metrics.addMetric('Banned418', MetricUnit.Count, result.banned418);
    metrics.addMetric('ServerErrors', MetricUnit.Count, result.serverErrors);
    metrics.addMetric('CircuitOpen', MetricUnit.Count, result.circuit === 'closed' ? 0 : 1);
    metrics.addMetric('StoppedEarly', MetricUnit.Count, result.stoppedBy ? 1 : 0);
    for (const s of result.symbols) {
      metrics.addMetric('AggTrades', MetricUnit.Count, s.aggTrades.trades);
      metrics.addMetric('RestAggTradeGaps', MetricUnit.Count, s.aggTrades.restGaps.length);
      metrics.addMetric('Klines', MetricUnit.Count, s.klines.candles);
      metrics.addMetric('DepthSnapshots', MetricUnit.Count, s.depth.objects.length);
    }
    metrics.publishStoredMetrics();
  },
});
