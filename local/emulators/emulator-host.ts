/**
 * Kinesis or S3 emulator in its own worker thread (started by local/emulators/emulator-thread.ts):
 * they are services of their own in AWS, and every client already reaches them over HTTP through the
 * real AWS SDK, so a thread apart keeps their request handling off the pipeline's event loops.
 */
import { hostService } from '../threads/service-host.ts';
import { startKinesisEmulator } from './kinesis-emulator.ts';
import { startS3Emulator } from './s3-emulator.ts';

export type EmulatorHostConfig =
  | { kind: 'kinesis'; region: string; streams: string[] }
  | { kind: 's3'; region: string; buckets: string[] };

hostService<EmulatorHostConfig, Record<string, never>>(async ({ config }) => {
  if (config.kind === 'kinesis') {
    const kinesis = await startKinesisEmulator(0, config.region);
    await Promise.all(config.streams.map((s) => kinesis.createStream(s)));
    return { ready: { endpoint: kinesis.endpoint }, report: () => ({}), stop: () => kinesis.close() };
  }
  const s3 = await startS3Emulator({ region: config.region, buckets: config.buckets });
  return { ready: { endpoint: s3.endpoint }, report: () => ({}), stop: () => s3.close() };
});
