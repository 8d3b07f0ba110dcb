/**
 * The ingestor composed once: its Kinesis client (AWS, or an emulator by endpoint override) and the
 * service, used by the Fargate entry point (main.ts) and by the local runtime's ingestor thread, so
 * both run the same wiring.
 */
import { kinesisClient } from '../../lambdas/shared/aws-clients.ts';
import { type IngestorOptions, SbeIngestor } from './sbe-ingestor.ts';

export interface IngestorComposition extends Omit<IngestorOptions, 'kinesis'> {
  /** Where Kinesis is: the region, and an endpoint for an emulator or LocalStack. */
  aws: { region: string; endpoint?: string | undefined };
}

export function composeIngestor(o: IngestorComposition): SbeIngestor {
  const { aws, ...options } = o;
  return new SbeIngestor({ ...options, kinesis: kinesisClient(aws) });
}
