/**
 * Binance spot REST market data (or the local venue's): typed responses validated with zod, the
 * request weight tracked from `X-MBX-USED-WEIGHT-1M`, and Binance's rate-limit answers turned into
 * typed errors: 429 ("back off") and 418 (an IP ban), both with their `Retry-After`. With a shared
 * limiter (core/rate-limit/rest-limiter.ts) no request is sent while any caller of the same IP was
 * told to back off or the minute's shared weight is spent: it fails with RequestDeferredError instead.
 */
import { z } from 'zod';
import { parseDecimalMantissa } from '../../../core/binance/decimal.ts';
import { BINANCE_EXPONENT } from '../../../core/binance/json-stream.ts';
import type { Level } from '../../../core/book/order-book.ts';
import { RequestDeferredError, type RestLimiter } from '../../../core/rate-limit/rest-limiter.ts';

/** Weight of /api/v3/depth by limit (rest-api.md). */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  readonly retryable = true;
  constructor(
    readonly status: 429 | 418,
    readonly retryAfterMs: number,
  ) {
    super(
      status === 418
        ? `Binance banned this IP for ${retryAfterMs} ms after repeated rate-limit violations.`
        : `Binance asked to back off for ${retryAfterMs} ms (request weight over the limit).`,
    );
  }
}

export class BinanceHttpError extends Error {
  override readonly name = 'BinanceHttpError';
  constructor(
    readonly status: number,
    readonly path: string,
    body: string,
  ) {
    super(`Binance answered ${status} to ${path}: ${body.slice(0, 200)}`);
  }
  /** 5xx and timeouts may succeed later; 4xx will not. */
  get retryable(): boolean {
    return this.status >= 500;
  }
}

const levels = z.array(z.tuple([z.string(), z.string()]));
const depthResponse = z.object({ lastUpdateId: z.number().int(), bids: levels, asks: levels });

/** Request weights (rest-api.md): aggTrades 4, klines 2, time 1, whatever the limit. */
export const AGG_TRADES_WEIGHT = 4;
export const KLINES_WEIGHT = 2;
export const TIME_WEIGHT = 1;

const aggTradeResponse = z.array(
  z.object({
    a: z.number().int(),
    p: z.string(),
    q: z.string(),
    f: z.number().int(),
    l: z.number().int(),
    T: z.number().int(),
    m: z.boolean(),
    M: z.boolean(),
  }),
);
export type BinanceAggTrade = z.infer<typeof aggTradeResponse>[number];

const klineResponse = z.array(
  z
    .tuple([
      z.number().int(),
      z.string(),
      z.string(),
      z.string(),
      z.string(),
      z.string(),
      z.number().int(),
      z.string(),
      z.number().int(),
      z.string(),
      z.string(),
    ])
    .rest(z.unknown()),
);
export type BinanceKlineRow = z.infer<typeof klineResponse>[number];

const timeResponse = z.object({ serverTime: z.number().int() });

/** Depth as Binance sends it: decimal strings, for the bronze layer. */
export interface RawDepthSnapshot {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

export interface AggTradesQuery {
  /** Aggregate trade id to start from, inclusive. */
  fromId?: number;
  /** ms, inclusive. */
  startTime?: number;
  endTime?: number;
  /** @default 500, at most 1000 */
  limit?: number;
}

export interface KlinesQuery {
  startTime?: number;
  endTime?: number;
  /** @default 500, at most 1000 */
  limit?: number;
}

function query(params: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) parts.push(`${k}=${encodeURIComponent(String(v))}`);
  }
  return parts.join('&');
}

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

/** What one client sent and was refused, for metrics and the run summary. */
export interface RestClientCounters {
  requests: number;
  weight: number;
  rateLimited429: number;
  banned418: number;
  /** Requests not sent, by reason (the shared limiter said wait). */
  deferred: Record<string, number>;
}

