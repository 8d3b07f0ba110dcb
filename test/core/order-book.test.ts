import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
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
