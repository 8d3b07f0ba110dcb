/**
 * One ioredis connection per process: `redis://` locally, `rediss://` (TLS) with the AUTH token
 * from Secrets Manager on ElastiCache. Built once at module scope by each handler.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import { type AwsClientOptions, secretsManagerClient } from '../aws-clients.ts';

export async function redisAuthToken(secrets: SecretsManagerClient, secretArn: string): Promise<string> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`Secret ${secretArn} has no string value.`);
  try {
    const parsed = JSON.parse(SecretString) as { token?: unknown };
    if (typeof parsed.token === 'string') return parsed.token;
  } catch {
    // Not JSON: the secret is the token itself.
  }
  return SecretString;
}

export function connectRedis(url: string, authToken?: string): Redis {
  return new Redis(url, {
    ...(authToken ? { password: authToken } : {}),
    ...(url.startsWith('rediss://') ? { tls: {} } : {}),
    // Fail a command fast when Redis is away: the Kinesis batch is then retried as a whole.
    maxRetriesPerRequest: 2,
    enableAutoPipelining: false,
  });
}

/** The connection every entry point makes: the AUTH token from Secrets Manager when a secret is configured. */
export async function connectConfiguredRedis(
  url: string,
  authSecretArn: string | undefined,
  aws: AwsClientOptions,
): Promise<Redis> {
  return connectRedis(
    url,
    authSecretArn ? await redisAuthToken(secretsManagerClient(aws), authSecretArn) : undefined,
  );
}
