/**
 * The synthetic market as a feature-replay tape with the oracle beside it: what a benchmark or a
 * calibration needs to run the project's feature, training and serving code over hours of market at
 * full speed, with no venue, socket or clock.
 *
 * Items, in exchange-time order: first the opening book as a snapshot; then the market's depth diffs
 * and trades as TapeEvents (core/model/feature-replay.ts; book levels as mantissas, trade price and
 * quantity as numbers, as the bronze tape gives them); and at every instant of the tick grid
 * (multiples of `tickUs`), once every event at or before it is out, one `oracle` item: the market's
 * oracle forecast of ln(mid(t + horizon) / mid(t)) as of that instant. Pure and seeded.
 */
import type { Level } from '../../../core/book/order-book.ts';
import type { TapeEvent } from '../../../core/model/feature-replay.ts';
import type { PriceLevel } from '../../../core/sbe/messages.ts';
import type { MarketEvent } from '../market-events.ts';
import type { SyntheticMarket } from './synthetic-market.ts';

export type SyntheticTapeItem =
  | { kind: 'event'; event: TapeEvent }
  | { kind: 'oracle'; timeUs: number; forecast: number };

export interface SyntheticTapeOptions {
  /** Stop at this exchange time (µs): the last tick is the last grid instant at or before it. */
  untilUs: number;
  /** @default 2_000_000 (the inference service's prediction interval) */
  tickUs?: number;
  /** @default 10_000_000 (the label's horizon) */
  horizonUs?: number;
  /** Sees every market event (book changes and bestBidAsk too), e.g. for MarketStatistics. */
  observe?: (e: MarketEvent) => void;
}

const MANTISSA = 1e8;

const levels = (ls: readonly PriceLevel[]): Level[] => ls.map((l) => [l.priceMantissa, l.qtyMantissa]);

/** The market's tape events (depth diffs and trades; book changes and bestBidAsk are not on a tape). */
function* toTape(events: readonly MarketEvent[], from: number, to: number): Generator<SyntheticTapeItem> {
  for (let i = from; i < to; i++) {
    const e = events[i] as MarketEvent;
    if (e.type === 'depthDiff') {
      yield {
        kind: 'event',
        event: {
          kind: 'diff',
          timeUs: e.eventTimeUs,
          firstUpdateId: e.firstUpdateId,
          lastUpdateId: e.lastUpdateId,
          bids: levels(e.bids),
          asks: levels(e.asks),
        },
      };
    } else if (e.type === 'trades') {
      for (const t of e.trades) {
        yield {
          kind: 'event',
          event: {
            kind: 'trade',
            timeUs: e.transactTimeUs,
            trade: {
              id: t.id,
              timeUs: e.transactTimeUs,
              price: t.priceMantissa / MANTISSA,
              qty: t.qtyMantissa / MANTISSA,
              isBuyerMaker: t.isBuyerMaker,
            },
          },
        };
      }
    }
  }
}

function timeOf(e: MarketEvent): number {
  return e.type === 'snapshot' || e.type === 'bookChanges' ? e.timeUs : e.eventTimeUs;
}

/**
 * Drives `market` (freshly built: its opening book is the first item) up to `untilUs`. The market's
 * windows must end on the tick grid (its start time and `tickUs` multiples of its window), so that
 * the oracle at a tick is the state the published book shows there.
 */
export function* syntheticTape(
  market: SyntheticMarket,
  opts: SyntheticTapeOptions,
): Generator<SyntheticTapeItem> {
  const tickUs = opts.tickUs ?? 2_000_000;
  const horizonUs = opts.horizonUs ?? 10_000_000;
  const windowUs = market.windowUs;
  if (!(tickUs > 0 && tickUs % windowUs === 0))
    throw new RangeError(
      `tickUs ${tickUs} is not a positive multiple of the market's ${windowUs} µs window.`,
    );
  if (market.timeUs % windowUs !== 0)
    throw new RangeError(
      `The market starts at ${market.timeUs} µs, not on its ${windowUs} µs window grid: ticks would fall inside windows.`,
    );
  const opening = market.openingSnapshot();
  if (opening.type !== 'snapshot') throw new Error('The opening event is not a snapshot.');
  yield {
    kind: 'event',
    event: {
      kind: 'snapshot',
      lastUpdateId: opening.lastUpdateId,
      bids: levels(opening.bids),
      asks: levels(opening.asks),
    },
  };
  let tick = Math.ceil(market.timeUs / tickUs) * tickUs;
  if (tick > opts.untilUs) return;
  // Up to the first tick, then tick by tick: the oracle as of a tick is taken before the market moves
  // past it; events stamped exactly at the tick (the next window may open with one) come before it.
  const observe = opts.observe;
  const first = market.advanceTo(tick);
  if (observe) for (const e of first) observe(e);
  yield* toTape(first, 0, first.length);
  for (;;) {
    const forecast = market.oracleForecast(horizonUs);
    const next = tick + tickUs;
    const events = next <= opts.untilUs ? market.advanceTo(next) : market.advanceTo(opts.untilUs);
    if (observe) for (const e of events) observe(e);
    let atTick = 0;
    while (atTick < events.length && timeOf(events[atTick] as MarketEvent) <= tick) atTick++;
    yield* toTape(events, 0, atTick);
    yield { kind: 'oracle', timeUs: tick, forecast };
    yield* toTape(events, atTick, events.length);
    if (next > opts.untilUs) return;
    tick = next;
  }
}
