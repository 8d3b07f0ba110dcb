/**
 * The synthetic market's informed flow and its oracle (local/venue/sources/informed-flow.ts).
 *
 * The oracle's statistics are checked on a lighter book (3 maker changes per window, no bursts): the
 * fair price, the latent gap and so the oracle do not depend on the book's depth activity, and the
 * light book simulates hours of market in a few seconds. Seeds are fixed; bands are about three
 * standard errors wide (10 s labels overlap on the 2 s grid: the effective sample is the span / 10 s).
 */
import { describe, expect, it } from 'vitest';
import { FeatureReplay } from '../../core/model/feature-replay.ts';
import { Rng } from '../../core/random/rng.ts';
import { parseStartOptions, UsageError } from '../../local/cli-options.ts';
import { VenueConfigError } from '../../local/venue/errors.ts';
import { optionsFromArgs } from '../../local/venue/main.ts';
import { measureMarketSignal } from '../../local/venue/market-signal.ts';
import { Side } from '../../local/venue/order-book.ts';
import {
  DEFAULT_INFORMED_FLOW,
  InformedFlowParamsError,
  informedFlowVariances,
  parseInformedFlow,
} from '../../local/venue/sources/informed-flow.ts';
import { SyntheticMarket, type SyntheticMarketParams } from '../../local/venue/sources/synthetic-market.ts';
import { type SyntheticTapeItem, syntheticTape } from '../../local/venue/sources/synthetic-tape.ts';

const START_US = 1_723_161_600_000_000;
const LIGHT_BOOK = { makerChangesPerWindow: 3, burstEveryS: 1e9 } as const;
/** Simulated hours take seconds of CPU; on a busy machine, several times that. */
const HEAVY = { timeout: 180_000 };

/** Oracle forecasts and realised 10 s log mid returns on the 2 s grid. */
function oracleSeries(params: Omit<SyntheticMarketParams, 'symbol' | 'startTimeUs'>, hours: number) {
  const market = new SyntheticMarket({ symbol: 'BTCUSDT', startTimeUs: START_US, ...params });
  const logMid: number[] = [];
  const forecast: number[] = [];
  for (let t = START_US; t <= START_US + hours * 3600e6; t += 2e6) {
    market.advanceTo(t);
    const b = market.currentBook;
    logMid.push(Math.log(((b.best(Side.Bid) as number) + (b.best(Side.Ask) as number)) / 2));
    forecast.push(market.oracleForecast(10e6));
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i + 5 < logMid.length; i++) {
    x.push(forecast[i] as number);
    y.push((logMid[i + 5] as number) - (logMid[i] as number));
  }
  return { x, y };
}

function regression(x: number[], y: number[]) {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let se = 0;
  let rw = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
    se += ((y[i] as number) - (x[i] as number)) ** 2;
    rw += (y[i] as number) ** 2;
  }
  return {
    slope: sxy / sxx,
    r2: (sxy * sxy) / (sxx * syy),
    rmseRatio: Math.sqrt(se / rw),
    stdBp: 1e4 * Math.sqrt(syy / n),
  };
}

describe('informed flow parameters', () => {
  it('solves per-window variances that give back the 10 s return variance and the strength', HEAVY, () => {
    const v = informedFlowVariances(DEFAULT_INFORMED_FLOW, 16e-8, 20_000);
    expect(v.publicVar).toBeGreaterThan(0);
    expect(v.latentVar).toBeGreaterThan(0);
    expect(v.kappa).toBeCloseTo(1 - 0.5 ** (0.02 / DEFAULT_INFORMED_FLOW.revelationHalfLifeS), 12);
    // Simulate the two-state model alone (no book) for many windows: the oracle's R² is the strength.
    let f = 0;
    let g = 0;
    const rng = new Rng(12345);
    const fs: number[] = [];
    const gs: number[] = [];
    for (let k = 0; k < 2_000_000; k++) {
      if (k % 100 === 0) {
        fs.push(f);
        gs.push(g);
      }
      f += v.kappa * g + Math.sqrt(v.publicVar) * rng.normal();
      g = (1 - v.kappa) * g + Math.sqrt(v.latentVar) * rng.normal();
    }
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i + 5 < fs.length; i++) {
      x.push((gs[i] as number) * (1 - (1 - v.kappa) ** 500));
      y.push((fs[i + 5] as number) - (fs[i] as number));
    }
    const r = regression(x, y);
    expect(r.stdBp).toBeGreaterThan(3.8);
    expect(r.stdBp).toBeLessThan(4.2);
    expect(r.slope).toBeGreaterThan(0.85);
    expect(r.slope).toBeLessThan(1.15);
    // ~4,000 overlapping rows (effective ~1,000): R²'s standard error is about 0.02.
    expect(Math.abs(r.r2 - DEFAULT_INFORMED_FLOW.strength)).toBeLessThan(0.06);
  });

  it('parses the command-line form and rejects a strength the half-life cannot give', () => {
    expect(parseInformedFlow('off')).toBe(false);
    expect(parseInformedFlow('on')).toEqual({});
    expect(parseInformedFlow('0.05')).toEqual({ strength: 0.05 });
    expect(() => parseInformedFlow('strong')).toThrow(InformedFlowParamsError);
    expect(() => parseInformedFlow('1.5')).toThrow(/strength 1.5 is outside/);
    // npm start and the venue's CLI take the same form; a bad value is a one-line usage error.
    expect(parseStartOptions(['--informed-flow', 'off'])['informed-flow']).toBe(false);
    expect(parseStartOptions(['--informed-flow', '0.2'])['informed-flow']).toEqual({ strength: 0.2 });
    expect(() => parseStartOptions(['--informed-flow', 'strong'])).toThrow(UsageError);
    expect(optionsFromArgs(['--informed-flow', 'off']).source).toMatchObject({
      model: { informedFlow: false },
    });
    expect(() => optionsFromArgs(['--informed-flow', '2'])).toThrow(VenueConfigError);
    expect(() => informedFlowVariances({ ...DEFAULT_INFORMED_FLOW, strength: 0.9 }, 16e-8, 20_000)).toThrow(
      /above the .* half-life allows/,
    );
  });
});

