/**
 * Binance spot REST market data (or the local venue's): typed responses validated with zod, the
 * request weight tracked from `X-MBX-USED-WEIGHT-1M`, and Binance's rate-limit answers turned into
 * typed errors: 429 ("back off") and 418 (an IP ban), both with their `Retry-After`.
 */
import { z } from 'zod';
import { parseDecimalMantissa } from '../../../core/binance/decimal.ts';
import { BINANCE_EXPONENT } from '../../../core/binance/json-stream.ts';
import type { Level } from '../../../core/book/order-book.ts';

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

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

export class BinanceRestClient {
  /** The last `X-MBX-USED-WEIGHT-1M` seen: the weight used in the current minute. */
  usedWeight1m = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async depth(symbol: string, limit = 5000): Promise<DepthSnapshot> {
    const json = await this.get(`/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`);
    const parsed = depthResponse.parse(json);
    const toLevels = (raw: [string, string][]): Level[] =>
      raw.map(([p, q]) => [
        parseDecimalMantissa(p, BINANCE_EXPONENT),
        parseDecimalMantissa(q, BINANCE_EXPONENT),
      ]);
    return { lastUpdateId: parsed.lastUpdateId, bids: toLevels(parsed.bids), asks: toLevels(parsed.asks) };
  }

  async get(path: string): Promise<unknown> {
    const response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const used = response.headers.get('x-mbx-used-weight-1m');
    if (used !== null) this.usedWeight1m = Number(used);
    if (response.status === 429 || response.status === 418) {
      const retryAfterS = Number(response.headers.get('retry-after') ?? 60);
      await response.body?.cancel();
      throw new RateLimitedError(response.status, retryAfterS * 1000);
    }
    if (!response.ok) throw new BinanceHttpError(response.status, path, await response.text());
    return response.json();
  }
}
