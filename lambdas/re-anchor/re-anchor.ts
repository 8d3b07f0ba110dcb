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
 * All of it goes through the BookAnchoring port (./book-anchoring.ts; Redis in
 * lambdas/shared/redis/redis-book-anchoring.ts).
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
import { REANCHOR_LOCK_TTL_MS } from '../../core/hot-state/reanchor-lock.ts';
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
import { RedisBookAnchoring } from '../shared/redis/redis-book-anchoring.ts';
import type { BookAnchoring } from './book-anchoring.ts';

export interface SnapshotSource {
  depth(symbol: string, limit: number): Promise<DepthSnapshot>;
  /** The last snapshot handed out for `symbol` anchored the live book, through `throughUpdateId`. */
  anchored?(symbol: string, throughUpdateId: number): void;
}

export interface ReAnchorOptions {
  /** The hot state, through its port. */
  anchoring?: BookAnchoring;
  /** Or a Redis connection to build the Redis adapter on (callers not yet passing `anchoring`). */
  redis?: Redis;
  decoder: SbeBatchDecoder;
  snapshots: SnapshotSource;
  /** Wall clock in µs (timestamps only). */
  nowUs: () => number;
  /** @default REANCHOR_LOCK_TTL_MS (core/hot-state/reanchor-lock.ts) */
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
  /** Newer snapshots taken when a diff is lost while catching up. @default 3 */
  maxResyncs?: number;
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

export class ReAnchor {
  private readonly anchoring: BookAnchoring;

  constructor(private readonly o: ReAnchorOptions) {
    if (o.anchoring) this.anchoring = o.anchoring;
    else if (o.redis) this.anchoring = new RedisBookAnchoring(o.redis);
    else throw new ReAnchorError('ReAnchor needs `anchoring` (or a `redis` connection to build it on).');
  }

  async run(symbol: string): Promise<ReAnchorResult> {
    const started = performance.now();
    const a = this.anchoring;
    const token = await a.lock(symbol, this.o.lockTtlMs ?? REANCHOR_LOCK_TTL_MS);
    if (token === undefined) return { status: 'locked', symbol };
    try {
      const feed = await this.featureFeed(symbol);
      let snapshotsTaken = 0;
      // A diff lost after the snapshot (while catching up) needs a newer snapshot, not a retry later:
      // at a high gap rate a backed-off retry would never catch up.
      sync: for (let resyncs = 0; ; resyncs++) {
        let { book, lastLogId, replayed, snapshots, snapshotLimit, features, lastTimeUs } =
          await this.syncedBook(symbol, feed);
        snapshotsTaken += snapshots;
        await a.deleteTemporary(symbol, token);
        await a.writeTemporary(symbol, token, book.bids.top(book.bids.size), book.asks.top(book.asks.size));
        for (let catchUps = 0; catchUps <= (this.o.maxCatchUps ?? 20); catchUps++) {
          if (book.isCrossed())
            throw new ReAnchorError(`The rebuilt ${symbol} book is crossed at ${book.updateId}.`);
          // Everything the call needs is made before the clock starts: swapMs is the round trip alone.
          const featureJson = features ? JSON.stringify(features.toJSON()) : '';
          const nowUs = this.o.nowUs();
          const swapStarted = performance.now();
          const outcome = await a.swap(symbol, token, {
            lastLogId,
            updateId: book.updateId,
            eventTimeUs: lastTimeUs,
            nowUs,
            featureStateJson: featureJson,
          });
          const swapMs = performance.now() - swapStarted;
          if (outcome.status === 'lost-lock') {
            await a.deleteTemporary(symbol, token);
            return { status: 'lost-lock', symbol };
          }
          if (outcome.status === 'swapped') {
            // The replaced book expires by itself if this fails: nothing to report to the caller.
            await a.dropRetired(symbol, token).catch(() => {});
            this.o.snapshots.anchored?.(symbol, book.updateId);
            return {
              status: 'swapped',
              symbol,
              updateId: book.updateId,
              epoch: outcome.epoch,
              levels: book.bids.size + book.asks.size,
              replayed,
              catchUps,
              snapshots: snapshotsTaken,
              snapshotLimit,
              durationMs: performance.now() - started,
              swapMs,
              swapServerMs: outcome.serverMs,
            };
          }
          // Diffs arrived after the replay: apply them to the book and the temporary keys, then retry.
          const newer = await this.readLog(symbol, lastLogId);
          const bids = new Map<number, number>();
          const asks = new Map<number, number>();
          newer.entries.sort((a, b) => a.diff.firstUpdateId - b.diff.firstUpdateId);
          for (const entry of newer.entries) {
            const { diff } = entry;
            const verdict = book.apply(diff);
            if (verdict === 'gap') {
              if (resyncs < (this.o.maxResyncs ?? 3)) continue sync;
              throw new ReAnchorError(
                `A diff is missing after ${book.updateId} while catching up ${symbol}.`,
              );
            }
            if (verdict !== 'apply') continue;
            replayed++;
            lastTimeUs = entry.timeUs;
            if (features && feed) feedFeatures(features, feed.fedThroughId, book, entry);
            for (const [p, q] of diff.bids) bids.set(p, q);
            for (const [p, q] of diff.asks) asks.set(p, q);
          }
          await a.writeTemporary(symbol, token, [...bids], [...asks]);
          lastLogId = newer.lastId ?? lastLogId;
        }
        throw new ReAnchorError(`Diffs kept arriving faster than ${symbol} could be swapped in.`);
      }
    } catch (error) {
      await a.deleteTemporary(symbol, token).catch(() => {});
      if (error instanceof RequestDeferredError) {
        return { status: 'deferred', symbol, reason: error.reason, retryAfterMs: error.waitMs };
      }
      if (error instanceof RateLimitedError) {
        const reason = error.status === 418 ? 'banned' : 'retry-after';
        return { status: 'deferred', symbol, reason, retryAfterMs: error.retryAfterMs };
      }
      return { status: 'failed', symbol, error: error as Error };
    } finally {
      await a.release(symbol, token).catch(() => {});
    }
  }

  /**
   * The feature state to advance while replaying, when the aggregator was not feeding it (the book
   * stale or absent), with the update id it was fed through; undefined when the book is live (the
   * aggregator feeds it, and a swap with diffs in between is refused anyway).
   */
  private async featureFeed(symbol: string): Promise<FeatureFeed | undefined> {
    const { anchored, stale, updateId, featureState } = await this.anchoring.bookStatus(symbol);
    if (anchored && !stale) return undefined;
    return { state: featureState, fedThroughId: anchored ? updateId : 0 };
  }

  /** A snapshot synced with the whole diff log, fetching newer snapshots while they do not connect. */
  private async syncedBook(symbol: string, feed: FeatureFeed | undefined) {
    const attempts = this.o.maxSnapshots ?? 5;
    for (let snapshots = 1; snapshots <= attempts; snapshots++) {
      const snapshotLimit = await this.snapshotLimit();
      const snapshot = await this.o.snapshots.depth(symbol, snapshotLimit);
      const log = await this.readLog(symbol);
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

  /** Diff-log entries after `afterId` (all without it), decoded to book diffs. */
  private async readLog(symbol: string, afterId?: string): Promise<{ entries: LogEntry[]; lastId?: string }> {
    const raw = await this.anchoring.diffLog(symbol, afterId);
    const entries: LogEntry[] = [];
    for (const { id, frame } of raw) {
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
        id,
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
    return { entries, lastId: raw.at(-1)?.id };
  }
}
