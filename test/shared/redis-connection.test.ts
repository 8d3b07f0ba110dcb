/**
 * How every entry point connects to Redis: the AUTH token read from Secrets Manager (JSON `{token}`
 * or the raw string), and without a secret a plain connection to the real local Redis. Secrets
 * Manager is mocked: no emulator for it runs here.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  connectConfiguredRedis,
  connectRedis,
  type RedisLog,
  redisAuthToken,
  redisOutageStats,
} from '../../lambdas/shared/redis/redis-connection.ts';

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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function redisServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child));
  });
}

describe('a Redis outage', () => {
  it('is logged once when it starts and once when it ends, every error counted, and the client recovers', async () => {
    const port = await freePort();
    let server = await redisServer(port);
    const lines: [string, string][] = [];
    const log: RedisLog = (level, message) => lines.push([level, message]);
    const unhandled = vi.spyOn(console, 'error');
    const redis = connectRedis(`redis://127.0.0.1:${port}`, undefined, log);
    try {
      await until(() => redis.status === 'ready', 'the first connection');
      // The server may take a moment to listen: refusals before then are an outage of their own.
      lines.length = 0;
      const outagesBefore = redisOutageStats(redis)?.outages ?? 0;
      const stopped = new Promise((r) => server.once('exit', r));
      server.kill('SIGKILL');
      await stopped;
      // Reconnection attempts fail one after another while the server is away.
      await until(() => (redisOutageStats(redis)?.errors ?? 0) >= 3, 'three failed reconnects');
      server = await redisServer(port);
      await until(() => redis.status === 'ready', 'the reconnection');
      expect(await redis.ping()).toBe('PONG');
      expect(lines).toEqual([
        ['warn', 'Redis connection lost; reconnecting'],
        ['info', 'Redis connection restored'],
      ]);
      expect(redisOutageStats(redis)).toMatchObject({ outages: outagesBefore + 1, down: false });
      expect(unhandled.mock.calls.filter((c) => String(c[0]).includes('Unhandled error event'))).toEqual([]);
    } finally {
      unhandled.mockRestore();
      redis.disconnect();
      server.kill('SIGKILL');
    }
  });
});
