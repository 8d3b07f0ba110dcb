/**
 * Redis for the local runtime: REDIS_URL if set, else the one on 127.0.0.1:6379, else a
 * `redis-server` started from PATH on a free port (and stopped with the run). With none of these,
 * the caller gets a clear error saying how to install it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export interface LocalRedis {
  url: string;
  /** Whether this run started the server (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: () => null,
  });
  // The probe's failure is its answer (false below), not an unhandled 'error' event.
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * redis-server beside a shell that stops it once `ownerPid` is gone: `kill -9` of the run would
 * otherwise leave it running (Linux has no parent-death signal Node can set). Exit 127: not on PATH.
 */
const SUPERVISED_REDIS = [
  'command -v redis-server >/dev/null || exit 127',
  'redis-server "$@" & redis=$!',
  "trap 'kill $redis 2>/dev/null; wait $redis; exit 0' TERM INT",
  'while kill -0 "$OWNER_PID" 2>/dev/null && kill -0 $redis 2>/dev/null; do sleep 1; done',
  'kill $redis 2>/dev/null; wait $redis',
].join('\n');

const NOT_INSTALLED =
  'No Redis is reachable on 127.0.0.1:6379 and redis-server is not on PATH: install it ' +
  '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL.';

export interface EnsureRedisOptions {
  /** The Redis tried when REDIS_URL is unset. @default redis://127.0.0.1:6379 */
  standardUrl?: string;
  /** The process whose end stops a started server. @default this process */
  ownerPid?: number;
}

export async function ensureRedis(
  env: Record<string, string | undefined>,
  options: EnsureRedisOptions = {},
): Promise<LocalRedis> {
  if (env.REDIS_URL) {
    if (await reachable(env.REDIS_URL)) return { url: env.REDIS_URL, started: false, stop: async () => {} };
    throw new RedisUnavailableError(`REDIS_URL ${env.REDIS_URL} does not answer.`);
  }
  const standard = options.standardUrl ?? 'redis://127.0.0.1:6379';
  if (await reachable(standard)) return { url: standard, started: false, stop: async () => {} };
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/bin/sh',
    [
      '-c',
      SUPERVISED_REDIS,
      'sh',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore', env: { ...process.env, OWNER_PID: String(options.ownerPid ?? process.pid) } },
  );
  let exitCode: number | null | undefined;
  child.once('error', () => {
    exitCode = null;
  });
  child.once('exit', (code) => {
    exitCode = code;
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && exitCode === undefined && !(await reachable(url)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exitCode === 127) throw new RedisUnavailableError(NOT_INSTALLED);
  if (exitCode !== undefined || !(await reachable(url))) {
    child.kill('SIGTERM');
    throw new RedisUnavailableError(`redis-server on port ${port} did not start.`);
  }
  return {
    url,
    started: true,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
