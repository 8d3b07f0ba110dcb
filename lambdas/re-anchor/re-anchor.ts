/**
 * Rebuilds a symbol's book in Redis without readers ever seeing a partial, empty or crossed book:
 * 1. take the lock (`SET NX PX`, value = a fencing token from INCR), so one re-anchor runs per symbol;
 * 2. fetch a REST depth snapshot and sync it with the logged diffs by Binance's rule
 *    (core/book/sync-from-snapshot.ts), fetching a newer snapshot if the log does not connect;
 * 3. write the book into temporary keys that share the symbol's hash tag (with a TTL, so a crash
 *    leaves nothing behind for long);
 * 4. swap them in with one script that checks the token (a re-anchor whose lock expired cannot
 *    overwrite a newer one) and that no diff arrived since the replay (else catch up and retry);
 * 5. on failure delete the temporary keys and release the lock.
 * With a shared REST limiter it never asks while any caller of the IP was told to back off (429, 418),
 * and it picks the snapshot's depth within the minute's remaining weight (core/rate-limit/
 * snapshot-depth.ts); when none fits it answers `deferred` with the wait, sending nothing.
 * While the book was stale or absent nobody fed the feature state, so the re-anchor advances it
 * through the diffs it replays above the snapshot and swaps it in with the book: the features then
 * follow the book's true history, as an offline replay of bronze computes them (ADR 0030).
 */
import type { Redis } from 'ioredis';
import type { BookDiff, Level, OrderBook } from '../../core/book/order-book.ts';
import { syncFromSnapshot } from '../../core/book/sync-from-snapshot.ts';
import { bookTopFromSides } from '../../core/features/book-top.ts';
import { FeatureState } from '../../core/features/feature-state.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import {
  RequestDeferredError,
  type RestLimiter,
  type RestRefusal,
} from '../../core/rate-limit/rest-limiter.ts';
import { chooseSnapshotDepth } from '../../core/rate-limit/snapshot-depth.ts';
import { Field, LEVEL_STRIDE, Status, TemplateId } from '../../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { field } from '../../core/sbe/decoded-batch.ts';
import { type DepthSnapshot, RateLimitedError } from '../shared/binance/binance-rest-client.ts';
import { RELEASE_LOCK, SWAP_BOOK } from '../shared/redis/hot-state-scripts.ts';

export interface SnapshotSource {
  depth(symbol: string, limit: number): Promise<DepthSnapshot>;
}

export interface ReAnchorOptions {
  redis: Redis;
  decoder: SbeBatchDecoder;
  snapshots: SnapshotSource;
  /** Wall clock in µs (timestamps only). */
  nowUs: () => number;
  /** @default 30_000: far above a re-anchor's ~100 ms, short enough that a dead one frees the symbol soon */
  lockTtlMs?: number;
  /**
   * The deepest REST depth limit to ask for: 5000 (weight 250) is the deepest view Binance serves.
   * With a limiter, shallower when the minute's budget is short. @default 5000
   */
  snapshotLimit?: number;
  /** The IP's shared REST budget and Retry-After gate (every REST caller's). */
  limiter?: RestLimiter;
  /** Wall clock in ms for the limiter. @default Date.now */
  nowMs?: () => number;
  /** Snapshots fetched before giving up when the log does not connect to them. @default 5 */
  maxSnapshots?: number;
  /** Wait before fetching a newer snapshot (the missing diffs need time to be superseded). @default 250 */
  snapshotRetryMs?: number;
  /** Catch-up rounds when diffs keep arriving between replay and swap. @default 20 */
  maxCatchUps?: number;
}

export type ReAnchorResult =
  | {
      status: 'swapped';
      symbol: string;
      updateId: number;
      epoch: number;
      levels: number;
      replayed: number;
      catchUps: number;
      snapshots: number;
      /** The depth limit of the snapshot the book was built on. */
      snapshotLimit: number;
      durationMs: number;
      /** The swap as the caller waits for it: one round trip to Redis and the script. */
      swapMs: number;
      /** The script alone, by Redis' clock: how long the swap held Redis (readers wait that long). */
      swapServerMs: number;
    }
  | { status: 'locked'; symbol: string }
  /** Nothing was sent: REST said back off, or the minute's shared budget is spent. */
  | { status: 'deferred'; symbol: string; reason: RestRefusal; retryAfterMs: number }
  | { status: 'lost-lock'; symbol: string }
  | { status: 'failed'; symbol: string; error: Error };

