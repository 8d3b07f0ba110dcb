/**
 * BookAnchoring on Redis: the lock is `SET NX PX` holding a token from INCR on the fence key; the
 * temporary book shares the symbol's hash tag and expires on its own; the swap and the release are
 * Lua scripts (./hot-state-scripts.ts). Keys: core/hot-state/keys.ts.
 */
import type { Redis } from 'ioredis';
import type { Level } from '../../../core/book/order-book.ts';
import { type BookSideKeys, symbolKeys } from '../../../core/hot-state/keys.ts';
import type {
  BookAnchoring,
  BookStatus,
  DiffLogEntry,
  SwapOutcome,
  SwapRequest,
} from '../../re-anchor/book-anchoring.ts';
import { RELEASE_LOCK, SWAP_BOOK } from './hot-state-scripts.ts';
import type { ScriptArg } from './named-script.ts';

/** Members per ZADD/HSET call when writing the temporary book: bounded command size. */
const WRITE_CHUNK = 1000;
/** Temporary keys outlive the lock a little, then expire on their own. */
const TEMP_TTL_MS = 60_000;

interface Commands {
  reanchorSwap(...args: ScriptArg[]): Promise<(string | number)[]>;
  reanchorRelease(key: string, token: string): Promise<number>;
}

export class RedisBookAnchoring implements BookAnchoring {
  private readonly redis: Redis & Commands;

  constructor(redis: Redis) {
    redis.defineCommand('reanchorSwap', { numberOfKeys: SWAP_BOOK.numberOfKeys, lua: SWAP_BOOK.lua });
    redis.defineCommand('reanchorRelease', { numberOfKeys: 1, lua: RELEASE_LOCK });
    this.redis = redis as Redis & Commands;
  }

  async lock(symbol: string, ttlMs: number): Promise<string | undefined> {
    const k = symbolKeys(symbol);
    const token = String(await this.redis.incr(k.reanchorFence));
    const locked = await this.redis.set(k.reanchorLock, token, 'PX', ttlMs, 'NX');
    return locked === 'OK' ? token : undefined;
  }

  async release(symbol: string, token: string): Promise<void> {
    await this.redis.reanchorRelease(symbolKeys(symbol).reanchorLock, token);
  }

  async bookStatus(symbol: string): Promise<BookStatus> {
    const k = symbolKeys(symbol);
    const replies = (await this.redis
      .multi()
      .hmget(k.meta, 'epoch', 'stale', 'updateId')
      .get(k.featureState)
      .exec()) as [[null, (string | null)[]], [null, string | null]];
    const [[, [epoch, stale, updateId]], [, featureState]] = replies;
    return {
      anchored: Number(epoch ?? 0) > 0,
      stale: Boolean(stale),
      updateId: Number(updateId ?? 0),
      featureState,
    };
  }

  async diffLog(symbol: string, afterId?: string): Promise<DiffLogEntry[]> {
    const raw = await this.redis.xrangeBuffer(symbolKeys(symbol).diffs, afterId ? `(${afterId}` : '-', '+');
    const entries: DiffLogEntry[] = [];
    for (const [id, fields] of raw) {
      const frame = fields[fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'f') + 1];
      if (frame) entries.push({ id: id.toString(), frame });
    }
    return entries;
  }

  /** In bounded chunks, one round trip. */
  async writeTemporary(
    symbol: string,
    token: string,
    bids: readonly Level[],
    asks: readonly Level[],
  ): Promise<void> {
    const temp = symbolKeys(symbol).temporary(token);
    const pipeline = this.redis.pipeline();
    for (const [levels, zset, qty] of [
      [bids, temp.bids, temp.bidQty],
      [asks, temp.asks, temp.askQty],
    ] as const) {
      for (let i = 0; i < levels.length; i += WRITE_CHUNK) {
        const chunk = levels.slice(i, i + WRITE_CHUNK);
        const present = chunk.filter(([, q]) => q !== 0);
        const removed = chunk.filter(([, q]) => q === 0).map(([p]) => p);
        if (present.length > 0) {
          pipeline.zadd(zset, ...present.flatMap(([p]) => [p, p]));
          pipeline.hset(qty, ...present.flat());
        }
        if (removed.length > 0) {
          pipeline.zrem(zset, ...removed);
          pipeline.hdel(qty, ...removed.map(String));
        }
      }
      pipeline.pexpire(zset, TEMP_TTL_MS);
      pipeline.pexpire(qty, TEMP_TTL_MS);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async deleteTemporary(symbol: string, token: string): Promise<void> {
    const temp = symbolKeys(symbol).temporary(token);
    await this.redis.del(temp.bids, temp.asks, temp.bidQty, temp.askQty);
  }

  async dropRetired(symbol: string, token: string): Promise<void> {
    const retired = symbolKeys(symbol).retired(token);
    await this.redis.unlink(retired.bids, retired.asks, retired.bidQty, retired.askQty);
  }

  async swap(symbol: string, token: string, r: SwapRequest): Promise<SwapOutcome> {
    const k = symbolKeys(symbol);
    const reply = await this.redis.reanchorSwap(
      ...SWAP_BOOK.args(
        { ...k, ...prefixed('tmp', k.temporary(token)), ...prefixed('retired', k.retired(token)) },
        {
          token,
          lastLogId: r.lastLogId,
          updateId: r.updateId,
          eventTimeUs: r.eventTimeUs,
          nowUs: r.nowUs,
          featureStateJson: r.featureStateJson,
          retiredTtlMs: TEMP_TTL_MS,
        },
      ),
    );
    if (reply[0] === -1) return { status: 'lost-lock' };
    if (reply[0] === 0) return { status: 'diffs-arrived', newestLogId: String(reply[1]) };
    return { status: 'swapped', epoch: Number(reply[1]), serverMs: Number(reply[2]) / 1000 };
  }
}

type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}${Capitalize<K>}`]: T[K] };

/** `{ bids, asks, … }` → `{ tmpBids, tmpAsks, … }`: the swap script's names for a copy of the book. */
function prefixed<P extends string>(prefix: P, keys: BookSideKeys): Prefixed<P, BookSideKeys> {
  return Object.fromEntries(
    Object.entries(keys).map(([name, key]) => [`${prefix}${name[0]?.toUpperCase()}${name.slice(1)}`, key]),
  ) as Prefixed<P, BookSideKeys>;
}
