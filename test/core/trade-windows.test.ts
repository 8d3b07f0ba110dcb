import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdContinuity, IdContinuitySnapshotError } from '../../core/sequence/id-continuity.ts';
import {
  BUCKET_US,
  InvalidTradeError,
  InvalidWindowError,
  RING_BUCKETS,
  TRADE_WINDOWS_MS,
  type TradeInput,
  TradeWindows,
  TradeWindowsSnapshotError,
  type WindowStats,
} from '../../core/trades/trade-windows.ts';
import { hasSharedData, sharedDataPath } from '../support/shared-data.ts';

const T0 = 1_723_161_255_000_000; // 2024-08-08T23:54:15Z in µs, on the 100 ms grid

/** Trades in id order with non-decreasing times; steps land on, just before and just after bucket edges. */
const tradeList = (maxLength = 120) =>
  fc
    .array(
      fc.record({
        dtUs: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 1, max: 3_000 }),
          fc.integer({ min: 0, max: 20 }).map((k) => k * BUCKET_US),
          fc.integer({ min: 1, max: 2_000_000 }),
        ),
        cents: fc.integer({ min: 6_100_000, max: 6_200_000 }),
        qtyUnits: fc.integer({ min: 1, max: 500_000_000 }),
        isBuyerMaker: fc.boolean(),
      }),
      { minLength: 1, maxLength, size: 'max' },
    )
    .map((rows) => {
      let timeUs = T0 + 1;
      return rows.map((r, i): TradeInput => {
        timeUs += r.dtUs;
        return {
          id: 3_735_683_259 + i,
          timeUs,
          price: r.cents / 100,
          qty: r.qtyUnits / 1e8,
          isBuyerMaker: r.isBuyerMaker,
        };
      });
    });

/** The definition, recomputed from the raw list: trades with ceil(t / 100 ms) in the window's buckets. */
function naiveStats(trades: readonly TradeInput[], windowMs: number, nowUs: number): WindowStats {
  const end = Math.ceil(nowUs / BUCKET_US);
  const first = end - windowMs / 100 + 1;
  const inside = trades.filter((t) => {
    const b = Math.ceil(t.timeUs / BUCKET_US);
    return b >= first && b <= end;
  });
  const units = (q: number) => Math.round(q * 1e8);
  const qty = inside.reduce((s, t) => s + units(t.qty), 0);
  const buy = inside.filter((t) => !t.isBuyerMaker).reduce((s, t) => s + units(t.qty), 0);
  const notional = inside.reduce((s, t) => s + BigInt(Math.round(t.price * t.qty * 1e8)), 0n);
  const last = inside.reduce<TradeInput | undefined>(
    (a, t) => (a === undefined || t.id > a.id ? t : a),
    undefined,
  );
  const newest = Math.max(...trades.map((t) => Math.ceil(t.timeUs / BUCKET_US)));
  const firstTime = Math.min(...trades.map((t) => t.timeUs));
  const empty = inside.length === 0;
  return {
    windowMs,
    endTimeUs: end * BUCKET_US,
    count: inside.length,
    volume: qty / 1e8,
    buyVolume: buy / 1e8,
    sellVolume: (qty - buy) / 1e8,
    vwap: empty ? Number.NaN : Number(notional) / qty,
    last: last ? last.price : Number.NaN,
    high: empty ? Number.NaN : Math.max(...inside.map((t) => t.price)),
    low: empty ? Number.NaN : Math.min(...inside.map((t) => t.price)),
    lastTradeId: last ? last.id : Number.NaN,
    complete: firstTime <= (first - 1) * BUCKET_US && first > newest - RING_BUCKETS,
  };
}

/** Query times: on the grid, off it, at the last trade and beyond, including partial warm-up. */
function queryTimes(trades: readonly TradeInput[], offsets: readonly number[]): number[] {
  const last = (trades[trades.length - 1] as TradeInput).timeUs;
  return [last, Math.ceil(last / BUCKET_US) * BUCKET_US, ...offsets.map((o) => last - 3_000_000 + o)];
}

function allWindows(w: TradeWindows, times: readonly number[]): WindowStats[] {
  return times.flatMap((now) => TRADE_WINDOWS_MS.map((ms) => w.stats(ms, now)));
}

