import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import type { JsonDepthUpdate, JsonTrade } from '../../core/binance/json-stream.ts';
import { type Level, OrderBook } from '../../core/book/order-book.ts';
import {
  type BookTop,
  bookTopFromSides,
  computeFeatures,
  FEATURE_NAMES,
  FEATURE_VERSION,
  type FeatureName,
  FeatureState,
  FeatureStateSnapshotError,
  type FeatureVector,
  FeatureVectorFormatError,
  featureValue,
  featureVectorFromJSON,
  featureVectorToJSON,
  GRID_US,
  InvalidBookUpdateError,
  LabelInputError,
  labelAt,
  type MidPoint,
  midAsOf,
  missingFeatures,
  orderFlow,
  pairWithLabels,
  withTradeFeatures,
} from '../../core/features/index.ts';
import { type TradeInput, TradeWindows } from '../../core/trades/trade-windows.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

const T0 = 1_723_161_300_000_000; // on the 2 s grid
const S = 1_000_000;
const EMPTY: BookTop = { bids: [], asks: [] };
const top1 = (bid: number, bidQty: number, ask: number, askQty: number): BookTop => ({
  bids: [[bid, bidQty]],
  asks: [[ask, askQty]],
});
const f = (v: FeatureVector, name: FeatureName) => featureValue(v, name);

describe('book features (hand-checked)', () => {
  it('computes imbalance 0.5, microprice minus mid and spread on a one-level book', () => {
    const v = computeFeatures(new FeatureState(), top1(100, 3, 101, 1), new TradeWindows(), T0);
    expect(f(v, 'imbalance_l1')).toBe(0.5); // (3 - 1) / (3 + 1)
    // microprice = (101 * 3 + 100 * 1) / 4 = 100.75, mid = 100.5
    expect(f(v, 'microprice_minus_mid_bp')).toBeCloseTo((0.25 / 100.5) * 1e4, 12);
    expect(f(v, 'spread_bp')).toBeCloseTo((1 / 100.5) * 1e4, 12);
    // Fewer than 5 levels, and no history at all: NaN, never 0.
    expect(missingFeatures(v)).toEqual(
      FEATURE_NAMES.filter((n) => !['imbalance_l1', 'microprice_minus_mid_bp', 'spread_bp'].includes(n)),
    );
  });

  it('computes imbalance over 5 levels and leaves 10 levels NaN when the book is 5 deep', () => {
    const book: BookTop = {
      bids: [0.5, 0.25, 0.25, 0.25, 0.25].map((q, i): [number, number] => [100 - i, q]), // 1.5
      asks: [0.125, 0.125, 0.125, 0.0625, 0.0625].map((q, i): [number, number] => [101 + i, q]), // 0.5
    };
    const v = computeFeatures(new FeatureState(), book, new TradeWindows(), T0);
    expect(f(v, 'imbalance_l5')).toBe(0.5);
    expect(f(v, 'imbalance_l1')).toBe(0.6); // (0.5 - 0.125) / 0.625
    expect(f(v, 'imbalance_l10')).toBeNaN();
  });

  it('gives NaN book features for an empty side or a crossed book', () => {
    for (const book of [
      EMPTY,
      { bids: [[100, 1]], asks: [] } as BookTop,
      top1(101, 1, 100, 1),
      top1(100, 1, 100, 1),
    ]) {
      const v = computeFeatures(new FeatureState(), book, new TradeWindows(), T0);
      expect(missingFeatures(v)).toEqual([...FEATURE_NAMES]);
    }
  });

  it('converts book sides held in mantissas exactly', () => {
    const book = OrderBook.fromSnapshot(
      1,
      [[6_183_763_000_000, 378_826_000]],
      [[6_183_764_000_000, 154_698_000]],
    );
    expect(bookTopFromSides(book.bids, book.asks, -8, -8)).toEqual({
      bids: [[61837.63, 3.78826]],
      asks: [[61837.64, 1.54698]],
    });
  });
});

