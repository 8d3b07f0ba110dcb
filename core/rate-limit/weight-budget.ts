/**
 * A share of Binance's request-weight limit for one client. Binance: "Every request will contain
 * X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter) in the response headers which has the current used
 * weight for the IP", REQUEST_WEIGHT 6,000 per 1 MINUTE in calendar-minute windows. A client spends
 * at most `share` of the limit itself, and never sends past the limit the IP (as the header says)
 * has left. It used to stop at `share` of the IP's whole use, which let a burst of re-anchors starve
 * it; the IP's total is now kept by the shared limiter every caller goes through
 * (core/rate-limit/rest-limiter.ts, ADR 0075). Pure: time is an argument.
 */

export interface WeightBudgetOptions {
  /** @default 6000 (Binance spot REQUEST_WEIGHT per minute) */
  limitPerMinute?: number;
  /** Fraction of the limit this client may use, 0-1. @default 0.5 */
  share?: number;
}

const MINUTE_MS = 60_000;

export class WeightBudget {
  readonly allowance: number;
  readonly limit: number;
  private windowStartMs = Number.NEGATIVE_INFINITY;
  /** Weight the IP used in the window, as the last response said. */
  private observed = 0;
  /** Weight this client spent in the window, as it counted. */
  private spent = 0;

  constructor(o: WeightBudgetOptions = {}) {
    const limit = o.limitPerMinute ?? 6000;
    const share = o.share ?? 0.5;
    if (!(share > 0 && share <= 1)) throw new RangeError(`Weight share ${share} must be in (0, 1].`);
    if (!(limit > 0)) throw new RangeError(`Weight limit ${limit} must be positive.`);
    this.allowance = Math.floor(limit * share);
    this.limit = limit;
  }

  private roll(nowMs: number): void {
    const start = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    if (start !== this.windowStartMs) {
      this.windowStartMs = start;
      this.observed = 0;
      this.spent = 0;
    }
  }

  /** The weight used in the current window, as far as this client knows. */
  used(nowMs: number): number {
    this.roll(nowMs);
    return Math.max(this.observed, this.spent);
  }

  /** The weight this client spent in the current window. */
  spentByThisClient(nowMs: number): number {
    this.roll(nowMs);
    return this.spent;
  }

  /** True if a request of `weight` keeps this client within its share and the IP within the limit. */
  canSpend(weight: number, nowMs: number): boolean {
    return (
      this.spentByThisClient(nowMs) + weight <= this.allowance && this.used(nowMs) + weight <= this.limit
    );
  }

  /** After a response: the request's weight and the header's used weight (undefined if absent). */
  record(weight: number, usedWeight1m: number | undefined, nowMs: number): void {
    this.roll(nowMs);
    this.spent += weight;
    if (usedWeight1m !== undefined && Number.isFinite(usedWeight1m)) this.observed = usedWeight1m;
  }

  /** Milliseconds until the next window starts. */
  msUntilReset(nowMs: number): number {
    return (Math.floor(nowMs / MINUTE_MS) + 1) * MINUTE_MS - nowMs;
  }
}
