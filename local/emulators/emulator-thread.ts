/**
 * The runtime's handle on an emulator running in its own worker thread (emulator-host.ts): its
 * endpoint, a client of the real AWS SDK pointed at it, and its event-loop delay.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { kinesisClient, s3Client } from '../../lambdas/shared/aws-clients.ts';
import type { LoopDelay } from '../threads/loop-delay.ts';
import { ServiceThread } from '../threads/service-thread.ts';
import type { EmulatorHostConfig } from './emulator-host.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface EmulatorThread<Client> {
  endpoint: string;
  region: string;
  client: Client;
  readonly loopDelay: LoopDelay | undefined;
  close(): Promise<void>;
}

async function start<Client extends { destroy(): void }>(
  config: EmulatorHostConfig,
  makeClient: (o: { region: string; endpoint: string }) => Client,
  log: Log,
): Promise<EmulatorThread<Client>> {
  const thread = new ServiceThread<Record<string, never>, { endpoint: string }>(
    config.kind,
    new URL('./emulator-host.ts', import.meta.url),
    config,
    log,
  );
  const { endpoint } = await thread.ready.catch(async (e: unknown) => {
    await thread.stop().catch(() => {});
    throw e;
  });
  const client = makeClient({ region: config.region, endpoint });
  return {
    endpoint,
    region: config.region,
    client,
    get loopDelay() {
      return thread.loopDelay;
    },
    async close() {
      client.destroy();
      // An emulator that does not stop in time is terminated with its thread: the run still ends.
      await thread.stop().catch(() => {});
    },
  };
}

/** Kinesis (kinesalite) with `streams` created and ACTIVE. */
export function startKinesisThread(
  region: string,
  streams: string[],
  log: Log,
): Promise<EmulatorThread<KinesisClient>> {
  return start({ kind: 'kinesis', region, streams }, kinesisClient, log);
}

/** S3 (s3rver) with `buckets` created. */
export function startS3Thread(
  region: string,
  buckets: string[],
  log: Log,
): Promise<EmulatorThread<S3Client>> {
  return start({ kind: 's3', region, buckets }, s3Client, log);
}
