/**
 * Runs re-anchors in process for the local pipeline, as the re-anchor Lambda would be invoked in
 * AWS: one at a time per symbol, retried with backoff while the book stays stale (a failed or
 * locked attempt is retried; the gap detector does this in AWS).
 */
import type { Redis } from 'ioredis';
import { symbolKeys } from '../core/hot-state/keys.ts';
import { type BackoffPolicy, backoffDelayMs } from '../core/retry/backoff.ts';
import type { ReAnchor, ReAnchorResult } from '../lambdas/re-anchor/re-anchor.ts';

const RETRY: BackoffPolicy = { baseMs: 200, capMs: 5000 };
const MAX_ATTEMPTS = 10;

export class ReanchorRunner {
  private readonly running = new Map<string, Promise<void>>();
  readonly results: ReAnchorResult[] = [];
  private stopped = false;

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

  /** Starts a re-anchor for the symbol unless one is already running. */
  request(symbol: string): void {
    if (this.stopped || this.running.has(symbol)) return;
    const run = this.runUntilFresh(symbol).finally(() => this.running.delete(symbol));
    this.running.set(symbol, run);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running.values());
  }

  get swaps(): number {
    return this.results.filter((r) => r.status === 'swapped').length;
  }

  private async runUntilFresh(symbol: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !this.stopped; attempt++) {
      const result = await this.reanchor.run(symbol);
      this.results.push(result);
      this.onResult(result);
      if (result.status === 'swapped') {
        this.log('info', 're-anchored', {
          symbol,
          updateId: result.updateId,
          levels: result.levels,
          ms: Math.round(result.durationMs),
        });
        // A gap may have been found again while swapping: then go round once more.
        const stale = await this.redis.hget(symbolKeys(symbol).meta, 'stale');
        if (!stale) return;
      } else if (result.status === 'failed') {
        this.log('warn', 're-anchor failed; retrying', { symbol, error: result.error.message });
      }
      await new Promise((r) => setTimeout(r, backoffDelayMs(RETRY, attempt)));
    }
  }
}
