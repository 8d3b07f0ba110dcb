/**
 * Fargate entry point of the SBE ingestor: parse config, build clients once, run until SIGTERM
 * (ECS sends it on deploys and scale-in), then stop reading, flush to Kinesis and exit.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BINANCE_API_KEY,
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_WS_URL,
  HTTP_HOST,
  HTTP_PORT,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { secretsManagerClient } from '../../lambdas/shared/aws-clients.ts';
import { PrometheusEmfBridge } from '../../lambdas/shared/emf/prometheus-emf-bridge.ts';
import { serviceLogger } from '../../lambdas/shared/service-logger.ts';
import { loadApiKey } from './api-key.ts';
import { composeIngestor } from './compose.ts';
import { parseIngestorConfig } from './config.ts';
import { startHealthServer } from './health-server.ts';

const logger = serviceLogger('sbe-ingestor');
const config = parseIngestorConfig(process.env);
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };

const apiKey = await loadApiKey(config[BINANCE_API_KEY], config[BINANCE_API_KEY_SECRET_ARN], () =>
  secretsManagerClient(aws),
);
const ingestor = composeIngestor({
  wsBaseUrl: config[BINANCE_WS_URL],
  apiKey,
  symbols: config[SYMBOLS],
  aws,
  streamNames: {
    trade: config[STREAM_TRADE],
    bestbidask: config[STREAM_BESTBIDASK],
    depth: config[STREAM_DEPTH],
  },
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  onGap: (event) => logger.info('gap event', { ...event }),
});
const server = await startHealthServer(ingestor, config[HTTP_PORT], config[HTTP_HOST]);
// CloudWatch sees the Prometheus counters as EMF once a minute (alarms on gaps, decode errors, overflow).
const emf = new PrometheusEmfBridge(ingestor.metrics.registry, new Metrics({ serviceName: 'sbe-ingestor' }), [
  { prometheus: 'ingestor_sbe_messages_total', emf: 'Frames', unit: MetricUnit.Count, byLabel: 'stream' },
  { prometheus: 'ingestor_sbe_decode_errors_total', emf: 'DecodeErrors', unit: MetricUnit.Count },
  {
    prometheus: 'ingestor_sbe_sequence_gaps_total',
    emf: 'SequenceGaps',
    unit: MetricUnit.Count,
    byLabel: 'reason',
  },
  {
    prometheus: 'ingestor_buffer_overflow_frames_total',
    emf: 'BufferOverflowFrames',
    unit: MetricUnit.Count,
  },
  { prometheus: 'ingestor_kinesis_records_put_total', emf: 'KinesisRecordsPut', unit: MetricUnit.Count },
  { prometheus: 'ingestor_kinesis_put_failures_total', emf: 'KinesisPutFailures', unit: MetricUnit.Count },
  {
    prometheus: 'ingestor_ws_reconnects_total',
    emf: 'Reconnects',
    unit: MetricUnit.Count,
    byLabel: 'reason',
  },
  { prometheus: 'ingestor_buffer_bytes', emf: 'BufferedBytes', unit: MetricUnit.Bytes },
]);
emf.start();
await ingestor.start();
logger.info('sbe-ingestor running', { symbols: config[SYMBOLS], port: config[HTTP_PORT] });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: flushing to Kinesis', { signal });
    const flushed = await ingestor.stop();
    await emf.stop();
    server.close();
    logger.info('stopped', { flushed });
    process.exit(flushed ? 0 : 1);
  });
}
