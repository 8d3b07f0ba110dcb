/**
 * Lambda entry of the re-anchor: invoked asynchronously by the aggregator (or the gap detector)
 * with `{ symbol, reason }`. A symbol already being re-anchored answers `locked` (not an error): the
 * request is coalesced into the pending one. REST calls go through the IP's shared limiter in Redis
 * (ADR 0075): a re-anchor told to wait briefly waits; a longer wait answers `deferred` (not an error,
 * so Lambda does not retry into a ban) and the gap detector asks again while the book is stale.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
} from '../../core/config/environment-names.ts';
import { SYMBOL_PATTERN } from '../../core/market/venue-endpoints.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { s3Client } from '../shared/aws-clients.ts';
import { BinanceRestClient } from '../shared/binance/binance-rest-client.ts';
import { RedisRestLimiter, restLimitScope } from '../shared/binance/redis-rest-limiter.ts';
import { S3BronzeWriter } from '../shared/bronze/s3-bronze-writer.ts';
import { RedisBookAnchoring } from '../shared/redis/redis-book-anchoring.ts';
import { connectConfiguredRedis } from '../shared/redis/redis-connection.ts';
import { lambdaEnvironment, parseEnvironment } from '../shared/runtime-config.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { ArchivingSnapshotSource } from './archiving-snapshot-source.ts';
import { ReAnchor, type ReAnchorResult } from './re-anchor.ts';

const logger = serviceLogger('re-anchor');
const metrics = new Metrics({ serviceName: 're-anchor' });
const config = parseEnvironment(
  lambdaEnvironment.extend({ [BRONZE_BUCKET]: z.string().min(3) }),
  process.env,
);
const bucket = config[BRONZE_BUCKET];
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };
const redis = await connectConfiguredRedis(config[REDIS_URL], config[REDIS_AUTH_SECRET_ARN], aws);
const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
// Every snapshot a book is anchored on goes to bronze too, so the book can be rebuilt offline.
const limiter = new RedisRestLimiter(redis, { scope: restLimitScope(config[BINANCE_REST_URL]) });
const snapshots = new ArchivingSnapshotSource(
  new BinanceRestClient(config[BINANCE_REST_URL], 10_000, undefined, limiter),
  new S3BronzeWriter(s3Client(aws), bucket),
  nowUs,
  (error, key) => {
    logger.error('snapshot not archived to bronze', { key, error: String(error) });
    metrics.addMetric('SnapshotArchiveFailures', MetricUnit.Count, 1);
  },
);
const reanchor = new ReAnchor({
  anchoring: new RedisBookAnchoring(redis),
  decoder: new WasmSbeDecoder(new URL('./sbe_decoder.wasm', import.meta.url)),
  snapshots,
  nowUs,
  limiter,
});
/** A deferral this short is waited out inside the invocation (the function's timeout is far longer). */
const MAX_WAIT_IN_INVOCATION_MS = 15_000;

const event = z.object({ symbol: z.string().regex(SYMBOL_PATTERN), reason: z.string().optional() });

export async function handler(input: unknown): Promise<Omit<ReAnchorResult, 'error'> & { error?: string }> {
  const { symbol, reason } = event.parse(input);
  let result = await reanchor.run(symbol);
  if (result.status === 'deferred' && result.retryAfterMs <= MAX_WAIT_IN_INVOCATION_MS) {
    const waitMs = result.retryAfterMs;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    result = await reanchor.run(symbol);
  }
  // The snapshot's bronze write ran alongside the swap; Lambda may freeze the process once we return.
  await snapshots.flush();
  metrics.addMetric(`Reanchor_${result.status}`, MetricUnit.Count, 1);
  if (result.status === 'deferred')
    metrics.addMetric(`ReanchorDeferred_${result.reason}`, MetricUnit.Count, 1);
  if (result.status === 'swapped') {
    metrics.addMetric('ReanchorDuration', MetricUnit.Milliseconds, result.durationMs);
    metrics.addMetric('ReanchorSwap', MetricUnit.Milliseconds, result.swapMs);
    metrics.addMetric('ReanchorSwapServer', MetricUnit.Milliseconds, result.swapServerMs);
  }
  metrics.publishStoredMetrics();
  if (result.status === 'failed') {
    logger.error('re-anchor failed', { symbol, reason, error: result.error.message });
    // Thrown so Lambda's asynchronous retries (and the gap detector) try again.
    throw result.error;
  }
  logger.info('re-anchor finished', { ...result, reason });
  return result;
}