export class BinanceRestClient {
  /** The last `X-MBX-USED-WEIGHT-1M` seen: the weight used in the current minute. */
  usedWeight1m = 0;
  readonly counters: RestClientCounters = {
    requests: 0,
    weight: 0,
    rateLimited429: 0,
    banned418: 0,
    deferred: {},
  };

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
    /** The fetch to use (tests wrap it to watch what is sent). @default globalThis.fetch */
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
    /** Shared by every caller of the same IP; without one, only Binance's answers limit the client. */
    private readonly limiter?: RestLimiter,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** `/api/v3/aggTrades` (weight 4), validated, as Binance sends it. */
  async aggTrades(symbol: string, q: AggTradesQuery = {}): Promise<BinanceAggTrade[]> {
    const params = query({
      symbol,
      fromId: q.fromId,
      startTime: q.startTime,
      endTime: q.endTime,
      limit: q.limit,
    });
    return aggTradeResponse.parse(await this.get(`/api/v3/aggTrades?${params}`, AGG_TRADES_WEIGHT));
  }

  /** `/api/v3/klines` (weight 2), validated, as Binance sends it (the last one may still be open). */
  async klines(symbol: string, interval: string, q: KlinesQuery = {}): Promise<BinanceKlineRow[]> {
    const params = query({ symbol, interval, startTime: q.startTime, endTime: q.endTime, limit: q.limit });
    return klineResponse.parse(await this.get(`/api/v3/klines?${params}`, KLINES_WEIGHT));
  }

  /** `/api/v3/depth` with decimals as strings (weight by limit, see depthWeight). */
  async depthRaw(symbol: string, limit = 1000): Promise<RawDepthSnapshot> {
    const json = await this.get(
      `/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`,
      depthWeight(limit),
    );
    return depthResponse.parse(json);
  }

  /** `/api/v3/time` (weight 1): the exchange clock in ms. */
  async serverTime(): Promise<number> {
    return timeResponse.parse(await this.get('/api/v3/time', TIME_WEIGHT)).serverTime;
  }

  async depth(symbol: string, limit = 5000): Promise<DepthSnapshot> {
    const json = await this.get(
      `/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`,
      depthWeight(limit),
    );
    const parsed = depthResponse.parse(json);
    const toLevels = (raw: [string, string][]): Level[] =>
      raw.map(([p, q]) => [
        parseDecimalMantissa(p, BINANCE_EXPONENT),
        parseDecimalMantissa(q, BINANCE_EXPONENT),
      ]);
    return { lastUpdateId: parsed.lastUpdateId, bids: toLevels(parsed.bids), asks: toLevels(parsed.asks) };
  }

  /** GET `path`, a request of `weight` (Binance's weight of the endpoint). */
  async get(path: string, weight: number): Promise<unknown> {
    if (this.limiter) {
      const admission = await this.limiter.admit(weight, this.nowMs());
      if (!admission.admitted) {
        this.counters.deferred[admission.reason] = (this.counters.deferred[admission.reason] ?? 0) + 1;
        throw new RequestDeferredError(admission.reason, admission.waitMs, path.replace(/\?.*/, ''));
      }
    }
    this.counters.requests++;
    this.counters.weight += weight;
    const response = await this.fetchImpl(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const used = response.headers.get('x-mbx-used-weight-1m');
    if (used !== null) {
      this.usedWeight1m = Number(used);
      await this.limiter?.observe(this.usedWeight1m, this.nowMs());
    }
    if (response.status === 429 || response.status === 418) {
      const header = Number(response.headers.get('retry-after'));
      // Binance always sends Retry-After with these; a minute (one weight window) if it did not.
      const retryAfterMs = Number.isFinite(header) && header > 0 ? header * 1000 : 60_000;
      await response.body?.cancel();
      if (response.status === 418) this.counters.banned418++;
      else this.counters.rateLimited429++;
      await this.limiter?.onRateLimited(response.status, retryAfterMs, this.nowMs());
      throw new RateLimitedError(response.status, retryAfterMs);
    }
    if (!response.ok) throw new BinanceHttpError(response.status, path, await response.text());
    return response.json();
  }
}
