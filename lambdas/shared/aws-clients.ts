/**
 * AWS SDK v3 clients built the same way everywhere: in AWS they use the defaults; locally, on
 * LocalStack or against the embedded emulators, `endpoint` (AWS_ENDPOINT_URL) overrides the service
 * address. A plain-http endpoint gets the HTTP/1.1 handler: the v3 Kinesis client otherwise speaks
 * HTTP/2, which kinesalite does not.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsClientOptions {
  region: string;
  /** AWS_ENDPOINT_URL: LocalStack, kinesalite or s3rver. */
  endpoint?: string;
}

/** Emulators accept any credentials; real AWS resolves them from the environment or the role. */
function localOverrides(o: AwsClientOptions) {
  if (!o.endpoint) return {};
  return {
    endpoint: o.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(o.endpoint.startsWith('http:') ? { requestHandler: new NodeHttpHandler() } : {}),
  };
}

export function kinesisClient(o: AwsClientOptions): KinesisClient {
  return new KinesisClient({ region: o.region, ...localOverrides(o) });
}

export function s3Client(o: AwsClientOptions): S3Client {
  // Path-style addressing: emulators serve buckets under the path, not as subdomains.
  return new S3Client({ region: o.region, forcePathStyle: Boolean(o.endpoint), ...localOverrides(o) });
}

export function secretsManagerClient(o: AwsClientOptions): SecretsManagerClient {
  return new SecretsManagerClient({ region: o.region, ...localOverrides(o) });
}
