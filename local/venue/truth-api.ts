/**
 * The venue's local-only introspection endpoints (loopback clients only):
 *   GET /_venue/truth/book?symbol=BTCUSDT[&updateId=N][&limit=L]  the true book right after id N
 *   GET /_venue/truth/trades?symbol=BTCUSDT&fromId=N[&limit=L]     the true trade tape from id N
 *   GET /_venue/truth/oracle?symbol=BTCUSDT&atUs=T[&horizonMs=H]   the synthetic market's oracle forecast
 *   GET /_venue/faults                                              every fault injected so far
 *   GET /_venue/stats                                               counters
 * Decimals are strings as in Binance's JSON; times are µs. An id outside the retained history
 * answers 410 with the retained range.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatDecimal } from '../../core/binance/decimal.ts';
import type { PriceLevel } from '../../core/sbe/messages.ts';
import { integerParam, parseQuery } from '../../lambdas/shared/http/query-params.ts';
import { TruthOutOfRangeError } from './errors.ts';
import type { OracleAnswer } from './market-events.ts';
import type { MarketState } from './market-state.ts';

/** The source's oracle (MarketSource.oracle), absent for sources without a latent state. */
export type OracleLookup = (symbol: string, atUs: number, horizonUs: number) => OracleAnswer;

const oracleQuery = z.object({
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9]{1,20}$/, 'a symbol such as BTCUSDT')
    .transform((s) => s.toUpperCase())
    .optional(),
  atUs: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  horizonMs: z.coerce.number().int().positive().max(3_600_000).default(10_000),
});

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const fmt = (m: number) => formatDecimal(m, -8);
const pairs = (levels: PriceLevel[]) => levels.map((l) => [fmt(l.priceMantissa), fmt(l.qtyMantissa)]);

/** Ids are non-negative safe integers; limits are those of Binance's REST depth and of the tape. */
const bookQuery = z.object({
  symbol: z.string().optional(),
  updateId: integerParam(0, Number.MAX_SAFE_INTEGER),
  limit: integerParam(1, 5000),
});
const tradesQuery = z.object({
  symbol: z.string().optional(),
  fromId: integerParam(0, Number.MAX_SAFE_INTEGER),
  limit: integerParam(1, 100_000),
});

export class TruthApi {
  constructor(
    private readonly state: MarketState,
    private readonly faults: () => unknown,
    private readonly stats: () => unknown,
    private readonly oracle?: OracleLookup,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      send(403, { error: 'The ground truth is served to loopback clients only.' });
      return;
    }
    const symbol = (url.searchParams.get('symbol') ?? this.state.symbols[0] ?? '').toUpperCase();
    switch (url.pathname) {
      case '/_venue/stats': {
        send(200, this.stats());
        return;
      }
      case '/_venue/faults': {
        send(200, this.faults());
        return;
      }
      case '/_venue/truth/oracle': {
        this.handleOracle(url.searchParams, send);
        return;
      }
      case '/_venue/truth/book':
      case '/_venue/truth/trades': {
        if (!this.state.has(symbol)) {
          send(404, { error: `Unknown symbol ${symbol}.` });
          return;
        }
        if (url.pathname.endsWith('/trades')) {
          const q = parseQuery(tradesQuery, url.searchParams);
          if (!q.ok) {
            send(400, { error: q.message });
            return;
          }
          const fromId = q.value.fromId ?? this.state.truth.tradeRange(symbol)?.oldest ?? 0;
          const trades = this.state.truth.trades(symbol, fromId, q.value.limit ?? 1000);
          send(
            200,
            trades.map((t) => ({
              id: t.id,
              price: fmt(t.priceMantissa),
              qty: fmt(t.qtyMantissa),
              timeUs: t.timeUs,
              isBuyerMaker: t.isBuyerMaker,
            })),
          );
          return;
        }
        const q = parseQuery(bookQuery, url.searchParams);
        if (!q.ok) {
          send(400, { error: q.message });
          return;
        }
        const updateId = q.value.updateId ?? this.state.truth.lastUpdateId(symbol);
        try {
          const book = this.state.truth.bookAt(symbol, updateId, q.value.limit ?? 5000);
          send(200, {
            ...book,
            anchor: this.state.truth.anchor(symbol),
            bids: pairs(book.bids),
            asks: pairs(book.asks),
          });
          return;
        } catch (e) {
          if (e instanceof TruthOutOfRangeError) {
            send(410, { error: e.message, oldestUpdateId: e.oldest, newestUpdateId: e.newest });
            return;
          }
          throw e;
        }
      }
      default: {
        send(404, { error: `No venue endpoint at ${url.pathname}.` });
        return;
      }
    }
  }

  private handleOracle(q: URLSearchParams, send: (status: number, body: unknown) => void): void {
    const parsed = oracleQuery.safeParse(Object.fromEntries(q));
    if (!parsed.success) {
      send(400, {
        error: `Invalid oracle query: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
      });
      return;
    }
    const { atUs, horizonMs } = parsed.data;
    const symbol = parsed.data.symbol ?? this.state.symbols[0] ?? '';
    if (!this.state.has(symbol)) {
      send(404, { error: `Unknown symbol ${symbol}.` });
      return;
    }
    if (!this.oracle) {
      send(404, {
        error: 'This market source has no oracle: only the synthetic market knows its latent state.',
      });
      return;
    }
    const answer = this.oracle(symbol, atUs, horizonMs * 1000);
    if (!answer.ok) {
      send(404, { error: `No oracle at ${atUs} µs: ${answer.reason}.` });
      return;
    }
    send(200, {
      symbol,
      atUs,
      asOfUs: answer.asOfUs,
      horizonMs,
      forecast: answer.forecast,
      informedFlow: answer.informedFlow,
    });
  }
}
