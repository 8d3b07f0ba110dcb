/**
 * The local runtime's own redis-server: started when no Redis answers, stopped with the run, and
 * stopped too when the run is killed with no chance to clean up (kill -9 of its owner).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRedis, type LocalRedis, RedisUnavailableError } from '../../local/redis-server.ts';

/** A port nothing listens on: what the standard Redis looks like on a machine without one. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  // A deadline for a hung server, not a timing claim: the watchdog looks once a second.
  for (let i = 0; i < 300; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still waiting: ${what}`);
}

const started: LocalRedis[] = [];
const owners: ChildProcess[] = [];
afterEach(async () => {
  for (const owner of owners.splice(0)) owner.kill('SIGKILL');
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

describe('ensureRedis', () => {
  it('starts a redis-server when none answers, and stops it with the run', async () => {
    const standardUrl = `redis://127.0.0.1:${await closedPort()}`;
    const redis = await ensureRedis({}, { standardUrl });
    started.push(redis);
    expect(redis.started).toBe(true);
    expect(redis.url).not.toBe(standardUrl);
    expect(await answers(redis.url)).toBe(true);
    await redis.stop();
    expect(await answers(redis.url)).toBe(false);
  });

  it('stops the redis-server it started when its owner is killed with SIGKILL', async () => {
    const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
    owners.push(owner);
    const standardUrl = `redis://127.0.0.1:${await closedPort()}`;
    const redis = await ensureRedis({}, { standardUrl, ownerPid: owner.pid as number });
    started.push(redis);
    expect(await answers(redis.url)).toBe(true);
    owner.kill('SIGKILL');
    await until(async () => !(await answers(redis.url)), 'redis-server to stop after its owner died');
  });

  it('says how to install redis-server when it is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const standardUrl = `redis://127.0.0.1:${await closedPort()}`;
      await expect(ensureRedis({}, { standardUrl })).rejects.toThrow(RedisUnavailableError);
      await expect(ensureRedis({}, { standardUrl })).rejects.toThrow(/apt-get install -y redis-server/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('uses REDIS_URL when set, and names it when it does not answer', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    await expect(ensureRedis({ REDIS_URL: url })).rejects.toThrow(`REDIS_URL ${url} does not answer.`);
  });
});
