/**
 * The real Redis the tests use: REDIS_URL or 127.0.0.1:6379 (.ci/run makes sure one runs). Each test
 * works on its own symbol, so its keys ({SYMBOL} hash tag) never meet another test's.
 */
import { Redis } from 'ioredis';

/**
 * `db` separates tests that must use a real symbol (BTCUSDT, from recordings) from each other and
 * from a local `npm start`, which uses database 0.
 */
export function testRedis(db = 0): Redis {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  return new Redis(url.toString(), { lazyConnect: false, maxRetriesPerRequest: 2 });
}

/** Database indexes reserved per suite (benchmarks use 15). */
export const REDIS_DB = {
  replayPipeline: 13,
  endToEnd: 12,
  dashboard: 11,
  endToEndReplay: 10,
  cliErrors: 9,
} as const;

let counter = 0;
export function uniqueSymbol(): string {
  counter++;
  return `T${process.pid}X${counter}USDT`;
}

/** Every key of a symbol (they all carry its hash tag). */
export async function keysOf(redis: Redis, symbol: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `*{${symbol}}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

export async function dropSymbol(redis: Redis, symbol: string): Promise<void> {
  const keys = await keysOf(redis, symbol);
  if (keys.length > 0) await redis.del(...keys);
}
