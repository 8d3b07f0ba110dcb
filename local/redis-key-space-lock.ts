/**
 * One owner per Redis key space: a local run owns its symbols' keys in its Redis database (it clears
 * them at start and writes them all along), so a second run on the same database and symbols must
 * not start beside it (both would write the same book, and each would read the other's changes as
 * its own). The lock is `localrun:owner:<SYMBOL>` (no hash tag: the run's own clearing of
 * `*{SYMBOL}*` leaves it alone), set with NX and a TTL that a heartbeat renews, so a run killed with
 * -9 frees it within LOCK_TTL_MS; a lock whose pid is dead on this host is taken over at once.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { pidAlive } from '../lambdas/shared/pid-alive.ts';

/**
 * A killed run's lock expires by itself after this long (on another host, or a reused pid; on this
 * host a dead pid's lock is taken over at once). Long, because a busy machine can block the event
 * loop for tens of seconds (PGlite compiles its WASM in about 30 s there) and miss renewals.
 */
const LOCK_TTL_MS = 120_000;
/** Renewed several times per TTL. */
const HEARTBEAT_MS = 10_000;

export class KeySpaceLockedError extends Error {
  override readonly name = 'KeySpaceLockedError';
}

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Renews the lock while the value is ours, or takes it back if it expired meanwhile (nobody else took it). */
const RENEW = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Deletes the lock if the value is still ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Replaces a dead owner's lock, if it is still that owner's. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return false`;

export interface KeySpaceLock {
  release(): Promise<void>;
}

export function keySpaceLockKey(symbol: string): string {
  return `localrun:owner:${symbol}`;
}

/**
 * Takes the key space of `symbols` in the database `redis` is on, or throws KeySpaceLockedError
 * naming the run that holds it. `where` names the database in the message (credentials removed).
 */
export async function lockKeySpace(
  redis: Redis,
  symbols: readonly string[],
  where: string,
): Promise<KeySpaceLock> {
  const mine: Owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const value = JSON.stringify(mine);
  const taken: string[] = [];
  try {
    for (const symbol of symbols) {
      const key = keySpaceLockKey(symbol);
      if ((await redis.set(key, value, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') {
        taken.push(key);
        continue;
      }
      const held = await redis.get(key);
      const owner = parseOwner(held);
      if (held !== null && owner && owner.host === mine.host && !pidAlive(owner.pid)) {
        if ((await redis.eval(TAKE_OVER, 1, key, held, value, LOCK_TTL_MS)) === 'OK') {
          taken.push(key);
          continue;
        }
      }
      const who = owner
        ? `the run with pid ${owner.pid} on ${owner.host} (started ${owner.startedAt})`
        : 'another run';
      throw new KeySpaceLockedError(
        `${symbol}'s keys in Redis ${where} belong to ${who}. Stop it, or give this run another database (REDIS_URL=redis://host:port/<db>).`,
      );
    }
  } catch (error) {
    for (const key of taken) await redis.eval(RELEASE, 1, key, value).catch(() => {});
    throw error;
  }
  const heartbeat = setInterval(() => {
    for (const key of taken) void redis.eval(RENEW, 1, key, value, LOCK_TTL_MS).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      for (const key of taken) await redis.eval(RELEASE, 1, key, value).catch(() => {});
    },
  };
}

function parseOwner(value: string | null): Owner | undefined {
  if (!value) return undefined;
  try {
    const o = JSON.parse(value) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string'
      ? { pid: o.pid, host: o.host, startedAt: String(o.startedAt ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}
