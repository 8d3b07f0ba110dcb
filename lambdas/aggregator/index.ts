/**
 * Lambda entry: composes the aggregator from the environment once per container (clients at module
 * scope), publishes EMF metrics through Powertools, invokes the re-anchor Lambda asynchronously.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
} from '../../core/config/environment-names.ts';
import { connectConfiguredRedis } from '../shared/redis/redis-connection.ts';
import { parseLambdaEnvironment } from '../shared/runtime-config.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { composeAggregator } from './compose.ts';

const logger = serviceLogger('aggregator');
const metrics = new Metrics({ serviceName: 'aggregator' });
const config = parseLambdaEnvironment(process.env);
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };
const redis = await connectConfiguredRedis(config[REDIS_URL], config[REDIS_AUTH_SECRET_ARN], aws);
const lambda = new LambdaClient({ region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) });
const reanchorFunction = config[REANCHOR_FUNCTION_NAME];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};

export const handler = composeAggregator({
  redis,
  // The bundle ships the module next to index.mjs (PipelineFunction's bundledAssets).
  wasmUrl: new URL('./sbe_decoder.wasm', import.meta.url),
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  record(outcome, arrivalLagMs, stream) {
    metrics.addDimension('stream', stream);
    metrics.addMetric('Frames', MetricUnit.Count, outcome.frames);
    metrics.addMetric('DecodeErrors', MetricUnit.Count, outcome.decodeErrors);
    metrics.addMetric('DiffsApplied', MetricUnit.Count, outcome.diffsApplied);
    metrics.addMetric('Trades', MetricUnit.Count, outcome.trades);
    metrics.addMetric('DepthChecks', MetricUnit.Count, outcome.checks);
    metrics.addMetric('DepthMismatches', MetricUnit.Count, outcome.mismatches);
    metrics.addMetric('ReanchorRequests', MetricUnit.Count, outcome.reanchorRequests.length);
    metrics.addMetric('Conflicts', MetricUnit.Count, outcome.conflicts);
    if (outcome.latenciesMs.length > 0) {
      metrics.addMetric('ExchangeToRedisP99', MetricUnit.Milliseconds, percentile(outcome.latenciesMs, 0.99));
    }
    if (arrivalLagMs.length > 0) {
      metrics.addMetric('KinesisToAggregatorMax', MetricUnit.Milliseconds, Math.max(...arrivalLagMs));
    }
    metrics.publishStoredMetrics();
  },
  async triggerReanchor(request) {
    if (!reanchorFunction) throw new Error(`${REANCHOR_FUNCTION_NAME} is not configured.`);
    await lambda.send(
      new InvokeCommand({
        FunctionName: reanchorFunction,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ symbol: request.symbol, reason: request.reason })),
      }),
    );
  },
});
