/**
 * Calibration of the synthetic market against real BTCUSDT figures, measured over ten minutes of
 * simulated time driven at full speed (the clock is an argument, so no wall time is involved).
 * Targets and tolerances (the run is deterministic for its seed; tolerances say how close is close):
 *   trades/s                 ~30      (20-40)
 *   busiest second           ~1,000   (600-1,600)
 *   diff interval            20 ms    (exact)
 *   changed levels per diff  ~46      (40-52), longest ~1,000 (600-1,100)
 *   one-tick spread          ~90%     (85-95%)
 *   10 s mid-return std      ~4 bp    (3.2-4.8)
 */
import { describe, expect, it } from 'vitest';
import { MarketStatistics } from '../../local/venue/market-statistics.ts';
import { SyntheticMarket, TICK } from '../../local/venue/sources/synthetic-market.ts';

const START_US = 1_723_161_600_000_000;
/** Minutes of simulated market take seconds of CPU; on a busy machine, several times that. */
const HEAVY = { timeout: 180_000 };

function run(seed: number, seconds: number): { stats: MarketStatistics; market: SyntheticMarket } {
  const market = new SyntheticMarket({ symbol: 'BTCUSDT', seed, startTimeUs: START_US });
  const stats = new MarketStatistics('BTCUSDT', TICK);
  stats.observe(market.openingSnapshot());
  for (let t = START_US; t < START_US + seconds * 1e6; t += 1e6) {
    for (const e of market.advanceTo(t + 1e6)) stats.observe(e);
  }
  return { stats, market };
}

describe('synthetic market', () => {
  it('meets its calibration targets over ten simulated minutes', HEAVY, () => {
    const s = run(1, 600).stats.summary();
    console.log(`synthetic market calibration (seed 1, 600 s): ${JSON.stringify(s)}`);
    expect(s.tradesPerS).toBeGreaterThan(20);
    expect(s.tradesPerS).toBeLessThan(40);
    expect(s.maxTradesIn1s).toBeGreaterThan(600);
    expect(s.maxTradesIn1s).toBeLessThan(1600);
    expect(s.meanDiffIntervalMs).toBeCloseTo(20, 0);
    expect(s.meanLevelsPerDiff).toBeGreaterThan(40);
    expect(s.meanLevelsPerDiff).toBeLessThan(52);
    expect(s.maxLevelsPerDiff).toBeGreaterThan(600);
    expect(s.maxLevelsPerDiff).toBeLessThan(1100);
    expect(s.oneTickSpreadShare).toBeGreaterThan(0.85);
    expect(s.oneTickSpreadShare).toBeLessThan(0.95);
    expect(s.returnStdBp10s).toBeGreaterThan(3.2);
    expect(s.returnStdBp10s).toBeLessThan(4.8);
    // Binance's sequencing: every diff continues the previous one, trade ids are contiguous.
    expect(s.updateIdGaps).toBe(0);
    expect(s.tradeIdGaps).toBe(0);
    expect(s.crossedBooks).toBe(0);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const take = (seed: number) => {
      const m = new SyntheticMarket({ symbol: 'BTCUSDT', seed, startTimeUs: START_US });
      return JSON.stringify(m.advanceTo(START_US + 2e6));
    };
    expect(take(42)).toBe(take(42));
    expect(take(42)).not.toBe(take(43));
  });

  it('never prints a trade of zero (or negative) quantity, across seeds and bursts', HEAVY, () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const m = new SyntheticMarket({ symbol: 'BTCUSDT', seed, startTimeUs: START_US });
      const bad = m
        .advanceTo(START_US + 120e6)
        .flatMap((e) => (e.type === 'trades' ? e.trades : []))
        .filter((t) => !(t.qtyMantissa > 0));
      expect(bad).toEqual([]);
    }
  });

  it('publishes diffs that rebuild its own book exactly (U = previous u + 1)', () => {
    const { stats, market } = run(5, 30);
    expect(stats.summary().updateIdGaps).toBe(0);
    expect(market.currentBook.lastUpdateId).toBeGreaterThan(50_000_000_000);
  });
});