export class ReAnchorError extends Error {
  override readonly name = 'ReAnchorError';
}

/** Members per ZADD/HSET call when writing the temporary book: bounded command size. */
const WRITE_CHUNK = 1000;
/** Temporary keys outlive the lock a little, then expire on their own. */
const TEMP_TTL_MS = 60_000;

/** One diff of the log, decoded, with what the feature state needs of its frame. */
interface LogEntry {
  id: string;
  timeUs: number;
  priceExponent: number;
  qtyExponent: number;
  diff: BookDiff;
}

interface FeatureFeed {
  /** The feature state as the aggregator left it (JSON), or null before any. */
  state: string | null;
  /** Diffs up to this update id were fed by the aggregator already. */
  fedThroughId: number;
}

/** Feeds the book's top after `entry` to the feature state, unless the aggregator fed that diff. */
function feedFeatures(features: FeatureState, fedThroughId: number, book: OrderBook, entry: LogEntry): void {
  if (entry.diff.lastUpdateId <= fedThroughId) return;
  features.onBookTop(
    bookTopFromSides(book.bids, book.asks, entry.priceExponent, entry.qtyExponent),
    entry.timeUs,
  );
}

interface Commands {
  reanchorSwap(...args: (string | number)[]): Promise<(string | number)[]>;
  reanchorRelease(key: string, token: string): Promise<number>;
}

export class ReAnchor {
  private readonly redis: Redis & Commands;

  constructor(private readonly o: ReAnchorOptions) {
    o.redis.defineCommand('reanchorSwap', { numberOfKeys: 12, lua: SWAP_BOOK });
    o.redis.defineCommand('reanchorRelease', { numberOfKeys: 1, lua: RELEASE_LOCK });
    this.redis = o.redis as Redis & Commands;
  }

