/**
 * One REST weight budget and one Retry-After gate per Binance IP, shared by every caller (the
 * re-anchor, the REST poller, the gap detector's back-fill). In AWS they are separate Lambdas, so the
 * state lives where they all see it (Redis: lambdas/shared/binance/redis-rest-limiter.ts); the local
 * run uses the same adapter (ADR 0075). Binance: "A Retry-After header is sent with a 418 or 429
 * responses and will give the number of seconds required to wait, in the case of a 429, to prevent a
 * ban, or, in the case of a 418, until the ban is over"; "failing to back off after receiving 429s
 * will result in an automated IP ban".
 */

/** Why a request was not sent. */
export type RestRefusal = 'retry-after' | 'banned' | 'weight-budget';

export type Admission =
  | { admitted: true /** weight used in the minute, this request included */; usedWeight: number }
  | { admitted: false; reason: RestRefusal /** when a request may be tried again */; waitMs: number };

export interface RestLimitStatus {
  /** Weight used in the current minute, as counted by every caller and reported by Binance. */
  usedWeight: number;
  /** The weight the callers together may use per minute. */
  allowance: number;
  /** 0, or how long no request may be sent (Retry-After of a 429 or a 418 ban). */
  blockedForMs: number;
  blockedBy: 429 | 418 | null;
  /** Milliseconds until the weight window (a calendar minute) starts again. */
  msUntilReset: number;
}

export interface RestLimiter {
  /** Reserves `weight` now, atomically across callers, or says why not and for how long. */
  admit(weight: number, nowMs: number): Promise<Admission>;
  status(nowMs: number): Promise<RestLimitStatus>;
  /** After any response: Binance's `X-MBX-USED-WEIGHT-1M` (the IP's use, other clients included). */
  observe(usedWeight1m: number, nowMs: number): Promise<void>;
  /** After a 429 or 418: nobody sends before Retry-After has passed. */
  onRateLimited(status: 429 | 418, retryAfterMs: number, nowMs: number): Promise<void>;
}

/** Binance spot REQUEST_WEIGHT per minute. */
export const BINANCE_WEIGHT_PER_MINUTE = 6000;
/**
 * The callers stop at 90% of Binance's limit: the last 10% covers requests in flight when the
 * counter was read and other users of the same IP that no caller counts.
 */
export const SHARED_WEIGHT_SHARE = 0.9;

export class RequestDeferredError extends Error {
  override readonly name = 'RequestDeferredError';
  readonly retryable = true;
  constructor(
    readonly reason: RestRefusal,
    readonly waitMs: number,
    readonly path: string,
  ) {
    super(
      `Not sending ${path}: ${
        reason === 'banned'
          ? 'the IP is banned (418)'
          : reason === 'retry-after'
            ? 'Binance asked to back off (429)'
            : "the minute's shared weight budget is spent"
      }; retry in ${Math.ceil(waitMs)} ms.`,
    );
  }
}
