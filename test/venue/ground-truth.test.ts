import { describe, expect, it } from 'vitest';
import { TruthOutOfRangeError } from '../../local/venue/errors.ts';
import { GroundTruth } from '../../local/venue/ground-truth.ts';
import type { MarketEvent } from '../../local/venue/market-events.ts';
import { OrderBook, Side } from '../../local/venue/order-book.ts';
import { SyntheticMarket } from '../../local/venue/sources/synthetic-market.ts';

const START_US = 1_723_161_600_000_000;

function simEvents(seconds: number): MarketEvent[] {
  const m = new SyntheticMarket({ symbol: 'BTCUSDT', seed: 3, startTimeUs: START_US });
  return [m.openingSnapshot(), ...m.advanceTo(START_US + seconds * 1e6)];
}

describe('ground truth', () => {
  it('rebuilds the book at any update id from checkpoints, exactly as a brute-force replay does', () => {
    const events = simEvents(20);
    // Small bounds so that the ring wraps and checkpoints are dropped.
    const truth = new GroundTruth(['BTCUSDT'], { historyChanges: 40_000, checkpointEvery: 5_000 });
    const brute = new OrderBook();
    const expected = new Map<number, OrderBook>();
    const probeEvery = 997;
    for (const e of events) {
      if (e.type === 'snapshot') {
        truth.applySnapshot(e);
        for (const l of e.bids) brute.set(Side.Bid, l.priceMantissa, l.qtyMantissa);
        for (const l of e.asks) brute.set(Side.Ask, l.priceMantissa, l.qtyMantissa);
      } else if (e.type === 'bookChanges') {
        truth.applyChanges(e);
        for (const c of e.changes) {
          brute.set(c.side, c.priceMantissa, c.qtyMantissa);
          if (c.updateId % probeEvery === 0) expected.set(c.updateId, brute.clone());
        }
      }
    }
    const last = truth.lastUpdateId('BTCUSDT');
    const oldest = truth.stats('BTCUSDT').oldestUpdateId;
    expect(last - oldest).toBeGreaterThan(30_000);
    expect(last - oldest).toBeLessThanOrEqual(40_000);
    let checked = 0;
    for (const [id, book] of expected) {
      if (id < oldest) {
        expect(() => truth.bookAt('BTCUSDT', id)).toThrow(TruthOutOfRangeError);
        continue;
      }
      const got = truth.bookAt('BTCUSDT', id, 100_000);
      expect(got.exact).toBe(true);
      expect(got.lastUpdateId).toBe(id);
      expect(got.bids).toEqual(book.top(Side.Bid, 100_000));
      expect(got.asks).toEqual(book.top(Side.Ask, 100_000));
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
    expect(() => truth.bookAt('BTCUSDT', last + 1)).toThrow(TruthOutOfRangeError);
  });

  it('has the resolution of a recorded diff block inside it, and applies straddling blocks whole', () => {
    const truth = new GroundTruth(['BTCUSDT']);
    const level = (p: number, q: number) => ({ priceMantissa: p, qtyMantissa: q });
    truth.applySnapshot({
      type: 'snapshot',
      symbol: 'BTCUSDT',
      timeUs: 0,
      lastUpdateId: 218,
      bids: [level(100, 1)],
      asks: [level(101, 1)],
    });
    // Binance: discard a block with u <= lastUpdateId; the first applied block contains lastUpdateId + 1.
    truth.applyChanges({
      type: 'bookChanges',
      symbol: 'BTCUSDT',
      timeUs: 1,
      firstUpdateId: 203,
      changes: [{ side: Side.Bid, priceMantissa: 99, qtyMantissa: 5, updateId: 207 }],
    });
    truth.applyChanges({
      type: 'bookChanges',
      symbol: 'BTCUSDT',
      timeUs: 2,
      firstUpdateId: 208,
      changes: [
        { side: Side.Bid, priceMantissa: 100, qtyMantissa: 2, updateId: 224 },
        { side: Side.Ask, priceMantissa: 101, qtyMantissa: 0, updateId: 224 },
      ],
    });
    expect(truth.stats('BTCUSDT').staleBlocksIgnored).toBe(1);
    expect(truth.bookAt('BTCUSDT', 218)).toMatchObject({
      exact: true,
      lastUpdateId: 218,
      bids: [level(100, 1)],
    });
    expect(truth.bookAt('BTCUSDT', 220)).toMatchObject({ exact: false, lastUpdateId: 218 });
    expect(truth.bookAt('BTCUSDT', 224)).toMatchObject({ exact: true, bids: [level(100, 2)], asks: [] });
  });

  it('keeps the trade tape by id', () => {
    const truth = new GroundTruth(['BTCUSDT'], { tradeCapacity: 100 });
    for (let id = 1; id <= 250; id++) {
      truth.recordTrades({
        type: 'trades',
        symbol: 'BTCUSDT',
        eventTimeUs: id,
        transactTimeUs: id,
        trades: [{ id, priceMantissa: 1, qtyMantissa: 1, isBuyerMaker: false }],
      });
    }
    expect(truth.tradeRange('BTCUSDT')).toEqual({ oldest: 151, newest: 250 });
    expect(truth.trades('BTCUSDT', 10, 3).map((t) => t.id)).toEqual([151, 152, 153]);
    expect(truth.trades('BTCUSDT', 249, 10).map((t) => t.id)).toEqual([249, 250]);
  });
});