  async run(symbol: string): Promise<ReAnchorResult> {
    const started = performance.now();
    const k = symbolKeys(symbol);
    const token = String(await this.redis.incr(`${k.reanchorLock}:fence`));
    const locked = await this.redis.set(k.reanchorLock, token, 'PX', this.o.lockTtlMs ?? 30_000, 'NX');
    if (locked !== 'OK') return { status: 'locked', symbol };
    const temp = k.temporary(token);
    try {
      const feed = await this.featureFeed(symbol);
      let { book, lastLogId, replayed, snapshots, snapshotLimit, features, lastTimeUs } =
        await this.syncedBook(symbol, feed);
      await this.writeTemporary(temp, book);
      for (let catchUps = 0; catchUps <= (this.o.maxCatchUps ?? 20); catchUps++) {
        if (book.isCrossed())
          throw new ReAnchorError(`The rebuilt ${symbol} book is crossed at ${book.updateId}.`);
        // Everything the call needs is made before the clock starts: swapMs is the round trip alone.
        const featureJson = features ? JSON.stringify(features.toJSON()) : '';
        const nowUs = this.o.nowUs();
        const swapStarted = performance.now();
        const reply = await this.redis.reanchorSwap(
          k.meta,
          k.bids,
          k.asks,
          k.bidQty,
          k.askQty,
          temp.bids,
          temp.asks,
          temp.bidQty,
          temp.askQty,
          k.diffs,
          k.reanchorLock,
          k.featureState,
          token,
          lastLogId,
          book.updateId,
          lastTimeUs,
          nowUs,
          featureJson,
        );
        const swapMs = performance.now() - swapStarted;
        if (reply[0] === -1) {
          await this.deleteTemporary(temp);
          return { status: 'lost-lock', symbol };
        }
        if (reply[0] === 1) {
          return {
            status: 'swapped',
            symbol,
            updateId: book.updateId,
            epoch: Number(reply[1]),
            levels: book.bids.size + book.asks.size,
            replayed,
            catchUps,
            snapshots,
            snapshotLimit,
            durationMs: performance.now() - started,
            swapMs,
            swapServerMs: Number(reply[2]) / 1000,
          };
        }
        // Diffs arrived after the replay: apply them to the book and the temporary keys, then retry.
        const newer = await this.readLog(k.diffs, `(${lastLogId}`);
        const bids = new Map<number, number>();
        const asks = new Map<number, number>();
        newer.entries.sort((a, b) => a.diff.firstUpdateId - b.diff.firstUpdateId);
        for (const entry of newer.entries) {
          const { diff } = entry;
          const verdict = book.apply(diff);
          if (verdict === 'gap') {
            throw new ReAnchorError(`A diff is missing after ${book.updateId} while catching up ${symbol}.`);
          }
          if (verdict !== 'apply') continue;
          replayed++;
          lastTimeUs = entry.timeUs;
          if (features && feed) feedFeatures(features, feed.fedThroughId, book, entry);
          for (const [p, q] of diff.bids) bids.set(p, q);
          for (const [p, q] of diff.asks) asks.set(p, q);
        }
        await this.writeLevels(temp, [...bids], [...asks]);
        lastLogId = newer.lastId ?? lastLogId;
      }
      throw new ReAnchorError(`Diffs kept arriving faster than ${symbol} could be swapped in.`);
    } catch (error) {
      await this.deleteTemporary(temp).catch(() => {});
      if (error instanceof RequestDeferredError) {
        return { status: 'deferred', symbol, reason: error.reason, retryAfterMs: error.waitMs };
      }
      if (error instanceof RateLimitedError) {
        const reason = error.status === 418 ? 'banned' : 'retry-after';
        return { status: 'deferred', symbol, reason, retryAfterMs: error.retryAfterMs };
      }
      return { status: 'failed', symbol, error: error as Error };
    } finally {
      await this.redis.reanchorRelease(k.reanchorLock, token).catch(() => {});
    }
  }

  /**
   * The feature state to advance while replaying, when the aggregator was not feeding it (the book
   * stale or absent), with the update id it was fed through; undefined when the book is live (the
   * aggregator feeds it, and a swap with diffs in between is refused anyway).
   */
  private async featureFeed(symbol: string): Promise<FeatureFeed | undefined> {
    const k = symbolKeys(symbol);
    const replies = (await this.redis
      .multi()
      .hmget(k.meta, 'epoch', 'stale', 'updateId')
      .get(k.featureState)
      .exec()) as [[null, (string | null)[]], [null, string | null]];
    const [[, [epoch, stale, updateId]], [, state]] = replies;
    const anchored = Number(epoch ?? 0) > 0;
    if (anchored && !stale) return undefined;
    return { state, fedThroughId: anchored ? Number(updateId ?? 0) : 0 };
  }

  /** A snapshot synced with the whole diff log, fetching newer snapshots while they do not connect. */
  private async syncedBook(symbol: string, feed: FeatureFeed | undefined) {
    const k = symbolKeys(symbol);
    const attempts = this.o.maxSnapshots ?? 5;
    for (let snapshots = 1; snapshots <= attempts; snapshots++) {
      const snapshotLimit = await this.snapshotLimit();
      const snapshot = await this.o.snapshots.depth(symbol, snapshotLimit);
      const log = await this.readLog(k.diffs, '-');
      // In update-id order: a delivery that swapped two diffs is not a hole.
      const entries = [...log.entries].sort((a, b) => a.diff.firstUpdateId - b.diff.firstUpdateId);
      // A fresh copy per attempt: a snapshot that does not connect must leave no trace in it.
      const features =
        feed && (feed.state ? FeatureState.fromJSON(JSON.parse(feed.state)) : new FeatureState());
      let lastTimeUs = 0;
      const outcome = syncFromSnapshot(
        snapshot,
        entries.map((e) => e.diff),
        (book, i) => {
          const entry = entries[i] as LogEntry;
          lastTimeUs = entry.timeUs;
          if (features && feed) feedFeatures(features, feed.fedThroughId, book, entry);
        },
      );
      if (outcome.status === 'synced') {
        return {
          book: outcome.book,
          lastLogId: log.lastId ?? '0-0',
          replayed: outcome.applied,
          snapshots,
          snapshotLimit,
          features,
          lastTimeUs,
        };
      }
      await new Promise((r) => setTimeout(r, this.o.snapshotRetryMs ?? 250));
    }
    throw new ReAnchorError(`No ${symbol} snapshot connected with the diff log after ${attempts} attempts.`);
  }

