/**
 * The synthetic market as a MarketSource: one SyntheticMarket per symbol (each with its own seed
 * derived from the venue's), merged in time order and cut into 1 ms batches so that, at 1x, the
 * true book advances between two depth diffs as it does on the exchange.
 */

import { Rng } from '../../../core/random/rng.ts';
import type { MarketBatch, MarketEvent, MarketSource, OracleAnswer } from '../market-events.ts';
import { eventTimeUs } from '../market-events.ts';
import { SyntheticMarket, type SyntheticMarketParams } from './synthetic-market.ts';

export interface SyntheticSourceOptions {
  seed: number;
  /** @default ['BTCUSDT'] */
  symbols?: readonly string[];
  /** Exchange time of the opening book (µs). @default the wall clock when the market starts */
  startTimeUs?: number;
  /** Stop after this much market time (µs). @default run forever */
  durationUs?: number;
  /** Model overrides (calibration experiments); symbol, seed and start time are set here. */
  model?: Partial<Omit<SyntheticMarketParams, 'symbol' | 'seed' | 'startTimeUs'>>;
}

/** One second of market per model step keeps allocation bursts small at full speed. */
const STEP_US = 100_000;
const BATCH_US = 1_000;
/** The synthetic market's default window (its depth diff cadence). */
const WINDOW_GRID_US = 20_000;

export function createSyntheticSource(o: SyntheticSourceOptions): MarketSource {
  const symbols = o.symbols ?? ['BTCUSDT'];
  let closed = false;
  let models: SyntheticMarket[] = [];
  return {
    kind: 'sim',
    symbols,
    oracle(symbol: string, atUs: number, horizonUs: number): OracleAnswer {
      const market = models.find((m) => m.symbol === symbol);
      if (!market) return { ok: false, reason: `the market for ${symbol} has not opened yet` };
      const at = market.oracleAt(atUs, horizonUs);
      if (!at.ok) {
        return {
          ok: false,
          reason: `${at.reason} (oracle kept for windows ending ${at.oldestUs}..${at.newestUs} µs)`,
        };
      }
      return { ok: true, asOfUs: at.asOfUs, forecast: at.forecast, informedFlow: market.informedFlow };
    },
    async *batches(): AsyncGenerator<MarketBatch> {
      // The market opens when it starts producing (after the first subscription, with
      // startOn 'first-subscription'), so event times track the wall clock as an exchange's do. Its
      // 20 ms windows start on the 20 ms grid, so a 2 s tick of a client's grid is a window's end.
      const grid = o.model?.diffIntervalUs ?? WINDOW_GRID_US;
      const startTimeUs = o.startTimeUs ?? Math.floor((Date.now() * 1000) / grid) * grid;
      const endUs = o.durationUs === undefined ? Number.POSITIVE_INFINITY : startTimeUs + o.durationUs;
      models = symbols.map(
        (symbol) =>
          new SyntheticMarket({ ...o.model, symbol, seed: o.seed, startTimeUs }, Rng.derive(o.seed, symbol)),
      );
      yield { paceUs: startTimeUs, events: models.map((m) => m.openingSnapshot()) };
      for (let t = startTimeUs + STEP_US; t <= endUs && !closed; t += STEP_US) {
        const events: MarketEvent[] = [];
        for (const m of models) for (const e of m.advanceTo(t)) events.push(e);
        if (models.length > 1) events.sort((a, b) => eventTimeUs(a) - eventTimeUs(b));
        let batch: MarketEvent[] = [];
        let batchEnd = 0;
        for (const e of events) {
          const at = eventTimeUs(e);
          if (batch.length > 0 && at >= batchEnd) {
            yield { paceUs: batchEnd, events: batch };
            batch = [];
          }
          if (batch.length === 0) batchEnd = (Math.floor(at / BATCH_US) + 1) * BATCH_US;
          batch.push(e);
        }
        if (batch.length > 0) yield { paceUs: batchEnd, events: batch };
      }
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
