/**
 * How every entry point connects to Redis: the AUTH token read from Secrets Manager (JSON `{token}`
 * or the raw string), and without a secret a plain connection to the real local Redis. Secrets
 * Manager is mocked: no emulator for it runs here.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { connectConfiguredRedis, redisAuthToken } from '../../lambdas/shared/redis/redis-connection.ts';

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

describe('Redis connection', () => {
  it('reads the AUTH token from a JSON secret or a raw one, and refuses an empty secret', async () => {
    const client = new SecretsManagerClient({ region: 'ap-northeast-1' });
    secrets.on(GetSecretValueCommand, { SecretId: 'json' }).resolves({ SecretString: '{"token":"t0k"}' });
    secrets.on(GetSecretValueCommand, { SecretId: 'raw' }).resolves({ SecretString: 'raw-token' });
    secrets.on(GetSecretValueCommand, { SecretId: 'empty' }).resolves({});
    expect(await redisAuthToken(client, 'json')).toBe('t0k');
    expect(await redisAuthToken(client, 'raw')).toBe('raw-token');
    await expect(redisAuthToken(client, 'empty')).rejects.toThrow(/Secret empty has no string value/);
  });

  it('connects without a secret and never asks Secrets Manager', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = await connectConfiguredRedis(url, undefined, { region: 'ap-northeast-1' });
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(secrets.calls()).toHaveLength(0);
    } finally {
      await redis.quit();
    }
  });
});
