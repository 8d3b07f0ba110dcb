/**
 * One ioredis connection per process: `redis://` locally, `rediss://` (TLS) with the AUTH token
 * from Secrets Manager on ElastiCache. Built once at module scope by each handler.
 * Every connection has an `error` listener (without one, ioredis prints "Unhandled error event" with
 * a stack trace for every failed reconnect): an outage is logged once when it starts and once when
 * it ends, every error is counted (`redisOutageStats`), and ioredis keeps reconnecting meanwhile.
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

export type RedisLog = (level: 'warn' | 'info', message: string, fields: Record<string, unknown>) => void;

export interface RedisOutageStats {
  /** `error` events seen on the connection. */
  errors: number;
  /** Outages begun (the first error after the connection was ready). */
  outages: number;
  /** Whether an outage is going on now. */
  down: boolean;
}

const statsByClient = new WeakMap<Redis, RedisOutageStats>();

const defaultLog: RedisLog = (level, message, fields) =>
  console.error(JSON.stringify({ level: level.toUpperCase(), message, ...fields }));

/** Attaches the outage listener (connectRedis does it): log once per outage, count every error. */
export function watchRedisErrors(redis: Redis, log: RedisLog = defaultLog): RedisOutageStats {
  const existing = statsByClient.get(redis);
  if (existing) return existing;
  const stats: RedisOutageStats = { errors: 0, outages: 0, down: false };
  statsByClient.set(redis, stats);
  let errorsThisOutage = 0;
  redis.on('error', (error: Error) => {
    stats.errors++;
    errorsThisOutage++;
    if (stats.down) return;
    stats.down = true;
    stats.outages++;
    // The host, never the URL: it may carry credentials.
    log('warn', 'Redis connection lost; reconnecting', {
      host: redis.options.host,
      port: redis.options.port,
      error: `${error.name}: ${error.message}`,
    });
  });
  redis.on('ready', () => {
    if (!stats.down) return;
    stats.down = false;
    log('info', 'Redis connection restored', { errorsDuringOutage: errorsThisOutage });
    errorsThisOutage = 0;
  });
  return stats;
}

/** Counters of the listener connectRedis attached (undefined for a client it did not make). */
export function redisOutageStats(redis: Redis): RedisOutageStats | undefined {
  return statsByClient.get(redis);
}

export function connectRedis(url: string, authToken?: string, log?: RedisLog): Redis {
  const redis = new Redis(url, {
    ...(authToken ? { password: authToken } : {}),
    ...(url.startsWith('rediss://') ? { tls: {} } : {}),
    // Fail a command fast when Redis is away: the Kinesis batch is then retried as a whole.
    maxRetriesPerRequest: 2,
    enableAutoPipelining: false,
  });
  watchRedisErrors(redis, log);
  return redis;
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
