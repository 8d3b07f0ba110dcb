import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mantissaToNumber, parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { BookSide, CACHED_TOP_LEVELS } from '../../core/book/book-side.ts';
import { type BookDiff, type Level, OrderBook } from '../../core/book/order-book.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

const level = fc.tuple(
  fc.integer({ min: 1, max: 60 }).map((t) => t * 1_000_000),
  fc.integer({ min: 0, max: 5 }),
);

describe('OrderBook', () => {
  it('matches a plain map model under any sequence of level updates, sorted best first', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), level), { maxLength: 300 }), (updates) => {
        const book = OrderBook.fromSnapshot(1, [], []);
        const model = { bids: new Map<number, number>(), asks: new Map<number, number>() };
        let id = 1;
        for (const [isBid, [p, q]] of updates) {
          id++;
          book.apply({
            firstUpdateId: id,
            lastUpdateId: id,
            bids: isBid ? [[p, q]] : [],
            asks: isBid ? [] : [[p, q]],
          });
          const side = isBid ? model.bids : model.asks;
          if (q === 0) side.delete(p);
          else side.set(p, q);
        }
        const sorted = (m: Map<number, number>, desc: boolean) =>
          [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
        expect(book.bids.top(1000)).toEqual(sorted(model.bids, true));
        expect(book.asks.top(1000)).toEqual(sorted(model.asks, false));
        expect(book.updateId).toBe(id);
      }),
    );
  });

  it('keeps any number of levels in order and reads the top in numbers as a reference model does', () => {
    // Deep books (past the initial capacity), moves near the top and far from it, reads in between
    // so the cached numeric top must follow every insert and delete.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        price: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3000 })),
        qty: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e9 })),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        depth: fc.integer({ min: 0, max: CACHED_TOP_LEVELS + 8 }),
      }),
      fc.record({
        kind: fc.constant('load' as const),
        levels: fc.array(fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 600,
        }),
      }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 1500 }), (descending, ops) => {
        const side = new BookSide(descending);
        const model = new Map<number, number>();
        const sorted = () => [...model.entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
        for (const o of ops) {
          if (o.kind === 'set') {
            side.set(o.price * 100_000_000, o.qty);
            if (o.qty === 0) model.delete(o.price * 100_000_000);
            else model.set(o.price * 100_000_000, o.qty);
          } else if (o.kind === 'load') {
            side.load(o.levels.map(([p, q]) => [p * 100_000_000, q]));
            model.clear();
            for (const [p, q] of o.levels) {
              if (q === 0) model.delete(p * 100_000_000);
              else model.set(p * 100_000_000, q);
            }
          } else {
            const expected = sorted()
              .slice(0, o.depth)
              .map(([p, q]) => [mantissaToNumber(p, -8), mantissaToNumber(q, -8)]);
            expect(side.topNumbers(o.depth, -8, -8)).toEqual(expected);
          }
        }
        const all = sorted();
        expect(side.size).toBe(all.length);
        expect(side.top(all.length + 1)).toEqual(all);
        expect(side.best()).toBe(all[0]?.[0]);
        for (const [p, q] of all.slice(0, 50)) expect(side.quantity(p)).toBe(q);
        expect(side.quantity(0.5)).toBe(0);
        expect(side.priceAt(all.length)).toBeUndefined();
        // Another exponent converts afresh rather than reusing the -8 tuples.
        expect(side.topNumbers(3, -2, 0)).toEqual(
          all.slice(0, 3).map(([p, q]) => [mantissaToNumber(p, -2), mantissaToNumber(q, 0)]),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('applies by Binance rule: old diffs ignored, a gap refused, the overlap after a snapshot applied', () => {
    const book = OrderBook.fromSnapshot(100, [[10, 1]], [[20, 1]]);
    const diff = (U: number, u: number): BookDiff => ({
      firstUpdateId: U,
      lastUpdateId: u,
      bids: [[11, 1]],
      asks: [],
    });
    expect(book.apply(diff(90, 100))).toBe('old');
    expect(book.apply(diff(95, 105))).toBe('apply'); // U <= L+1 <= u
    expect(book.apply(diff(107, 110))).toBe('gap');
    expect(book.updateId).toBe(105);
    expect(book.apply(diff(106, 106))).toBe('apply');
  });

  it('detects a crossed book', () => {
    expect(OrderBook.fromSnapshot(1, [[10, 1]], [[11, 1]]).isCrossed()).toBe(false);
    expect(OrderBook.fromSnapshot(1, [[11, 1]], [[11, 1]]).isCrossed()).toBe(true);
  });
});

const SNAPSHOT = 'depth/spot_btcusdt_20240808-09_rest_snapshot_limit1000.json';
const levels = (raw: [string, string][]): Level[] =>
  raw.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)]);

