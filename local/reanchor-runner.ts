/**
 * Runs re-anchors in process for the local pipeline, as the re-anchor Lambda would be invoked in
 * AWS: one at a time per symbol, and a request that comes while one is pending joins it (coalesced,
 * counted) instead of starting another. A failed or locked attempt is retried with backoff while the
 * book stays stale (the gap detector does this in AWS); a deferred one (REST said back off, or the
 * minute's shared weight is spent) waits exactly as long as it was told, sending nothing meanwhile.
 */
import type { Redis } from 'ioredis';
import { symbolKeys } from '../core/hot-state/keys.ts';
import { type BackoffPolicy, backoffDelayMs } from '../core/retry/backoff.ts';
import type { ReAnchor, ReAnchorResult } from '../lambdas/re-anchor/re-anchor.ts';

const RETRY: BackoffPolicy = { baseMs: 200, capMs: 5000 };
/** Failed attempts before the runner gives up (the gap detector asks again while the book is stale). */
const MAX_FAILURES = 10;

export class ReanchorRunner {
  private readonly running = new Map<string, Promise<void>>();
  readonly results: ReAnchorResult[] = [];
  /** Requests that joined one already pending. */
  coalesced = 0;
  /** Waits on REST, by reason (retry-after, banned, weight-budget). */
  readonly deferred: Record<string, number> = {};
  private stopped = false;
  private readonly wake = new Set<() => void>();

  constructor(
    private readonly reanchor: ReAnchor,
    private readonly redis: Redis,
    private readonly log: (
      level: 'info' | 'warn' | 'error',
      message: string,
      fields?: Record<string, unknown>,
    ) => void,
    private readonly onResult: (result: ReAnchorResult) => void = () => {},
  ) {}

  /** Starts a re-anchor for the symbol unless one is already pending (then it joins that one). */
  request(symbol: string): void {
    if (this.stopped) return;
    if (this.running.has(symbol)) {
      this.coalesced++;
      return;
    }
    const run = this.runUntilFresh(symbol).finally(() => this.running.delete(symbol));
    this.running.set(symbol, run);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wake) wake();
    await Promise.all(this.running.values());
  }

  get swaps(): number {
    return this.results.filter((r) => r.status === 'swapped').length;
  }

  /** The last swap's result (its snapshot depth bounds what can be compared with the venue). */
  get lastSwap(): Extract<ReAnchorResult, { status: 'swapped' }> | undefined {
    for (let i = this.results.length - 1; i >= 0; i--) {
      const r = this.results[i] as ReAnchorResult;
      if (r.status === 'swapped') return r;
    }
    return undefined;
  }

  private async runUntilFresh(symbol: string): Promise<void> {
    let failures = 0;
    while (failures < MAX_FAILURES && !this.stopped) {
      const result = await this.reanchor.run(symbol);
      this.results.push(result);
      this.onResult(result);
      if (result.status === 'swapped') {
        this.log('info', 're-anchored', {
          symbol,
          updateId: result.updateId,
          levels: result.levels,
          limit: result.snapshotLimit,
          ms: Math.round(result.durationMs),
        });
        // A gap may have been found again while swapping: then go round once more.
        const stale = await this.redis.hget(symbolKeys(symbol).meta, 'stale');
        if (!stale) return;
        await this.sleep(backoffDelayMs(RETRY, 0));
        continue;
      }
      if (result.status === 'deferred') {
        this.deferred[result.reason] = (this.deferred[result.reason] ?? 0) + 1;
        this.log('warn', 're-anchor deferred: REST budget', {
          symbol,
          reason: result.reason,
          waitMs: result.retryAfterMs,
        });
        await this.sleep(result.retryAfterMs);
        continue;
      }
      if (result.status === 'failed') {
        this.log('warn', 're-anchor failed; retrying', { symbol, error: result.error.message });
      }
      await this.sleep(backoffDelayMs(RETRY, failures));
      failures++;
    }
  }

  /** Waits `ms`, or less if the runner stops meanwhile. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake.add(done);
    });
  }
}