describe('the oracle forecast', () => {
  it('is unbiased and has the skill its strength promises (1.5 h of market, light book)', HEAVY, () => {
    const { x, y } = oracleSeries({ seed: 11, ...LIGHT_BOOK, informedFlow: { strength: 0.25 } }, 1.5);
    const r = regression(x, y);
    console.log(`oracle, strength 0.25, 2 h: ${JSON.stringify(r)}`);
    // n ≈ 2,700, effective ≈ 540: the slope's standard error is about 0.08.
    expect(r.slope).toBeGreaterThan(0.75);
    expect(r.slope).toBeLessThan(1.25);
    expect(r.rmseRatio).toBeLessThan(0.92); // √(1 − 0.25) = 0.87
    expect(r.stdBp).toBeGreaterThan(3.5);
    expect(r.stdBp).toBeLessThan(4.5);
  });

  it('is 0 when the informed flow is off, and the mid is then a random walk', HEAVY, () => {
    const { x, y } = oracleSeries({ seed: 11, ...LIGHT_BOOK, informedFlow: false }, 0.5);
    expect(x.every((f) => f === 0)).toBe(true);
    // Consecutive, non-overlapping 10 s returns are uncorrelated (a pure random walk).
    const a = y.filter((_, i) => i % 5 === 0);
    const r = regression(a.slice(0, -1), a.slice(1));
    expect(Math.sqrt(r.r2)).toBeLessThan(0.16); // 180 pairs: 2 standard errors is 0.15
  });
});

describe('features on the synthetic market', () => {
  it('with the informed flow off, the ridge cannot beat the random walk (20 min, light book)', HEAVY, () => {
    const off = measureMarketSignal({
      market: { seed: 3, startTimeUs: START_US, ...LIGHT_BOOK, informedFlow: false },
      durationUs: 20 * 60e6,
    });
    console.log(`ridge, informed flow off: ${JSON.stringify(off.scores.ridge)}`);
    expect(off.scores.ridge.rmseRatioVsRandomWalk).toBeGreaterThan(0.99);
    expect(off.scores.oracle.rmseRatioVsRandomWalk).toBe(1);
  });

  it('by default, the book features carry the latent state the oracle forecasts (10 min)', HEAVY, () => {
    const on = measureMarketSignal({ market: { seed: 3, startTimeUs: START_US }, durationUs: 10 * 60e6 });
    const c = on.featureOracleCorrelation;
    console.log(`feature ~ oracle correlations (default market, 10 min): ${JSON.stringify(c)}`);
    // About 270 rows, but the gap lives ~10 s: ~60 independent episodes, a standard error near 0.13.
    // The book channels are the strong ones (0.4-0.6); the trade-flow ones are weaker and noisier.
    expect(c.imbalance_l1).toBeGreaterThan(0.15);
    expect(c.imbalance_l5).toBeGreaterThan(0.25);
    expect(c.imbalance_l10).toBeGreaterThan(0.25);
  });
});

describe('syntheticTape', () => {
  it('yields the opening snapshot, time-ordered events and one oracle item per tick after its events', () => {
    const params = { symbol: 'BTCUSDT', seed: 5, startTimeUs: START_US };
    const items: SyntheticTapeItem[] = [
      ...syntheticTape(new SyntheticMarket(params), { untilUs: START_US + 20e6, tickUs: 2e6 }),
    ];
    expect(items[0]).toMatchObject({ kind: 'event', event: { kind: 'snapshot' } });
    const twin = new SyntheticMarket(params);
    let last = Number.NEGATIVE_INFINITY;
    const ticks: number[] = [];
    for (const item of items.slice(1)) {
      if (item.kind === 'oracle') {
        // Every event at or before the tick is out, none after it.
        expect(last).toBeLessThanOrEqual(item.timeUs);
        twin.advanceTo(item.timeUs);
        expect(item.forecast).toBe(twin.oracleForecast(10e6));
        ticks.push(item.timeUs);
        continue;
      }
      const e = item.event;
      if (e.kind !== 'diff' && e.kind !== 'trade') throw new Error(`unexpected ${e.kind} after the opening`);
      expect(e.timeUs).toBeGreaterThanOrEqual(last);
      if (ticks.length > 0) expect(e.timeUs).toBeGreaterThan(ticks[ticks.length - 1] as number);
      last = e.timeUs;
    }
    expect(ticks).toEqual(Array.from({ length: 11 }, (_, i) => START_US + i * 2e6));
    expect(
      ticks.some((t) => items.some((i) => i.kind === 'oracle' && i.timeUs === t && i.forecast !== 0)),
    ).toBe(true);
    // The tape rebuilds the book: replayed, it is in sync with no gap.
    const replay = new FeatureReplay();
    for (const item of items) if (item.kind === 'event') replay.push(item.event);
    const { stats, vectors } = replay.finish();
    expect(stats.gaps).toBe(0);
    expect(stats.trades).toBeGreaterThan(100);
    expect(vectors.length).toBeGreaterThan(5);
  });

  it('refuses a market whose windows do not end on the tick grid', () => {
    const market = new SyntheticMarket({ symbol: 'BTCUSDT', seed: 5, startTimeUs: START_US + 7 });
    expect(() => [...syntheticTape(market, { untilUs: START_US + 10e6 })]).toThrow(/window grid/);
  });
});
