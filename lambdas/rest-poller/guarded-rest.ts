/**
 * Every REST call of the poller goes through here: the weight budget (its share of the IP's
 * 6,000/min), Binance's Retry-After after a 429 or 418 (no request is sent before it ends), a
 * circuit breaker over server failures, and bounded retries with full-jitter backoff for 5xx and
 * network errors. The shared limiter (every REST caller of the IP) may also refuse to send a request
 * (RequestDeferredError): a short wait is waited out like a Retry-After, anything else ends the run.
 * When the run cannot go on within its deadline it stops with RunStoppedError,
 * saying why and when a request may be sent again; the caller keeps what it has written.
 */
import { CircuitBreaker } from '../../core/rate-limit/circuit-breaker.ts';
import { RequestDeferredError } from '../../core/rate-limit/rest-limiter.ts';
import { RetryAfterGate } from '../../core/rate-limit/retry-after-gate.ts';
import type { WeightBudget } from '../../core/rate-limit/weight-budget.ts';
import { type BackoffPolicy, backoffDelayMs } from '../../core/retry/backoff.ts';
import { BinanceHttpError, RateLimitedError } from '../shared/binance/binance-rest-client.ts';

export interface Clock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type StopReason = 'weight-budget' | 'rate-limited' | 'banned' | 'circuit-open' | 'deadline';

export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
  readonly retryable = true;
  constructor(
    readonly reason: StopReason,
    /** When a request may be sent again (ms since the epoch). */
    readonly resumeAtMs: number,
  ) {
    super(
      `The poller run stopped early (${reason}); requests may resume at ${new Date(resumeAtMs).toISOString()}.`,
    );
  }
}

/** Gate and breaker state carried from one run (one Lambda invocation) to the next. */
export interface GuardState {
  gate: ReturnType<RetryAfterGate['snapshot']>;
  breaker: ReturnType<CircuitBreaker['snapshot']>;
}

export interface GuardCounters {
  requests: number;
  weightSpent: number;
  rateLimited429: number;
  banned418: number;
  serverErrors: number;
  retries: number;
}

export interface GuardedRestOptions {
  budget: WeightBudget;
  clock: Clock;
  /** The run must end by then (ms since the epoch). */
  deadlineMs: number;
  /** The used weight the client last saw (X-MBX-USED-WEIGHT-1M). */
  usedWeight(): number | undefined;
  restored?: GuardState;
  /** @default { failureThreshold: 5, coolDownMs: 60_000 } */
  breaker?: { failureThreshold?: number; coolDownMs?: number };
  /** Attempts per request on 5xx and network errors. @default 3 */
  maxAttempts?: number;
  /** @default { baseMs: 200, capMs: 5_000 } */
  backoff?: BackoffPolicy;
  random?: () => number;
}

/** Rate-limit answers a request may meet before the run gives up on it (each waits >= 1 s). */
const MAX_RATE_LIMITED = 10;

function isNetworkError(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (error instanceof TypeError && /fetch/i.test(error.message))
  );
}

export class GuardedRest {
  readonly gate: RetryAfterGate;
  readonly breaker: CircuitBreaker;
  readonly counters: GuardCounters = {
    requests: 0,
    weightSpent: 0,
    rateLimited429: 0,
    banned418: 0,
    serverErrors: 0,
    retries: 0,
  };

  constructor(private readonly o: GuardedRestOptions) {
    this.gate = new RetryAfterGate(o.restored?.gate);
    this.breaker = new CircuitBreaker(o.breaker ?? {}, o.restored?.breaker);
  }

  state(): GuardState {
    return { gate: this.gate.snapshot(), breaker: this.breaker.snapshot() };
  }

  /** Sends `send` (a request of `weight`) when the budget, the gate and the breaker allow it. */
  async call<T>(weight: number, send: () => Promise<T>): Promise<T> {
    const { clock } = this.o;
    let failures = 0;
    let limited = 0;
    for (;;) {
      const now = clock.nowMs();
      const wait = this.gate.waitMs(now);
      if (wait > 0) {
        if (now + wait > this.o.deadlineMs) {
          const banned = this.gate.snapshot().lastStatus === 418;
          throw new RunStoppedError(banned ? 'banned' : 'rate-limited', now + wait);
        }
        await clock.sleep(wait);
        continue;
      }
      if (now >= this.o.deadlineMs) throw new RunStoppedError('deadline', now);
      if (!this.o.budget.canSpend(weight, now)) {
        throw new RunStoppedError('weight-budget', now + this.o.budget.msUntilReset(now));
      }
      if (!this.breaker.tryAcquire(now)) throw new RunStoppedError('circuit-open', this.breaker.retryAtMs());
      this.counters.requests++;
      try {
        const result = await send();
        this.charge(weight);
        this.breaker.onSuccess();
        return result;
      } catch (error) {
        if (error instanceof RequestDeferredError) {
          // Not sent: nothing was charged. Another caller met the 429/418, or the shared budget is spent.
          this.counters.requests--;
          const at = clock.nowMs();
          if (error.reason === 'weight-budget') throw new RunStoppedError('weight-budget', at + error.waitMs);
          if (error.reason === 'banned' || at + error.waitMs > this.o.deadlineMs) {
            throw new RunStoppedError(
              error.reason === 'banned' ? 'banned' : 'rate-limited',
              at + error.waitMs,
            );
          }
          if (++limited > MAX_RATE_LIMITED) throw error;
          await clock.sleep(error.waitMs);
          continue;
        }
        if (error instanceof RateLimitedError) {
          // Refused requests are still counted by Binance; the header says how much.
          this.charge(0);
          if (error.status === 418) this.counters.banned418++;
          else this.counters.rateLimited429++;
          this.gate.onRateLimited(error.status, error.retryAfterMs, clock.nowMs());
          // A ban (418) ends the run whatever its length: sending anything during it only extends it.
          if (error.status === 418)
            throw new RunStoppedError('banned', clock.nowMs() + this.gate.waitMs(clock.nowMs()));
          if (++limited > MAX_RATE_LIMITED) throw error;
          continue;
        }
        const retryable = error instanceof BinanceHttpError ? error.retryable : isNetworkError(error);
        if (!retryable) {
          this.charge(weight);
          throw error;
        }
        this.charge(weight);
        this.counters.serverErrors++;
        this.breaker.onFailure(clock.nowMs());
        if (this.breaker.state(clock.nowMs()) === 'open') {
          throw new RunStoppedError('circuit-open', this.breaker.retryAtMs());
        }
        if (++failures >= (this.o.maxAttempts ?? 3)) throw error;
        this.counters.retries++;
        await clock.sleep(
          backoffDelayMs(this.o.backoff ?? { baseMs: 200, capMs: 5_000 }, failures, this.o.random),
        );
      }
    }
  }

  private charge(weight: number): void {
    this.counters.weightSpent += weight;
    this.o.budget.record(weight, this.o.usedWeight(), this.o.clock.nowMs());
  }
}
