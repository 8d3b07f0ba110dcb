/**
 * A small, deterministic BTCUSDT-like market for history tests: a true book (0.01 ticks, one-tick
 * spread most of the time) changed every 100 ms by a diff of absolute quantities, trades, and a
 * bookTicker at each diff's last update id. Written out in the formats the history reader reads:
 * Binance combined-stream lines (`<ts> <json>` in ns/µs/ms, or bare `<json>`) and tardis.dev CSV.
 */

import { formatDecimal } from '../../core/binance/decimal.ts';
import type { Level } from '../../core/book/order-book.ts';
import { OrderBook } from '../../core/book/order-book.ts';
import { Rng } from '../../core/random/rng.ts';

export const TICK = 1_000_000; // 0.01 at exponent -8
const LOT = 100_000; // 0.001 BTC

export interface SyntheticStep {
  timeUs: number;
  firstUpdateId: number;
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
  trades: { id: number; price: number; qty: number; isBuyerMaker: boolean }[];
  /** The true top after the diff (what a bookTicker at lastUpdateId shows). */
  bestBid: Level;
  bestAsk: Level;
}

export interface SyntheticHistory {
  startUs: number;
  snapshot: { lastUpdateId: number; bids: Level[]; asks: Level[] };
  steps: SyntheticStep[];
  /** The true book after every step (same order as steps). */
  bookAfter: (i: number) => OrderBook;
}

export function syntheticHistory(o: {
  steps: number;
  seed?: number;
  startUs?: number;
  depth?: number;
}): SyntheticHistory {
  const rng = new Rng(o.seed ?? 7);
  const startUs = o.startUs ?? 1_723_161_255_000_000;
  const depth = o.depth ?? 40;
  const mid0 = 6_000_000_000_000; // 60000.00
  const bids: Level[] = [];
  const asks: Level[] = [];
  // Some ticks stay empty: a rebuilt book must not take an unknown tick for an empty one.
  for (let k = 0; k < depth; k++) {
    if (k > 0 && rng.chance(0.3)) continue;
    bids.push([mid0 - k * TICK, (1 + rng.int(50)) * LOT]);
    asks.push([mid0 + (k + 1) * TICK, (1 + rng.int(50)) * LOT]);
  }
  let id = 1_000;
  const book = OrderBook.fromSnapshot(id, bids, asks);
  const snapshot = { lastUpdateId: id, bids: [...bids], asks: [...asks] };
  const books: OrderBook[] = [];
  const steps: SyntheticStep[] = [];
  let tradeId = 5_000;
  for (let s = 0; s < o.steps; s++) {
    const first = id + 1;
    const changes = new Map<string, Level & { side: 'b' | 'a' }>();
    const n = 1 + rng.int(6);
    const bestBid = book.bids.best() as number;
    const bestAsk = book.asks.best() as number;
    const trades: SyntheticStep['trades'] = [];
    for (let c = 0; c < n; c++) {
      id++;
      const side = rng.chance(0.5) ? 'b' : 'a';
      const r = rng.next();
      if (r < 0.15) {
        // Take the best level (a trade), the price moves one level.
        const p = side === 'b' ? (book.bids.best() as number) : (book.asks.best() as number);
        const q = side === 'b' ? book.bids.quantity(p) : book.asks.quantity(p);
        if ((side === 'b' ? book.bids.size : book.asks.size) > 5) {
          (side === 'b' ? book.bids : book.asks).set(p, 0);
          changes.set(`${side}${p}`, [p, 0, side] as never);
          trades.push({ id: tradeId++, price: p, qty: q, isBuyerMaker: side === 'b' });
        }
      } else if (r < 0.3 || ((book.asks.best() as number) - (book.bids.best() as number) > TICK && r < 0.7)) {
        // A new level at the edge of the spread (often, while the spread is wider than a tick).
        const p = side === 'b' ? (book.bids.best() as number) + TICK : (book.asks.best() as number) - TICK;
        const other = side === 'b' ? (book.asks.best() as number) : (book.bids.best() as number);
        if (side === 'b' ? p < other : p > other) {
          const q = (1 + rng.int(20)) * LOT;
          (side === 'b' ? book.bids : book.asks).set(p, q);
          changes.set(`${side}${p}`, [p, q, side] as never);
        }
      } else {
        // Change a level within 15 ticks of the best (sometimes an empty tick gets a level).
        const k = rng.int(15);
        const p = side === 'b' ? bestBid - k * TICK : bestAsk + k * TICK;
        const other = side === 'b' ? (book.asks.best() as number) : (book.bids.best() as number);
        if (side === 'b' ? p < other : p > other) {
          const q = rng.chance(0.2) ? 0 : (1 + rng.int(50)) * LOT;
          (side === 'b' ? book.bids : book.asks).set(p, q);
          changes.set(`${side}${p}`, [p, q, side] as never);
        }
      }
    }
    book.updateId = id;
    const all = [...changes.values()] as unknown as [number, number, 'b' | 'a'][];
    const bb = book.bids.best() as number;
    const ba = book.asks.best() as number;
    steps.push({
      timeUs: startUs + (s + 1) * 100_000,
      firstUpdateId: first,
      lastUpdateId: id,
      bids: all.filter((c) => c[2] === 'b').map(([p, q]) => [p, q]),
      asks: all.filter((c) => c[2] === 'a').map(([p, q]) => [p, q]),
      trades,
      bestBid: [bb, book.bids.quantity(bb)],
      bestAsk: [ba, book.asks.quantity(ba)],
    });
    books.push(OrderBook.fromSnapshot(id, book.bids.top(1e6), book.asks.top(1e6)));
  }
  return { startUs, snapshot, steps, bookAfter: (i) => books[i] as OrderBook };
}