describe('TradeWindows', () => {
  it('equals a naive recomputation over the raw trade list, for every window and time', () => {
    fc.assert(
      fc.property(
        tradeList(),
        fc.array(fc.integer({ min: 0, max: 70_000_000 }), { maxLength: 6 }),
        (trades, offsets) => {
          const w = new TradeWindows();
          expect(w.addBatch(trades)).toEqual({ added: trades.length, duplicate: 0, tooOld: 0 });
          for (const now of queryTimes(trades, offsets)) {
            for (const ms of [...TRADE_WINDOWS_MS, 100, 2_500])
              expect(w.stats(ms, now)).toEqual(naiveStats(trades, ms, now));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never changes its statistics for duplicate deliveries', () => {
    fc.assert(
      fc.property(tradeList(), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 }), (trades, dups) => {
        // Each duplicate is a copy of trade i re-delivered somewhere after its first delivery.
        const deliveries: TradeInput[] = [...trades];
        for (const [pick, shift] of dups) {
          const i = pick % trades.length;
          const at = i + 1 + (shift % (deliveries.length - i));
          deliveries.splice(at, 0, { ...(trades[i] as TradeInput) });
        }
        const once = new TradeWindows();
        once.addBatch(trades);
        const twice = new TradeWindows();
        const result = twice.addBatch(deliveries);
        expect(result).toEqual({ added: trades.length, duplicate: dups.length, tooOld: 0 });
        const times = queryTimes(trades, [0, 1_500_000, 2_999_999]);
        expect(allWindows(twice, times)).toEqual(allWindows(once, times));
        expect(twice.toJSON().buckets).toEqual(once.toJSON().buckets);
      }),
      { numRuns: 150 },
    );
  });

  it('gives bit-identical statistics whatever the order of same-timestamp deliveries and duplicates', () => {
    fc.assert(
      fc.property(
        tradeList(),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (trades, keys, dups) => {
          // Deliveries: every trade once plus some copies; then each same-timestamp group is shuffled.
          // The very first delivery stays the lowest id: the first id seen fixes where the stream starts.
          const deliveries: TradeInput[] = [
            ...trades,
            ...dups.map((d) => ({ ...(trades[d % trades.length] as TradeInput) })),
          ];
          const key = (i: number) => keys[i % Math.max(1, keys.length)] ?? i;
          const order = deliveries.map((t, i) => ({ t, k: key(i) }));
          order.sort(
            (a, b) =>
              a.t.timeUs - b.t.timeUs ||
              (a.t.id === trades[0]?.id ? -1 : b.t.id === trades[0]?.id ? 1 : a.k - b.k),
          );
          const shuffled = new TradeWindows();
          shuffled.addBatch(order.map((o) => o.t));
          const inOrder = new TradeWindows();
          inOrder.addBatch(trades);
          const times = queryTimes(trades, [0, 2_000_000]);
          // toEqual compares numbers with Object.is: bit-identical, NaN included.
          expect(allWindows(shuffled, times)).toEqual(allWindows(inOrder, times));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('behaves identically after a JSON round trip at any point of the stream', () => {
    fc.assert(
      fc.property(tradeList(), fc.nat(), (trades, splitPick) => {
        const split = splitPick % (trades.length + 1);
        const original = new TradeWindows();
        original.addBatch(trades.slice(0, split));
        const restored = TradeWindows.fromJSON(JSON.parse(JSON.stringify(original)));
        expect(restored.toJSON()).toEqual(original.toJSON());
        // Continue both with the rest plus a duplicate of everything, then compare behaviour.
        const rest = [...trades.slice(split), ...trades];
        expect(rest.map((t) => restored.add(t))).toEqual(rest.map((t) => original.add(t)));
        const times = queryTimes(trades, [0, 700_001, 2_999_999]);
        expect(allWindows(restored, times)).toEqual(allWindows(original, times));
        expect(restored.toJSON()).toEqual(original.toJSON());
        expect(restored.lastTradeId).toBe(original.lastTradeId);
      }),
      { numRuns: 150 },
    );
  });

  it('computes a hand-checked example (taker side, VWAP, last by id, window edges)', () => {
    const w = new TradeWindows();
    const now = T0 + 10_000_000;
    // isBuyerMaker: true means the buyer rested, so the taker SOLD.
    w.addBatch([
      { id: 1, timeUs: now - 1_000_000, price: 100, qty: 5, isBuyerMaker: false }, // exactly now - 1 s: outside 1 s
      { id: 2, timeUs: now - 999_999, price: 101, qty: 1, isBuyerMaker: false }, // taker bought
      { id: 3, timeUs: now - 500_000, price: 103, qty: 3, isBuyerMaker: true }, // taker sold
      { id: 4, timeUs: now, price: 102, qty: 0.5, isBuyerMaker: false }, // exactly now: inside
    ]);
    const s1 = w.stats(1000, now);
    expect(s1).toEqual({
      windowMs: 1000,
      endTimeUs: now,
      count: 3,
      volume: 4.5,
      buyVolume: 1.5,
      sellVolume: 3,
      vwap: (101 * 1 + 103 * 3 + 102 * 0.5) / 4.5,
      last: 102,
      high: 103,
      low: 101,
      lastTradeId: 4,
      complete: true,
    });
    const s5 = w.stats(5000, now);
    expect([s5.count, s5.volume, s5.buyVolume, s5.vwap]).toEqual([4, 9.5, 6.5, (500 + 101 + 309 + 51) / 9.5]);
    // The first trade seen (now - 1 s) lies after the 5 s window's start: not observed from its start.
    expect(s5.complete).toBe(false);
    expect(w.stats(60_000, now).complete).toBe(false); // not observed since now - 60 s
    expect(w.allStats(now)['1s']).toEqual(s1);
    const empty = w.stats(1000, now + 5_000_000);
    expect([empty.count, empty.volume, empty.vwap, empty.last, empty.high, empty.low]).toEqual([
      0,
      0,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });

  it('counts trades too old for the ring and keeps duplicates out', () => {
    const w = new TradeWindows();
    const base = { price: 100, qty: 1, isBuyerMaker: false };
    expect(w.add({ ...base, id: 10, timeUs: T0 + 70_000_000 })).toBe('added');
    expect(w.add({ ...base, id: 10, timeUs: T0 + 70_000_000 })).toBe('duplicate');
    expect(w.add({ ...base, id: 12, timeUs: T0 + 70_000_000 })).toBe('added');
    // Id 11 fills the hole but its time lies more than 64 s before the newest bucket.
    expect(w.add({ ...base, id: 11, timeUs: T0 })).toBe('too-old');
    expect(w.add({ ...base, id: 9, timeUs: T0 + 70_000_000 })).toBe('duplicate'); // before the first id seen
    expect(w.totals).toEqual({ added: 2, duplicate: 2, tooOld: 1 });
    expect(w.stats(1000, T0 + 70_000_000).count).toBe(2);
    expect(w.lastTradeId).toBe(12);
  });

  it('keeps a compact snapshot: only non-empty buckets', () => {
    const w = new TradeWindows();
    for (let i = 0; i < 50; i++)
      w.add({ id: i, timeUs: T0 + i * 1_000_000, price: 100 + i, qty: 0.1, isBuyerMaker: i % 2 === 0 });
    const snapshot = w.toJSON();
    expect(snapshot.buckets).toHaveLength(50);
    expect(JSON.stringify(snapshot).length).toBeLessThan(4_000);
  });

  it('rejects bad input with typed errors', () => {
    const w = new TradeWindows();
    expect(() => w.add({ id: 1, timeUs: T0, price: Number.NaN, qty: 1, isBuyerMaker: true })).toThrow(
      InvalidTradeError,
    );
    expect(() => w.add({ id: 1, timeUs: T0, price: 1, qty: 0, isBuyerMaker: true })).toThrow(
      InvalidTradeError,
    );
    expect(() => w.add({ id: 1.5, timeUs: T0, price: 1, qty: 1, isBuyerMaker: true })).toThrow(
      InvalidTradeError,
    );
    expect(() => w.stats(1050, T0)).toThrow(InvalidWindowError);
    expect(() => w.stats(61_000, T0)).toThrow(InvalidWindowError);
    expect(() => TradeWindows.fromJSON({ v: 2 })).toThrow(TradeWindowsSnapshotError);
    const good = JSON.parse(JSON.stringify(w));
    expect(() => TradeWindows.fromJSON({ ...good, buckets: [[1, 2]] })).toThrow(TradeWindowsSnapshotError);
  });
});

describe('IdContinuity serialization', () => {
  it('gives the same verdicts after a JSON round trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 150 }),
        fc.nat(),
        (ids, splitPick) => {
          const split = splitPick % (ids.length + 1);
          const a = new IdContinuity();
          for (const id of ids.slice(0, split)) a.accept(id, id);
          const b = IdContinuity.fromJSON(JSON.parse(JSON.stringify(a)));
          expect(b.toJSON()).toEqual(a.toJSON());
          for (const id of ids.slice(split)) expect(b.accept(id, id)).toEqual(a.accept(id, id));
          expect(b.lastId).toBe(a.lastId);
        },
      ),
    );
    expect(() => IdContinuity.fromJSON({ last: 5, holes: [[7, 9]] })).toThrow(IdContinuitySnapshotError);
  });
});

const TRADES_CSV = 'trades/spot_btcusdt_20240808-09_trades.csv.gz';

describe.skipIf(!hasSharedData('trade windows on the 2024 trades', TRADES_CSV))(
  'TradeWindows on the 2024-08-08/09 trades',
  () => {
    it('counts the 19,904 recorded trades once each and matches the naive definition', () => {
      const lines = gunzipSync(readFileSync(sharedDataPath(TRADES_CSV)))
        .toString('utf8')
        .trim()
        .split('\n')
        .slice(1);
      const trades: TradeInput[] = lines.map((line) => {
        const [, , tradeTimeMs, id, price, qty, maker] = line.split(',');
        return {
          id: Number(id),
          timeUs: Number(tradeTimeMs) * 1000,
          price: Number(price),
          qty: Number(qty),
          isBuyerMaker: maker === 'true',
        };
      });
      const w = new TradeWindows();
      // Delivered twice in halves, as an at-least-once stream would.
      const half = trades.length >> 1;
      w.addBatch([...trades.slice(0, half), ...trades.slice(0, half + 100), ...trades.slice(half)]);
      expect(w.totals).toEqual({ added: 19_904, duplicate: half + 100, tooOld: 0 });
      const last = (trades[trades.length - 1] as TradeInput).timeUs;
      const recent = trades.filter((t) => t.timeUs > last - 61_000_000);
      for (const now of [last, last - 2_000_000, Math.floor(last / 2e6) * 2e6]) {
        for (const ms of TRADE_WINDOWS_MS) {
          const got = w.stats(ms, now);
          const want = naiveStats(recent, ms, now);
          expect({ ...got, complete: true }).toEqual({ ...want, complete: true });
          expect(got.complete).toBe(true);
        }
      }
    });
  },
);
