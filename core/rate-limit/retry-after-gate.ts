/**
 * Binance: "A Retry-After header is sent with a 418 or 429 responses and will give the number of
 * seconds required to wait, in the case of a 429, to prevent a ban, or, in the case of a 418, until
 * the ban is over", and "failing to back off after receiving 429s will result in an automated IP
 * ban". The gate remembers until when no request may be sent. Pure: time is an argument.
 */

export interface RetryAfterState {
  blockedUntilMs: number;
  lastStatus: 429 | 418 | null;
}

export class RetryAfterGate {
  private state: RetryAfterState;

  constructor(initial?: RetryAfterState) {
    this.state = initial ? { ...initial } : { blockedUntilMs: 0, lastStatus: null };
  }

  onRateLimited(status: 429 | 418, retryAfterMs: number, nowMs: number): void {
    this.state.blockedUntilMs = Math.max(this.state.blockedUntilMs, nowMs + Math.max(0, retryAfterMs));
    this.state.lastStatus = status;
  }

  /** How long to wait before the next request may be sent (0: now). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.state.blockedUntilMs - nowMs);
  }

  snapshot(): RetryAfterState {
    return { ...this.state };
  }
}