describe('order-flow imbalance (hand-checked)', () => {
  it('follows Cont–Kukanov–Stoikov per update', () => {
    expect(orderFlow([100, 2, 101, 2], [100, 3, 101, 2])).toBe(1); // bid size up at the same price
    expect(orderFlow([100, 3, 101, 2], [100.5, 1, 101, 2])).toBe(1); // bid improves: + new bid size
    expect(orderFlow([100.5, 1, 101, 2], [100.5, 1, 100.9, 4])).toBe(-4); // ask improves: - new ask size
    expect(orderFlow([100, 2, 101, 2], [99.5, 5, 101, 2])).toBe(-2); // bid level gone: - old bid size
  });

  it('sums e_n over the window and divides by the mean top size on the grid', () => {
    const s = new FeatureState();
    s.onBookTop(top1(100, 2, 101, 2), T0);
    s.onBookTop(top1(100, 3, 101, 2), T0 + 200_000); // e = +1
    s.onBookTop(top1(100.5, 1, 101, 2), T0 + 400_000); // e = +1
    s.onBookTop(top1(100.5, 1, 100.9, 4), T0 + 600_000); // e = -4
    // Grid points T0+100ms..T0+1s carry qb + qa = 4, 5, 5, 3, 3, 5, 5, 5, 5, 5 (sum 45): mean top size
    // (qb + qa) / 2 = 2.25, so OFI(1 s) = -2 / 2.25.
    expect(s.ofi(1000, T0 + S)).toBe(-2 / 2.25);
    const v = computeFeatures(s, top1(100.5, 1, 100.9, 4), new TradeWindows(), T0 + S + 50_000);
    expect(v.eventTimeUs).toBe(T0 + S); // floored to the 100 ms grid
    expect(f(v, 'ofi_1s')).toBe(-2 / 2.25);
    expect(f(v, 'ofi_5s')).toBeNaN(); // book not observed since T - 5 s
    // Later, with no update for a whole second: no flow, and the carried-forward size normalises it.
    expect(s.ofi(1000, T0 + 3 * S)).toBe(0);
    // 5 s: grid sizes 4, 5, 5, 3, 3 then 45 times 5 (sum 245), mean top size 245 / 100.
    expect(s.ofi(5000, T0 + 5 * S)).toBe(-200 / 245);
  });
});

