/**
 * Lambda entry of the raw-stream archiver (Kinesis event source on the three market streams):
 * clients and the WASM decoder at module scope, EMF metrics through Powertools. Firehose with a
 * transform Lambda is the AWS-native alternative (docs/adr/0040-rest-poller-and-bronze.md).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { AWS_ENDPOINT_URL, AWS_REGION, BRONZE_BUCKET } from '../../core/config/environment-names.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { s3Client } from '../shared/aws-clients.ts';
import { S3BronzeWriter } from '../shared/bronze/s3-bronze-writer.ts';
import { awsVariables, parseEnvironment } from '../shared/runtime-config.ts';
import { serviceLogger } from '../shared/service-logger.ts';
import { createStreamArchiverHandler } from './handler.ts';
import { StreamArchiver } from './stream-archiver.ts';

const environment = z.object({
  [BRONZE_BUCKET]: z.string().min(3),
  ...awsVariables,
});
const config = parseEnvironment(environment, process.env);
const logger = serviceLogger('stream-archiver');
const metrics = new Metrics({ serviceName: 'stream-archiver' });
const s3 = s3Client({ region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] });
const archiver = new StreamArchiver({
  writer: new S3BronzeWriter(s3, config[BRONZE_BUCKET]),
  // The bundle ships the module next to index.mjs (PipelineFunction's bundledAssets).
  decoder: new WasmSbeDecoder(new URL('./sbe_decoder.wasm', import.meta.url)),
});

export const handler = createStreamArchiverHandler({
  archiver,
  log: (level, message, fields) => logger[level](message, fields ?? {}),
  record(outcome, stream) {
    metrics.addDimension('stream', stream);
    metrics.addMetric('ArchivedFrames', MetricUnit.Count, outcome.frames);
    metrics.addMetric('ArchivedObjects', MetricUnit.Count, outcome.objects.length);
    metrics.addMetric('UndecodableFrames', MetricUnit.Count, outcome.undecodable);
    metrics.publishStoredMetrics();
  },
});