describe.skipIf(!hasSharedData('order book on the 2024 recording', SNAPSHOT, ...RECORDING_2024))(
  'OrderBook on the 2024-08-08/09 recording',
  () => {
    it('syncs as Binance prescribes and tracks bookTicker at essentially every point', async () => {
      const snapshot = JSON.parse(readFileSync(sharedDataPath(SNAPSHOT), 'utf8'));
      const book = OrderBook.fromSnapshot(
        snapshot.lastUpdateId,
        levels(snapshot.bids),
        levels(snapshot.asks),
      );
      const diffs: BookDiff[] = [];
      const tickers: { u: number; top: [number, number, number, number] }[] = [];
      for (const file of RECORDING_2024) {
        for await (const line of readRecording(sharedDataPath(file))) {
          const data = line.payload as Record<string, unknown>;
          if (data.e === 'depthUpdate') {
            diffs.push({
              firstUpdateId: data.U as number,
              lastUpdateId: data.u as number,
              bids: levels(data.b as [string, string][]),
              asks: levels(data.a as [string, string][]),
            });
          } else if (line.stream.endsWith('@bookTicker')) {
            const m = (k: string) => parseDecimalMantissa(data[k] as string, -8);
            tickers.push({ u: data.u as number, top: [m('b'), m('B'), m('a'), m('A')] });
          }
        }
      }
      tickers.sort((a, b) => a.u - b.u);
      /** The bookTicker with the greatest u <= id (the recording's README method). */
      const tickerAt = (id: number) => {
        let lo = 0;
        let hi = tickers.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if ((tickers[mid] as (typeof tickers)[number]).u <= id) lo = mid;
          else hi = mid - 1;
        }
        return tickers[lo]?.u !== undefined && (tickers[lo] as (typeof tickers)[number]).u <= id
          ? tickers[lo]
          : undefined;
      };
      const verdicts: string[] = [];
      let compared = 0;
      let matched = 0;
      let crossed = 0;
      for (const diff of diffs) {
        const verdict = book.apply(diff);
        verdicts.push(verdict);
        if (verdict !== 'apply') continue;
        if (book.isCrossed()) crossed++;
        const ticker = tickerAt(book.updateId);
        if (!ticker) continue;
        compared++;
        const [bid] = book.bids.top(1);
        const [ask] = book.asks.top(1);
        if ([bid?.[0], bid?.[1], ask?.[0], ask?.[1]].every((v, k) => v === ticker.top[k])) matched++;
      }
      // The recording's README: diffs #0 and #1 end at or before the snapshot, #2 is the first applied,
      // and the remaining 6,493 continue without a gap.
      expect(verdicts.slice(0, 3)).toEqual(['old', 'old', 'apply']);
      expect(verdicts.filter((v) => v === 'apply')).toHaveLength(6493);
      expect(verdicts).not.toContain('gap');
      expect(crossed).toBe(0);
      expect(compared).toBe(6493);
      expect(matched / compared).toBeGreaterThanOrEqual(0.999);
    });
  },
);

describe('syncFromSnapshot', () => {
  const d = (U: number, u: number, price = U): BookDiff => ({
    firstUpdateId: U,
    lastUpdateId: u,
    bids: [[price, 1]],
    asks: [],
  });

  it('discards diffs at or before the snapshot and applies the rest from the one containing id+1', async () => {
    const { syncFromSnapshot } = await import('../../core/book/sync-from-snapshot.ts');
    const outcome = syncFromSnapshot({ lastUpdateId: 218, bids: [], asks: [] }, [
      d(189, 202),
      d(203, 207),
      d(208, 224),
      d(225, 230),
    ]);
    expect(outcome).toMatchObject({ status: 'synced', applied: 2, discarded: 2 });
    if (outcome.status === 'synced') expect(outcome.book.updateId).toBe(230);
  });

  it('asks for a newer snapshot when the diffs start after it, or when one is missing after it', async () => {
    const { syncFromSnapshot } = await import('../../core/book/sync-from-snapshot.ts');
    expect(syncFromSnapshot({ lastUpdateId: 100, bids: [], asks: [] }, [d(150, 160)])).toEqual({
      status: 'snapshot-too-old',
      snapshotId: 100,
      firstDiffId: 150,
    });
    expect(syncFromSnapshot({ lastUpdateId: 100, bids: [], asks: [] }, [d(95, 105), d(110, 120)])).toEqual({
      status: 'gap',
      expectedId: 106,
      receivedId: 110,
    });
    expect(syncFromSnapshot({ lastUpdateId: 100, bids: [[5, 1]], asks: [] }, [])).toMatchObject({
      status: 'synced',
    });
  });
});