describe('trade features (hand-checked)', () => {
  const trades = new TradeWindows();
  const T = T0 + 60 * S;
  trades.addBatch([
    { id: 1, timeUs: T - 30 * S, price: 100, qty: 1, isBuyerMaker: true }, // at the 30 s window's open edge
    { id: 2, timeUs: T - 500_000, price: 100, qty: 3, isBuyerMaker: false }, // taker buy 3
    { id: 3, timeUs: T - 200_000, price: 100, qty: 1, isBuyerMaker: true }, // taker sell 1
  ]);

  it('computes trade-flow imbalance and counts over observed windows only', () => {
    const v = computeFeatures(new FeatureState(), EMPTY, trades, T);
    expect([f(v, 'tfi_1s'), f(v, 'tfi_5s'), f(v, 'tfi_10s'), f(v, 'tfi_30s')]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([f(v, 'trade_count_1s'), f(v, 'trade_count_10s')]).toEqual([2, 2]);
    expect(f(v, 'trade_count_60s')).toBeNaN(); // the first trade is not 60 s before T
  });

  it('reports an observed window without trades as no flow (0), not as missing', () => {
    const v = computeFeatures(new FeatureState(), EMPTY, trades, T + 2 * S);
    expect([f(v, 'tfi_1s'), f(v, 'trade_count_1s')]).toEqual([0, 0]);
  });

  it('completes a vector with later trades exactly as if they had been there when it was computed', () => {
    const state = new FeatureState();
    state.onBookTop(top1(100, 1, 101, 2), T - 20 * S);
    const book = top1(100, 1, 101, 3);
    const early = TradeWindows.fromJSON(trades.toJSON());
    const later = TradeWindows.fromJSON(trades.toJSON());
    later.add({ id: 4, timeUs: T - 100_000, price: 100, qty: 2, isBuyerMaker: false }); // in (T - 1 s, T]
    later.add({ id: 5, timeUs: T + 50_000, price: 100, qty: 9, isBuyerMaker: true }); // after T: not in
    const completed = withTradeFeatures(computeFeatures(state, book, early, T), later);
    const direct = computeFeatures(state, book, later, T);
    expect(Array.from(completed.values)).toEqual(Array.from(direct.values));
    expect(completed.eventTimeUs).toBe(T);
    expect(f(completed, 'trade_count_1s')).toBe(3);
    expect(f(completed, 'tfi_1s')).toBe(4 / 6);
  });
});

describe('mid-price returns and realised volatility (hand-checked)', () => {
  // One update per second; the spread is one cent around mids that wander.
  const mids = Array.from({ length: 61 }, (_, j) => 61_800 + ((j * 37) % 11) - 5 + (j % 2) * 0.01);
  const midOf = (m: number) => (m - 0.005 + (m + 0.005)) / 2;
  const state = new FeatureState();
  for (const [j, m] of mids.entries()) state.onBookTop(top1(m - 0.005, 1, m + 0.005, 1), T0 + j * S);

  it('takes the mid as of each grid point, carried forward', () => {
    expect(state.midAt(T0 - 1)).toBeNaN();
    expect(state.midAt(T0)).toBe(midOf(mids[0] as number));
    expect(state.midAt(T0 + S - 1)).toBe(midOf(mids[0] as number));
    expect(state.midAt(T0 + S)).toBe(midOf(mids[1] as number));
    expect(state.midAt(T0 + 90 * S)).toBe(midOf(mids[60] as number));
  });

  it('computes log returns in bp over 1-60 s and NaN without enough history', () => {
    const m = (j: number) => midOf(mids[j] as number);
    const v = computeFeatures(state, EMPTY, new TradeWindows(), T0 + 60 * S);
    expect(f(v, 'ret_1s_bp')).toBe(1e4 * Math.log(m(60) / m(59)));
    expect(f(v, 'ret_5s_bp')).toBe(1e4 * Math.log(m(60) / m(55)));
    expect(f(v, 'ret_60s_bp')).toBe(1e4 * Math.log(m(60) / m(0)));
    let sum10 = 0;
    for (let j = 60; j > 50; j--) sum10 += Math.log(m(j) / m(j - 1)) ** 2;
    expect(f(v, 'rv_10s_bp')).toBeCloseTo(1e4 * Math.sqrt(sum10), 9);
    let sum60 = 0;
    for (let j = 60; j > 0; j--) sum60 += Math.log(m(j) / m(j - 1)) ** 2;
    expect(f(v, 'rv_60s_bp')).toBeCloseTo(1e4 * Math.sqrt(sum60), 9);
    const early = computeFeatures(state, EMPTY, new TradeWindows(), T0 + 30 * S);
    expect(f(early, 'ret_30s_bp')).toBe(1e4 * Math.log(m(30) / m(0)));
    expect([f(early, 'ret_60s_bp'), f(early, 'rv_60s_bp')]).toEqual([Number.NaN, Number.NaN]);
  });

  it('applies a late update at the latest time seen and counts it', () => {
    const s = new FeatureState();
    s.onBookTop(top1(100, 1, 101, 1), T0 + S);
    s.onBookTop(top1(102, 1, 103, 1), T0); // older than the previous update
    expect(s.lateUpdates).toBe(1);
    expect(s.midAt(T0 + S)).toBe(102.5);
    expect(() => s.onBookTop(EMPTY, 1.5)).toThrow(InvalidBookUpdateError);
  });

  it('marks returns through an update with an empty side as NaN', () => {
    const s = new FeatureState();
    s.onBookTop(top1(100, 1, 101, 1), T0);
    s.onBookTop(EMPTY, T0 + 500_000);
    s.onBookTop(top1(100, 1, 101, 1), T0 + S);
    expect(s.midAt(T0 + 600_000)).toBeNaN();
    expect(Math.log(s.midAt(T0 + S) / s.midAt(T0))).toBe(0);
  });
});

describe('time-averaged imbalance (hand-checked)', () => {
  // Top sizes change every 500 ms: bid 3 / ask 1 (imbalance 0.5), then 1 / 1 (0), alternately.
  const state = new FeatureState();
  for (let j = 0; j < 40; j++) {
    const bidQty = j % 2 === 0 ? 3 : 1;
    state.onBookTop(top1(100, bidQty, 101, 1), T0 + j * 500_000);
  }
  const at = T0 + 12 * S;

  it('averages the level-1 imbalance over the grid points of the last 2 s', () => {
    // Grid points (T - 2 s, T]: 20 of them, 5 per half second, alternating 0 (from T0 + 10 s) and 0.5.
    const v = computeFeatures(state, top1(100, 3, 101, 1), new TradeWindows(), at);
    let sum = 0;
    for (let k = 1; k <= 20; k++) {
      const t = at - 2 * S + k * 100_000;
      const j = Math.floor((t - T0) / 500_000);
      sum += j % 2 === 0 ? 0.5 : 0;
    }
    expect(f(v, 'imbalance_l1_avg_2s')).toBeCloseTo(sum / 20, 12);
    expect(f(v, 'imbalance_l1_avg_2s')).toBeCloseTo(0.25, 12);
  });

  it('is NaN before its window was observed and with fewer than 10 levels', () => {
    expect(state.imbalanceAverage(1, 2000, T0 + S)).toBeNaN();
    // A one-level book has no 10-level imbalance.
    expect(state.imbalanceAverage(10, 10_000, at)).toBeNaN();
  });

  it('restores a snapshot saved before these features existed: unknown until a window is observed again', () => {
    const json = JSON.parse(JSON.stringify(state.toJSON()));
    delete json.currentImbalance;
    delete json.imbalancesFrom;
    delete json.imbalancesL1;
    delete json.imbalancesL10;
    const restored = FeatureState.fromJSON(json);
    expect(restored.imbalanceAverage(1, 2000, at)).toBeNaN();
    expect(restored.midAt(at)).toBe(state.midAt(at));
    for (let j = 40; j < 50; j++) restored.onBookTop(top1(100, 3, 101, 1), T0 + j * 500_000);
    expect(restored.imbalanceAverage(1, 2000, T0 + 24 * S)).toBeCloseTo(0.5, 12);
  });
});

describe('label', () => {
  const series: MidPoint[] = [
    { timeUs: 0, mid: 100 },
    { timeUs: 5 * S, mid: 101 },
    { timeUs: 10 * S, mid: 102 },
    { timeUs: 10 * S, mid: 103 }, // same time: the later point wins
    { timeUs: 12 * S, mid: 104 },
  ];

  it('is ln(mid(t + 10 s) / mid(t)), as of exact event times', () => {
    expect(midAsOf(series, -1)).toBeNaN();
    expect(midAsOf(series, 10 * S)).toBe(103);
    expect(labelAt(series, 0)).toBe(Math.log(103 / 100));
    expect(labelAt(series, 1)).toBe(Math.log(103 / 100));
    expect(labelAt(series, 2 * S)).toBe(Math.log(104 / 100));
    expect(labelAt(series, 2 * S + 1)).toBeNaN(); // t + 10 s is after the series was observed
    expect(labelAt(series, 2 * S + 1, 10 * S, 20 * S)).toBe(Math.log(104 / 100));
  });

  it('pairs samples with their label and leaves out those without one', () => {
    const samples = [0, S, 2 * S, 3 * S].map((eventTimeUs) => ({ eventTimeUs }));
    const pairs = pairWithLabels(samples, series);
    expect(pairs.map((p) => [p.sample.eventTimeUs, p.label, p.midNow, p.midAhead])).toEqual([
      [0, Math.log(103 / 100), 100, 103],
      [S, Math.log(103 / 100), 100, 103],
      [2 * S, Math.log(104 / 100), 100, 104],
    ]);
    expect(() => pairWithLabels(samples, [...series].reverse())).toThrow(LabelInputError);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties over synthetic streams.

type Ev =
  | { kind: 'book'; timeUs: number; top: BookTop }
  | { kind: 'trade'; timeUs: number; trade: TradeInput };

/** Feeds events in order; a vector every `tickUs` (before the first event past the tick). */
function replay(events: readonly Ev[], tickUs: number, roundTripAt = -1): FeatureVector[] {
  let state = new FeatureState();
  let trades = new TradeWindows();
  let top: BookTop = EMPTY;
  const out: FeatureVector[] = [];
  if (events.length === 0) return out;
  let tick = Math.ceil((events[0] as Ev).timeUs / tickUs) * tickUs;
  events.forEach((e, i) => {
    if (i === roundTripAt) {
      state = FeatureState.fromJSON(JSON.parse(JSON.stringify(state)));
      trades = TradeWindows.fromJSON(JSON.parse(JSON.stringify(trades)));
    }
    for (; e.timeUs > tick; tick += tickUs) out.push(computeFeatures(state, top, trades, tick));
    if (e.kind === 'book') {
      top = e.top;
      state.onBookTop(e.top, e.timeUs);
    } else trades.add(e.trade);
  });
  out.push(computeFeatures(state, top, trades, tick));
  return out;
}

const dt = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5_000 }),
  fc.integer({ min: 0, max: 10 }).map((k) => k * GRID_US),
  fc.integer({ min: 1, max: 1_500_000 }),
);

const bookTop: fc.Arbitrary<BookTop> = fc
  .record({
    bidCents: fc.integer({ min: 6_180_000, max: 6_180_040 }),
    spreadTicks: fc.integer({ min: 1, max: 3 }),
    qty: fc.array(fc.integer({ min: 1, max: 300_000_000 }), { minLength: 20, maxLength: 20 }),
    empty: fc.integer({ min: 0, max: 24 }),
  })
  .map(({ bidCents, spreadTicks, qty, empty }) => ({
    bids:
      empty === 0 ? [] : qty.slice(0, 10).map((q, k): [number, number] => [(bidCents - k) / 100, q / 1e8]),
    asks: qty.slice(10).map((q, k): [number, number] => [(bidCents + spreadTicks + k) / 100, q / 1e8]),
  }));

const stream = fc
  .array(
    fc.tuple(
      dt,
      fc.oneof(
        bookTop.map((top) => ({ top })),
        fc.record({
          cents: fc.integer({ min: 6_180_000, max: 6_180_040 }),
          units: fc.integer({ min: 1, max: 200_000_000 }),
          isBuyerMaker: fc.boolean(),
        }),
      ),
    ),
    {
      minLength: 1,
      maxLength: 250,
      size: 'max',
    },
  )
  .map((rows) => {
    let timeUs = T0 + 1;
    let id = 3_735_683_259;
    return rows.map(([step, row]): Ev => {
      timeUs += step;
      if ('top' in row) return { kind: 'book', timeUs, top: row.top };
      return {
        kind: 'trade',
        timeUs,
        trade: {
          id: id++,
          timeUs,
          price: row.cents / 100,
          qty: row.units / 1e8,
          isBuyerMaker: row.isBuyerMaker,
        },
      };
    });
  });

const bits = (vs: FeatureVector[]) => vs.map((v) => [v.eventTimeUs, ...Array.from(v.values)]);

describe('feature state properties', () => {
  it('samples the mid as of each grid point, as a naive as-of lookup does', () => {
    fc.assert(
      fc.property(stream, (events) => {
        const books = events.filter((e): e is Extract<Ev, { kind: 'book' }> => e.kind === 'book');
        if (books.length === 0) return;
        const s = new FeatureState();
        for (const b of books) s.onBookTop(b.top, b.timeUs);
        const mid = (top: BookTop) => {
          const [bid, ask] = [top.bids[0], top.asks[0]];
          return bid && ask ? (bid[0] + ask[0]) / 2 : Number.NaN;
        };
        const last = (books[books.length - 1] as Ev).timeUs;
        // Samples more than 64 s before the last update are evicted by design.
        const from = Math.max(Math.floor(T0 / GRID_US) - 1, Math.ceil(last / GRID_US) - 600);
        for (let k = from; k <= Math.ceil(last / GRID_US) + 2; k++) {
          const at = books.filter((b) => b.timeUs <= k * GRID_US);
          const want = at.length === 0 ? Number.NaN : mid((at[at.length - 1] as (typeof books)[number]).top);
          expect(s.midAt(k * GRID_US + (k % 7) * 1000)).toBe(want);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('computes OFI as a naive recomputation from the raw updates does', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 5 }), (events, offsets) => {
        const books = events.filter((e): e is Extract<Ev, { kind: 'book' }> => e.kind === 'book');
        if (books.length === 0) return;
        const s = new FeatureState();
        for (const b of books) s.onBookTop(b.top, b.timeUs);
        const units = (q: number) => Math.round(q * 1e8);
        const best = (top: BookTop) => {
          const [b, a] = [top.bids[0], top.asks[0]];
          return b && a
            ? ([b[0], units(b[1]), a[0], units(a[1])] as [number, number, number, number])
            : undefined;
        };
        const flows = books.map((b, i) => {
          const prev = i > 0 ? best((books[i - 1] as typeof b).top) : undefined;
          const now = best(b.top);
          return { bucket: Math.ceil(b.timeUs / GRID_US), e: prev && now ? orderFlow(prev, now) : 0 };
        });
        const depthAt = (k: number) => {
          const at = books.filter((b) => b.timeUs <= k * GRID_US);
          const top = at.length ? best((at[at.length - 1] as (typeof books)[number]).top) : undefined;
          return top ? top[1] + top[3] : Number.NaN;
        };
        const lastK = Math.ceil((books[books.length - 1] as Ev).timeUs / GRID_US);
        for (const offset of [0, ...offsets]) {
          const n = lastK + 2 - offset;
          for (const ms of [1000, 5000, 10_000]) {
            const count = ms / 100;
            let flow = 0;
            let depth = 0;
            for (let k = n - count + 1; k <= n; k++) {
              flow += flows.filter((x) => x.bucket === k).reduce((a, x) => a + x.e, 0);
              depth += depthAt(k);
            }
            const observed = (books[0] as Ev).timeUs <= (n - count) * GRID_US;
            const want = observed && depth > 0 ? (2 * count * flow) / depth : Number.NaN;
            expect(s.ofi(ms, n * GRID_US)).toBe(want);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic and survives a JSON round trip anywhere: bit-identical vectors', () => {
    fc.assert(
      fc.property(stream, fc.nat(), (events, pick) => {
        const once = bits(replay(events, 500_000));
        expect(bits(replay(events, 500_000))).toEqual(once); // toEqual compares numbers with Object.is
        expect(bits(replay(events, 500_000, pick % events.length))).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });

  it('does not change when same-timestamp trade deliveries are permuted and duplicated', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.nat(), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (events, keys, dups) => {
          const trades = events.filter((e) => e.kind === 'trade');
          const copies =
            trades.length === 0 ? [] : dups.map((d) => ({ ...(trades[d % trades.length] as Ev) }));
          // Trades and their copies are shuffled within their timestamp, except that the first trade stays
          // first (the first id seen fixes where the stream starts); book updates keep their order.
          const key = (i: number) => keys[i % Math.max(1, keys.length)] ?? i;
          const shuffled = [...trades, ...copies]
            .map((e, i) => ({ e, k: e === trades[0] ? -1 : key(i), i }))
            .sort((a, b) => a.e.timeUs - b.e.timeUs || a.k - b.k || a.i - b.i)
            .map((d) => d.e);
          const delivered = [...events.filter((e) => e.kind === 'book'), ...shuffled].sort(
            (a, b) => a.timeUs - b.timeUs,
          );
          expect(bits(replay(delivered, 300_000))).toEqual(bits(replay(events, 300_000)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses malformed snapshots and vectors of another version', () => {
    expect(() => FeatureState.fromJSON({ v: 2 })).toThrow(FeatureStateSnapshotError);
    const good = JSON.parse(JSON.stringify(new FeatureState()));
    expect(() => FeatureState.fromJSON({ ...good, mids: [[1, 0]] })).toThrow(FeatureStateSnapshotError);
    const v = computeFeatures(new FeatureState(), top1(100, 3, 101, 1), new TradeWindows(), T0);
    const json = JSON.parse(JSON.stringify(featureVectorToJSON(v)));
    expect(json.values.filter((x: unknown) => x === null)).toHaveLength(FEATURE_NAMES.length - 3);
    expect(bits([featureVectorFromJSON(json)])).toEqual(bits([v]));
    expect(() => featureVectorFromJSON({ ...json, v: FEATURE_VERSION + 1 })).toThrow(
      FeatureVectorFormatError,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The 2024-08-08/09 recording (10 min 50 s): book from the REST snapshot + depth diffs, trades.

describe.skipIf(!hasSharedData('features on the 2024 recording', ...RECORDING_2024))(
  'features on the 2024-08-08/09 recording',
  () => {
    let events: Ev[] = [];
    const mids: MidPoint[] = [];

    beforeAll(async () => {
      const levels = (raw: [string, string][]): Level[] =>
        raw.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)]);
      type Raw = {
        timeUs: number;
        seq: number;
        diff?: { U: number; u: number; b: Level[]; a: Level[] };
        trade?: TradeInput;
      };
      const raw: Raw[] = [];
      let snapshot: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] } | undefined;
      for (const file of RECORDING_2024) {
        for await (const line of readRecording(sharedDataPath(file))) {
          if (line.stream === 'rest:depth') snapshot = line.payload as typeof snapshot;
          else if (line.stream.includes('@depth')) {
            const p = line.payload as JsonDepthUpdate;
            raw.push({
              timeUs: p.E * 1000,
              seq: raw.length,
              diff: { U: p.U, u: p.u, b: levels(p.b), a: levels(p.a) },
            });
          } else if (line.stream.endsWith('@trade')) {
            const p = line.payload as JsonTrade;
            raw.push({
              timeUs: p.T * 1000,
              seq: raw.length,
              trade: { id: p.t, timeUs: p.T * 1000, price: Number(p.p), qty: Number(p.q), isBuyerMaker: p.m },
            });
          }
        }
      }
      if (!snapshot) throw new Error('The recording holds no REST snapshot.');
      // Exchange event time order (the trainer's replay order); the file is in receive order.
      raw.sort((a, b) => a.timeUs - b.timeUs || a.seq - b.seq);
      const book = OrderBook.fromSnapshot(
        snapshot.lastUpdateId,
        levels(snapshot.bids),
        levels(snapshot.asks),
      );
      events = [];
      for (const r of raw) {
        if (r.trade) events.push({ kind: 'trade', timeUs: r.timeUs, trade: r.trade });
        else if (r.diff) {
          const verdict = book.apply({
            firstUpdateId: r.diff.U,
            lastUpdateId: r.diff.u,
            bids: r.diff.b,
            asks: r.diff.a,
          });
          expect(verdict).not.toBe('gap');
          if (verdict !== 'apply') continue;
          const top = bookTopFromSides(book.bids, book.asks, -8, -8);
          events.push({ kind: 'book', timeUs: r.timeUs, top });
          mids.push({
            timeUs: r.timeUs,
            mid: ((top.bids[0]?.[0] ?? Number.NaN) + (top.asks[0]?.[0] ?? Number.NaN)) / 2,
          });
        }
      }
    }, 20_000);

    it('has no NaN after 60 s of warm-up and values in plausible ranges', () => {
      const vectors = replay(events, 2 * S);
      const firstBook = events.find((e) => e.kind === 'book')?.timeUs as number;
      const firstTrade = events.find((e) => e.kind === 'trade')?.timeUs as number;
      const warm = vectors.filter((v) => v.eventTimeUs >= Math.max(firstBook, firstTrade) + 60 * S);
      expect(warm.length).toBeGreaterThan(250);
      for (const v of warm) {
        expect(missingFeatures(v)).toEqual([]);
        const x = (name: FeatureName) => f(v, name);
        expect(Array.from(v.values).every(Number.isFinite)).toBe(true);
        // Spread: one tick is 0.0016 bp at 61,800 USDT; anything past 5 bp would be a broken book.
        expect(x('spread_bp')).toBeGreaterThan(0);
        expect(x('spread_bp')).toBeLessThan(5);
        // The microprice lies between bid and ask.
        expect(Math.abs(x('microprice_minus_mid_bp'))).toBeLessThanOrEqual(x('spread_bp') / 2 + 1e-12);
        for (const n of [
          'imbalance_l1',
          'imbalance_l5',
          'imbalance_l10',
          'tfi_1s',
          'tfi_5s',
          'tfi_10s',
          'tfi_30s',
        ] as const) {
          expect(Math.abs(x(n))).toBeLessThanOrEqual(1);
        }
        // OFI in mean top sizes: tens at most in this session (observed max about 53 over 10 s).
        for (const n of ['ofi_1s', 'ofi_5s', 'ofi_10s'] as const) expect(Math.abs(x(n))).toBeLessThan(200);
        // BTCUSDT moves a few bp per 10 s; 100 bp within a minute would be a crash or a bug.
        for (const n of ['ret_1s_bp', 'ret_5s_bp', 'ret_10s_bp', 'ret_30s_bp', 'ret_60s_bp'] as const) {
          expect(Math.abs(x(n))).toBeLessThan(100);
        }
        expect(x('rv_10s_bp')).toBeGreaterThanOrEqual(0);
        expect(x('rv_60s_bp')).toBeGreaterThanOrEqual(x('rv_10s_bp')); // its sum includes the 10 s terms
        expect(x('rv_60s_bp')).toBeLessThan(100);
        expect(Number.isInteger(x('trade_count_1s'))).toBe(true);
        expect(x('trade_count_1s')).toBeGreaterThanOrEqual(0);
        expect(x('trade_count_1s')).toBeLessThanOrEqual(x('trade_count_10s'));
        expect(x('trade_count_10s')).toBeLessThanOrEqual(x('trade_count_60s'));
        expect(x('trade_count_60s')).toBeLessThan(20_000); // 19,904 trades in the whole session
      }
    });

    it('labels every 2 s with a std near the random walk RMSE of the README (4.1 bp)', () => {
      const samples = replay(events, 2 * S);
      const labels = pairWithLabels(samples, mids).map((p) => p.label);
      expect(labels.length).toBeGreaterThan(300); // README: n = 320
      const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
      const stdBp = 1e4 * Math.sqrt(labels.reduce((a, b) => a + (b - mean) ** 2, 0) / (labels.length - 1));
      const rmsBp = 1e4 * Math.sqrt(labels.reduce((a, b) => a + b * b, 0) / labels.length);
      expect(stdBp).toBeGreaterThan(3.3);
      expect(stdBp).toBeLessThan(5);
      expect(Math.abs(rmsBp - 4.1)).toBeLessThan(0.5);
    });

    it('gives bit-identical vectors on a second replay and across a mid-session restore', () => {
      const once = bits(replay(events, 2 * S));
      expect(bits(replay(events, 2 * S))).toEqual(once);
      expect(bits(replay(events, 2 * S, events.length >> 1))).toEqual(once);
    });
  },
);
