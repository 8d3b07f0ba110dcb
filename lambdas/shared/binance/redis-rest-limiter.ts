/**
 * The shared REST limiter (core/rate-limit/rest-limiter.ts) on Redis: one hash per IP scope,
 * `restlimit:{<scope>}` with the current minute's start and weight used, and until when no request
 * may be sent (and whether a 429 or a 418 said so). Each operation is one script, so two Lambdas
 * admitting at the same instant cannot both take the last of the budget. Times are the callers' wall
 * clocks in ms (Binance's window is a calendar minute; Lambda clocks are NTP-synced).
 */
import type { Redis } from 'ioredis';
import {
  type Admission,
  BINANCE_WEIGHT_PER_MINUTE,
  type RestLimiter,
  type RestLimitStatus,
  SHARED_WEIGHT_SHARE,
} from '../../../core/rate-limit/rest-limiter.ts';

const MINUTE_MS = 60_000;

/** Reads the hash as of ARGV[1] (now): the window's used weight (0 in a new minute) and the block. */
const READ = `
local now = tonumber(ARGV[1])
local window = now - (now % ${MINUTE_MS})
local h = redis.call('HMGET', KEYS[1], 'window', 'used', 'blockedUntil', 'blockedBy')
local used = 0
if tonumber(h[1]) == window then used = tonumber(h[2]) or 0 end
local blocked_until = tonumber(h[3]) or 0
local blocked_by = h[4] or ''
`;

/** The hash outlives a window and any block by a minute, then goes by itself. */
const KEEP = `
local keep = math.max(blocked_until - now, 0) + ${2 * MINUTE_MS}
redis.call('PEXPIRE', KEYS[1], keep)
`;

/** ARGV: now, weight, allowance. Returns {1, used} or {0, reason, waitMs}. */
const ADMIT = `${READ}
local weight, allowance = tonumber(ARGV[2]), tonumber(ARGV[3])
if now < blocked_until then
  local reason = 'retry-after'
  if blocked_by == '418' then reason = 'banned' end
  return {0, reason, blocked_until - now}
end
if used + weight > allowance then return {0, 'weight-budget', window + ${MINUTE_MS} - now} end
used = used + weight
redis.call('HSET', KEYS[1], 'window', window, 'used', used)
${KEEP}
return {1, used}
`;

/** ARGV: now. Returns {used, blockedUntil, blockedBy}. */
const STATUS = `${READ}
return {used, blocked_until, blocked_by}
`;

/** ARGV: now, the header's used weight. The IP's use is the larger of ours and Binance's. */
const OBSERVE = `${READ}
local reported = tonumber(ARGV[2])
if reported > used then used = reported end
redis.call('HSET', KEYS[1], 'window', window, 'used', used)
${KEEP}
return used
`;

/** ARGV: now, status (429|418), retryAfterMs. A block is only ever extended. */
const LIMITED = `${READ}
local until_ms = now + tonumber(ARGV[3])
local active_ban = blocked_by == '418' and now < blocked_until
if until_ms > blocked_until then blocked_until = until_ms end
if ARGV[2] == '418' or not active_ban then blocked_by = ARGV[2] end
redis.call('HSET', KEYS[1], 'blockedUntil', blocked_until, 'blockedBy', blocked_by)
${KEEP}
return blocked_until
`;

interface LimiterCommands {
  restLimitAdmit(key: string, nowMs: number, weight: number, allowance: number): Promise<(string | number)[]>;
  restLimitStatus(key: string, nowMs: number): Promise<[number, number, string]>;
  restLimitObserve(key: string, nowMs: number, used: number): Promise<number>;
  restLimitLimited(key: string, nowMs: number, status: number, retryAfterMs: number): Promise<number>;
}

export interface RedisRestLimiterOptions {
  /** What shares one budget: Binance counts per IP, so the REST host (one egress IP per deployment). */
  scope: string;
  /** @default 6000 × 0.9 */
  allowance?: number;
}

/** The scope of a REST base URL: its host (the local venue's port makes each run its own scope). */
export function restLimitScope(baseUrl: string): string {
  return new URL(baseUrl).host;
}

export class RedisRestLimiter implements RestLimiter {
  readonly key: string;
  readonly allowance: number;
  private readonly redis: Redis & LimiterCommands;

  constructor(redis: Redis, o: RedisRestLimiterOptions) {
    this.key = `restlimit:{${o.scope}}`;
    this.allowance = o.allowance ?? Math.floor(BINANCE_WEIGHT_PER_MINUTE * SHARED_WEIGHT_SHARE);
    redis.defineCommand('restLimitAdmit', { numberOfKeys: 1, lua: ADMIT });
    redis.defineCommand('restLimitStatus', { numberOfKeys: 1, lua: STATUS });
    redis.defineCommand('restLimitObserve', { numberOfKeys: 1, lua: OBSERVE });
    redis.defineCommand('restLimitLimited', { numberOfKeys: 1, lua: LIMITED });
    this.redis = redis as Redis & LimiterCommands;
  }

  async admit(weight: number, nowMs: number): Promise<Admission> {
    const reply = await this.redis.restLimitAdmit(this.key, Math.floor(nowMs), weight, this.allowance);
    if (Number(reply[0]) === 1) return { admitted: true, usedWeight: Number(reply[1]) };
    return {
      admitted: false,
      reason: reply[1] as 'retry-after' | 'banned' | 'weight-budget',
      waitMs: Number(reply[2]),
    };
  }

  async status(nowMs: number): Promise<RestLimitStatus> {
    const now = Math.floor(nowMs);
    const [used, blockedUntil, blockedBy] = await this.redis.restLimitStatus(this.key, now);
    const blockedForMs = Math.max(0, Number(blockedUntil) - now);
    return {
      usedWeight: Number(used),
      allowance: this.allowance,
      blockedForMs,
      blockedBy: blockedForMs > 0 ? (Number(blockedBy) as 429 | 418) : null,
      msUntilReset: MINUTE_MS - (now % MINUTE_MS),
    };
  }

  async observe(usedWeight1m: number, nowMs: number): Promise<void> {
    if (!Number.isFinite(usedWeight1m)) return;
    await this.redis.restLimitObserve(this.key, Math.floor(nowMs), usedWeight1m);
  }

  async onRateLimited(status: 429 | 418, retryAfterMs: number, nowMs: number): Promise<void> {
    await this.redis.restLimitLimited(this.key, Math.floor(nowMs), status, Math.max(0, retryAfterMs));
  }
}
