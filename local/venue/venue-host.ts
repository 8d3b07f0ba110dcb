/**
 * The local venue in its own worker thread (started by local/venue-thread.ts): the exchange is
 * another machine, so its market model and its WebSocket sends do not share an event loop with the
 * pipeline it feeds. The market clock reaches the runtime through shared memory (read on every
 * Kinesis batch, too often for a message), the ground truth through calls.
 */
import { hostService } from '../threads/service-host.ts';
import { TruthOutOfRangeError } from './errors.ts';
import type { VenueStats } from './server.ts';
import { startVenue, type VenueOptions } from './server.ts';
import { type VenueClockShare, writeVenueClock } from './venue-clock.ts';

export interface VenueHostConfig {
  options: VenueOptions;
  clock: VenueClockShare;
}

/**
 * How often the clock's line is written again: it only moves when the market starts (at the first
 * subscription) or stops, so this bounds how long after its start a reader extrapolates a stale line.
 */
const CLOCK_EVERY_MS = 5;

hostService<VenueHostConfig, VenueStats>(async ({ config, emit }) => {
  const venue = await startVenue(config.options);
  let frozen = false;
  const publish = () => writeVenueClock(config.clock, venue.clockUs(), frozen);
  publish();
  const clockTimer = setInterval(publish, CLOCK_EVERY_MS);
  venue.marketEnded.then(
    () => {
      frozen = true;
      publish();
      emit('marketEnded');
    },
    (e: unknown) => {
      frozen = true;
      publish();
      emit('marketEnded', e instanceof Error ? { name: e.name, message: e.message } : { message: String(e) });
    },
  );
  return {
    ready: { wsUrl: venue.wsUrl, restUrl: venue.restUrl, symbols: [...venue.symbols] },
    report: () => venue.stats(),
    calls: {
      stats: () => venue.stats(),
      symbols: () => venue.truth.symbols(),
      anchor: (symbol: string) => venue.truth.anchor(symbol),
      /** The true book at an id; undefined outside the retained history. */
      bookAt: (symbol: string, updateId: number, levels: number) => {
        try {
          return venue.truth.bookAt(symbol, updateId, levels);
        } catch (e) {
          if (e instanceof TruthOutOfRangeError) return undefined;
          throw e;
        }
      },
      stopMarket: () => {
        venue.stopMarket();
        frozen = true;
        publish();
      },
    },
    async stop() {
      clearInterval(clockTimer);
      await venue.close();
    },
  };
});