const dec = (m: number) => formatDecimal(m, -8);
const pairs = (ls: readonly Level[]) => ls.map(([p, q]) => [dec(p), dec(q)]);

export type StampUnit = 'ns' | 'us' | 'ms' | 'none';

const stamp = (us: number, unit: StampUnit): string =>
  unit === 'ns' ? `${us}000` : unit === 'us' ? `${us}` : unit === 'ms' ? `${Math.floor(us / 1000)}` : '';

/**
 * Binance combined-stream lines in receive order. The recorder's clock runs `lagUs` behind the
 * exchange's; the snapshot (when wanted) is received after the second diff, as a REST call made at
 * connection time is.
 */
export function binanceLines(
  h: SyntheticHistory,
  o: { unit?: StampUnit; snapshot?: boolean; lagUs?: number; bookTicker?: boolean } = {},
): string[] {
  const unit = o.unit ?? 'ns';
  const lag = o.lagUs ?? 20_000;
  const out: string[] = [];
  const line = (recvUs: number, json: unknown) =>
    out.push(unit === 'none' ? JSON.stringify(json) : `${stamp(recvUs, unit)} ${JSON.stringify(json)}`);
  h.steps.forEach((s, i) => {
    const E = Math.floor(s.timeUs / 1000);
    for (const t of s.trades) {
      line(s.timeUs - 50_000 + lag, {
        stream: 'btcusdt@trade',
        data: {
          e: 'trade',
          E,
          s: 'BTCUSDT',
          t: t.id,
          p: dec(t.price),
          q: dec(t.qty),
          T: E - 50,
          m: t.isBuyerMaker,
          M: true,
        },
      });
    }
    if (o.bookTicker !== false) {
      line(s.timeUs - 1_000 + lag, {
        stream: 'btcusdt@bookTicker',
        data: {
          u: s.lastUpdateId,
          s: 'BTCUSDT',
          b: dec(s.bestBid[0]),
          B: dec(s.bestBid[1]),
          a: dec(s.bestAsk[0]),
          A: dec(s.bestAsk[1]),
        },
      });
    }
    line(s.timeUs + lag, {
      stream: 'btcusdt@depth@100ms',
      data: {
        e: 'depthUpdate',
        E,
        s: 'BTCUSDT',
        U: s.firstUpdateId,
        u: s.lastUpdateId,
        b: pairs(s.bids),
        a: pairs(s.asks),
      },
    });
    if (i === 1 && o.snapshot !== false) {
      line(s.timeUs + lag + 10_000, {
        lastUpdateId: h.snapshot.lastUpdateId,
        bids: pairs(h.snapshot.bids),
        asks: pairs(h.snapshot.asks),
      });
    }
  });
  return out;
}

/** tardis.dev CSV: the incremental_book_L2 file (snapshot rows first) and the trades file. */
export function tardisCsv(h: SyntheticHistory): { book: string[]; trades: string[] } {
  const book = ['exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount'];
  const t0 = h.startUs;
  for (const [p, q] of h.snapshot.asks) book.push(`binance,BTCUSDT,${t0},${t0},true,ask,${dec(p)},${dec(q)}`);
  for (const [p, q] of h.snapshot.bids) book.push(`binance,BTCUSDT,${t0},${t0},true,bid,${dec(p)},${dec(q)}`);
  const trades = ['exchange,symbol,timestamp,local_timestamp,id,side,price,amount'];
  for (const s of h.steps) {
    const local = s.timeUs + 20_000;
    for (const [p, q] of s.bids)
      book.push(`binance,BTCUSDT,${s.timeUs},${local},false,bid,${dec(p)},${dec(q)}`);
    for (const [p, q] of s.asks)
      book.push(`binance,BTCUSDT,${s.timeUs},${local},false,ask,${dec(p)},${dec(q)}`);
    for (const t of s.trades)
      trades.push(
        `binance,BTCUSDT,${s.timeUs - 50_000},${s.timeUs - 30_000},${t.id},${t.isBuyerMaker ? 'sell' : 'buy'},${dec(t.price)},${dec(t.qty)}`,
      );
  }
  return { book, trades };
}
