/**
 * Binance's public market-data REST endpoints (rest-api.md), answered from the venue's market
 * state, with Binance's request weights, the X-MBX-USED-WEIGHT-1M header, 429/418 with
 * Retry-After, error bodies `{"code":…,"msg":…}`, JSON decimals as strings and times in ms (µs with
 * `X-MBX-TIME-UNIT: MICROSECOND`). Served: /api/v3/ping, /time, /depth, /aggTrades, /klines.
 * /api/v3/depth is the true book at the venue's current update id, so a client re-anchoring on it
 * is correct.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatDecimal } from '../../core/binance/decimal.ts';
import type { PriceLevel } from '../../core/sbe/messages.ts';
import type { FaultInjector } from './fault-injector.ts';
import type { MarketState } from './market-state.ts';
import { depthWeight, type RateLimiter } from './rate-limiter.ts';
import { KLINE_INTERVALS_MS } from './trade-aggregates.ts';

const EXP = -8;

export interface RestStats {
  requests: number;
  byStatus: Record<string, number>;
  weightCharged: number;
}

interface Endpoint {
  weight(q: URLSearchParams): number;
  handle(q: URLSearchParams, ctx: Ctx): Reply;
}

interface Ctx {
  timeFactor: number;
}

interface Reply {
  status: number;
  body: unknown;
}

class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(
    readonly code: number,
    msg: string,
    readonly status = 400,
  ) {
    super(msg);
  }
}

const fmt = (m: number) => formatDecimal(m, EXP);
const pairs = (levels: PriceLevel[]) => levels.map((l) => [fmt(l.priceMantissa), fmt(l.qtyMantissa)]);
/** Exponent -16 (price x qty) → an 8-decimal string, truncated as Binance prints volumes. */
const fmtQuote = (v: bigint) => formatDecimal(Number(v / 100_000_000n), EXP);

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d{1,20}$/.test(v)) {
    throw new BadRequest(
      -1100,
      `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`,
    );
  }
  return Number(v);
}

function limitParam(q: URLSearchParams, dflt: number, max: number): number {
  const limit = intParam(q, 'limit') ?? dflt;
  if (limit < 1)
    throw new BadRequest(-1100, `Illegal characters found in parameter 'limit'; legal range is '1-${max}'.`);
  // "If limit > 5000, only 5000 entries will be returned." (the same cap applies to the other lists)
  return Math.min(limit, max);
}

/** "Timestamp parameters (e.g. startTime, endTime, timestamp) can be passed in milliseconds or microseconds." */
function timeParamUs(q: URLSearchParams, name: string): number | undefined {
  const v = intParam(q, name);
  if (v === undefined) return undefined;
  return v >= 1e14 ? v : v * 1000;
}

export class RestApi {
  readonly stats: RestStats = { requests: 0, byStatus: {}, weightCharged: 0 };
  private readonly endpoints: Record<string, Endpoint>;

  constructor(
    private readonly state: MarketState,
    private readonly limiter: RateLimiter,
    private readonly injector: FaultInjector,
    private readonly clock: { clockUs(): number; elapsedUs(): number },
    /** Wall clock of the rate limiter's calendar minutes. */
    private readonly wallNowMs: () => number = Date.now,
  ) {
    this.endpoints = {
      '/api/v3/ping': { weight: () => 1, handle: () => ({ status: 200, body: {} }) },
      '/api/v3/time': {
        weight: () => 1,
        handle: (_q, ctx) => ({
          status: 200,
          body: { serverTime: Math.floor(this.clock.clockUs() / ctx.timeFactor) },
        }),
      },
      '/api/v3/depth': {
        weight: (q) => {
          // An unreadable limit is charged as the default (100) before being refused.
          const v = Number(q.get('limit') ?? 100);
          return depthWeight(Number.isFinite(v) && v > 0 ? Math.min(v, 5000) : 100);
        },
        handle: (q) => this.depth(q),
      },
      '/api/v3/aggTrades': { weight: () => 4, handle: (q, ctx) => this.aggTrades(q, ctx) },
      '/api/v3/klines': { weight: () => 2, handle: (q, ctx) => this.klines(q, ctx) },
    };
  }