  /**
   * The deepest snapshot the IP's remaining weight allows this minute; throws RequestDeferredError
   * (nothing sent) while REST said back off or when no depth fits.
   */
  private async snapshotLimit(): Promise<number> {
    const deepest = this.o.snapshotLimit ?? 5000;
    const limiter = this.o.limiter;
    if (!limiter) return deepest;
    const status = await limiter.status((this.o.nowMs ?? Date.now)());
    if (status.blockedForMs > 0) {
      const reason = status.blockedBy === 418 ? 'banned' : 'retry-after';
      throw new RequestDeferredError(reason, status.blockedForMs, '/api/v3/depth');
    }
    const depth = chooseSnapshotDepth(status.usedWeight, status.allowance, deepest);
    if (!depth) throw new RequestDeferredError('weight-budget', status.msUntilReset, '/api/v3/depth');
    return depth.limit;
  }

  /** Diff-log entries from `start` (XRANGE syntax), decoded to book diffs. */
  private async readLog(key: string, start: string): Promise<{ entries: LogEntry[]; lastId?: string }> {
    const raw = await this.redis.xrangeBuffer(key, start, '+');
    const entries: LogEntry[] = [];
    for (const [idBuffer, fields] of raw) {
      const frame = fields[fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'f') + 1];
      if (!frame) continue;
      const batch = this.o.decoder.decodeFrame(frame);
      if (
        field(batch, 0, Field.Status) !== Status.Ok ||
        field(batch, 0, Field.TemplateId) !== TemplateId.DepthDiff
      ) {
        continue;
      }
      const start = field(batch, 0, Field.EntryStart);
      const bidCount = field(batch, 0, Field.BidCount);
      const askCount = field(batch, 0, Field.AskCount);
      const level = (j: number): Level => [
        batch.levels[j * LEVEL_STRIDE] as number,
        batch.levels[j * LEVEL_STRIDE + 1] as number,
      ];
      entries.push({
        id: idBuffer.toString(),
        timeUs: field(batch, 0, Field.EventTimeUs),
        priceExponent: field(batch, 0, Field.PriceExponent),
        qtyExponent: field(batch, 0, Field.QtyExponent),
        diff: {
          firstUpdateId: field(batch, 0, Field.FirstUpdateId),
          lastUpdateId: field(batch, 0, Field.LastUpdateId),
          bids: Array.from({ length: bidCount }, (_, j) => level(start + j)),
          asks: Array.from({ length: askCount }, (_, j) => level(start + bidCount + j)),
        },
      });
    }
    return { entries, lastId: raw.at(-1)?.[0].toString() };
  }

  private async writeTemporary(
    temp: ReturnType<ReturnType<typeof symbolKeys>['temporary']>,
    book: OrderBook,
  ) {
    await this.deleteTemporary(temp);
    await this.writeLevels(temp, book.bids.top(book.bids.size), book.asks.top(book.asks.size));
  }

  /** Sets levels (qty 0 removes) in the temporary keys, in bounded chunks, one round trip. */
  private async writeLevels(
    temp: ReturnType<ReturnType<typeof symbolKeys>['temporary']>,
    bids: readonly Level[],
    asks: readonly Level[],
  ): Promise<void> {
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
          pipeline.hset(qty, ...present.flatMap(([p, q]) => [p, q]));
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

  private async deleteTemporary(temp: ReturnType<ReturnType<typeof symbolKeys>['temporary']>): Promise<void> {
    await this.redis.del(temp.bids, temp.asks, temp.bidQty, temp.askQty);
  }
}
