/**
 * Binance's REST IP limits, with time as an argument:
 * - "Every request will contain X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter) in the response
 *   headers which has the current used weight for the IP": REQUEST_WEIGHT, 6000 per 1 MINUTE, in
 *   fixed calendar-minute windows;
 * - "Requests fail with HTTP status code 429 when you exceed the request rate limit";
 * - "Repeatedly violating rate limits and/or failing to back off after receiving 429s will result in
 *   an automated IP ban (HTTP status 418)"; "IP bans are tracked and scale in duration for repeat
 *   offenders, from 2 minutes to 3 days";
 * - "A Retry-After header is sent with a 418 or 429 responses and will give the number of seconds
 *   required to wait, in the case of a 429, to prevent a ban, or, in the case of a 418, until the
 *   ban is over."
 * How many 429s make "repeatedly" is not published: `banAfter429s` per window, 10 by default.
 */

export interface RateLimiterOptions {
  /** @default 6000 (Binance spot REQUEST_WEIGHT per minute) */
  weightPerMinute?: number;
  /** 429 answers within one window after which the IP is banned. @default 10 */
  banAfter429s?: number;
  /** First ban; each later ban doubles it. @default 120_000 (2 min) */
  firstBanMs?: number;
  /** @default 259_200_000 (3 days) */
  maxBanMs?: number;
}

export type RateDecision =
  | { status: 200; usedWeight: number }
  | { status: 429; usedWeight: number; retryAfterS: number }
  | { status: 418; usedWeight: number; retryAfterS: number; bannedUntilMs: number };

interface IpState {
  windowStartMs: number;
  used: number;
  rejected: number;
  bannedUntilMs: number;
  bans: number;
}

const MINUTE_MS = 60_000;

export class RateLimiter {
  private readonly ips = new Map<string, IpState>();
  private readonly o: Required<RateLimiterOptions>;

  constructor(options: RateLimiterOptions = {}) {
    this.o = {
      weightPerMinute: options.weightPerMinute ?? 6000,
      banAfter429s: options.banAfter429s ?? 10,
      firstBanMs: options.firstBanMs ?? 120_000,
      maxBanMs: options.maxBanMs ?? 259_200_000,
    };
  }

  get weightPerMinute(): number {
    return this.o.weightPerMinute;
  }

  private state(ip: string, nowMs: number): IpState {
    const windowStartMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    let s = this.ips.get(ip);
    if (!s) {
      s = { windowStartMs, used: 0, rejected: 0, bannedUntilMs: 0, bans: 0 };
      this.ips.set(ip, s);
    }
    if (s.windowStartMs !== windowStartMs) {
      s.windowStartMs = windowStartMs;
      s.used = 0;
      s.rejected = 0;
    }
    return s;
  }

  /** Charges `weight` to `ip` at `nowMs`, or says why the request is refused. */
  charge(ip: string, weight: number, nowMs: number): RateDecision {
    const s = this.state(ip, nowMs);
    if (nowMs < s.bannedUntilMs) {
      return {
        status: 418,
        usedWeight: s.used,
        retryAfterS: Math.ceil((s.bannedUntilMs - nowMs) / 1000),
        bannedUntilMs: s.bannedUntilMs,
      };
    }
    if (s.used + weight > this.o.weightPerMinute) {
      s.rejected++;
      if (s.rejected > this.o.banAfter429s) {
        const banMs = Math.min(this.o.maxBanMs, this.o.firstBanMs * 2 ** s.bans);
        s.bans++;
        s.bannedUntilMs = nowMs + banMs;
        return {
          status: 418,
          usedWeight: s.used,
          retryAfterS: Math.ceil(banMs / 1000),
          bannedUntilMs: s.bannedUntilMs,
        };
      }
      return {
        status: 429,
        usedWeight: s.used,
        retryAfterS: Math.max(1, Math.ceil((s.windowStartMs + MINUTE_MS - nowMs) / 1000)),
      };
    }
    s.used += weight;
    return { status: 200, usedWeight: s.used };
  }

  /** The weight `ip` has used in the current window. */
  used(ip: string, nowMs: number): number {
    return this.state(ip, nowMs).used;
  }
}

/**
 * `/api/v3/depth` weight by limit: 1-100 → 5, 101-500 → 25, 501-1000 → 50, 1001-5000 → 250
 * (rest-api.md, "Order book").
 */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}