  private symbol(q: URLSearchParams): string {
    const s = q.get('symbol');
    if (!s) {
      throw new BadRequest(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    }
    const symbol = s.toUpperCase();
    if (!this.state.has(symbol)) throw new BadRequest(-1121, 'Invalid symbol.');
    return symbol;
  }

  private depth(q: URLSearchParams): Reply {
    const symbol = this.symbol(q);
    const limit = limitParam(q, 100, 5000);
    if (!this.state.truth.isServable(symbol)) {
      // Only before a replay reaches its snapshot line, or while a book rebuilt from the diffs alone
      // (a recording without a snapshot) is not yet certain at its top (docs/adr/0090).
      throw new BadRequest(-1001, 'Internal error; unable to process your request. Please try again.', 503);
    }
    const book = this.state.truth.liveBook(symbol);
    return {
      status: 200,
      body: {
        lastUpdateId: book.lastUpdateId,
        bids: pairs(book.top(0, limit)),
        asks: pairs(book.top(1, limit)),
      },
    };
  }

  private aggTrades(q: URLSearchParams, ctx: Ctx): Reply {
    const symbol = this.symbol(q);
    const limit = limitParam(q, 500, 1000);
    const fromId = intParam(q, 'fromId');
    const startTimeUs = timeParamUs(q, 'startTime');
    const endTimeUs = timeParamUs(q, 'endTime');
    if (startTimeUs !== undefined && endTimeUs !== undefined && endTimeUs - startTimeUs > 3_600_000_000) {
      throw new BadRequest(-1127, 'More than 1 hours between startTime and endTime.');
    }
    const trades = this.state.aggTradeLog(symbol).query({ fromId, startTimeUs, endTimeUs, limit });
    return {
      status: 200,
      body: trades.map((a) => ({
        a: a.aggId,
        p: fmt(a.priceMantissa),
        q: fmt(a.qtyMantissa),
        f: a.firstTradeId,
        l: a.lastTradeId,
        T: Math.floor(a.timeUs / ctx.timeFactor),
        m: a.isBuyerMaker,
        M: true,
      })),
    };
  }

  private klines(q: URLSearchParams, ctx: Ctx): Reply {
    const symbol = this.symbol(q);
    const interval = q.get('interval');
    if (!interval) {
      throw new BadRequest(
        -1102,
        "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
      );
    }
    const intervalMs = KLINE_INTERVALS_MS[interval];
    if (intervalMs === undefined) throw new BadRequest(-1120, 'Invalid interval.');
    const limit = limitParam(q, 500, 1000);
    const startUs = timeParamUs(q, 'startTime');
    const endUs = timeParamUs(q, 'endTime');
    const klines = this.state.klineLog(symbol).query({
      intervalMs,
      startTimeMs: startUs === undefined ? undefined : Math.ceil(startUs / 1000),
      endTimeMs: endUs === undefined ? undefined : Math.floor(endUs / 1000),
      limit,
    });
    const micro = ctx.timeFactor === 1;
    // A close time is the last instant of the bar: …59999 ms, or …59999999 µs.
    const open = (ms: number) => (micro ? ms * 1000 : ms);
    const close = (ms: number) => (micro ? (ms + 1) * 1000 - 1 : ms);
    return {
      status: 200,
      body: klines.map((k) => [
        open(k.openTimeMs),
        fmt(k.open),
        fmt(k.high),
        fmt(k.low),
        fmt(k.close),
        fmt(k.volume),
        close(k.closeTimeMs),
        fmtQuote(k.quoteVolume),
        k.trades,
        fmt(k.takerBuyVolume),
        fmtQuote(k.takerBuyQuoteVolume),
        '0',
      ]),
    };
  }

  /** Handles a request under /api/; false if the path is not one of ours. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.stats.requests++;
    const ip = req.socket.remoteAddress ?? 'unknown';
    const endpoint = this.endpoints[url.pathname];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const used = String(this.limiter.used(ip, this.wallNowMs()));
      this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
      res.writeHead(status, {
        'Content-Type': 'application/json;charset=UTF-8',
        'X-MBX-USED-WEIGHT': used,
        'X-MBX-USED-WEIGHT-1M': used,
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET')
      return send(405, { code: -1000, msg: 'Only GET is served by the local venue.' });
    if (!endpoint) return send(404, { code: -1000, msg: `The local venue does not serve ${url.pathname}.` });

    const weight = endpoint.weight(url.searchParams);
    const decision = this.limiter.charge(ip, weight, this.wallNowMs());
    if (decision.status === 429) {
      return send(
        429,
        {
          code: -1003,
          msg: `Too much request weight used; current limit is ${this.limiter.weightPerMinute} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`,
        },
        { 'Retry-After': String(decision.retryAfterS) },
      );
    }
    if (decision.status === 418) {
      return send(
        418,
        {
          code: -1003,
          msg: `Way too much request weight used; IP banned until ${decision.bannedUntilMs}. Please use WebSocket Streams for live updates to avoid bans.`,
        },
        { 'Retry-After': String(decision.retryAfterS) },
      );
    }
    this.stats.weightCharged += weight;

    const fault = this.injector.onRest(url.pathname, this.clock.elapsedUs());
    if (fault.kind === 'rest-429') {
      return send(
        429,
        { code: -1003, msg: 'Too much request weight used (injected fault).' },
        { 'Retry-After': String(fault.retryAfterS) },
      );
    }
    if (fault.kind === 'rest-5xx') {
      return send(fault.status, {
        code: -1001,
        msg: 'Internal error; unable to process your request. Please try again.',
      });
    }
    if (fault.kind === 'rest-slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));

    const unit = String(req.headers['x-mbx-time-unit'] ?? '').toLowerCase();
    const ctx: Ctx = { timeFactor: unit === 'microsecond' ? 1 : 1000 };
    try {
      const reply = endpoint.handle(url.searchParams, ctx);
      return send(reply.status, reply.body);
    } catch (e) {
      if (e instanceof BadRequest) return send(e.status, { code: e.code, msg: e.message });
      throw e;
    }
  }
}
