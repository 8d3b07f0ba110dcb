/**
 * The runtime's handle on the local venue running in its own worker thread (local/venue/venue-host.ts):
 * its URLs, its market clock (shared memory, read synchronously), its ground truth and statistics
 * (calls), and the end of its market.
 */

import type { LoopDelay } from './threads/loop-delay.ts';
import { ServiceThread } from './threads/service-thread.ts';
import type { BookAnchorInfo, TruthBook } from './venue/ground-truth.ts';
import type { VenueOptions, VenueStats } from './venue/server.ts';
import { createVenueClock, readVenueClock, type VenueClockShare } from './venue/venue-clock.ts';
import type { VenueHostConfig } from './venue/venue-host.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export class VenueThread {
  private readonly thread: ServiceThread<VenueStats, { wsUrl: string; restUrl: string; symbols: string[] }>;
  /** The market clock in shared memory, for threads that measure latency in it. */
  readonly clockShare: VenueClockShare;
  wsUrl = '';
  restUrl = '';
  symbols: readonly string[] = [];
  /** Resolves when the market source is exhausted, rejects when it failed. */
  readonly marketEnded: Promise<void>;

  private constructor(options: VenueOptions, log: Log) {
    this.clockShare = createVenueClock(options.source?.speed ?? 1);
    const config: VenueHostConfig = { options, clock: this.clockShare };
    this.thread = new ServiceThread('venue', new URL('./venue/venue-host.ts', import.meta.url), config, log);
    this.marketEnded = new Promise<void>((resolve, reject) => {
      this.thread.on('marketEnded', (error) => {
        if (error) reject(Object.assign(new Error((error as Error).message), error));
        else resolve();
      });
    });
    this.marketEnded.catch(() => {});
  }

  static async start(options: VenueOptions, log: Log): Promise<VenueThread> {
    const venue = new VenueThread(options, log);
    const ready = await venue.thread.ready;
    venue.wsUrl = ready.wsUrl;
    venue.restUrl = ready.restUrl;
    venue.symbols = ready.symbols;
    return venue;
  }

  /** The market clock (µs): what /api/v3/time reports. */
  clockUs(): number {
    return readVenueClock(this.clockShare);
  }

  /** The latest statistics (a second old at most). */
  get latestStats(): VenueStats | undefined {
    return this.thread.report;
  }

  stats(): Promise<VenueStats> {
    return this.thread.call('stats');
  }

  get loopDelay(): LoopDelay | undefined {
    return this.thread.loopDelay;
  }

  /** The true book right after `updateId`; undefined outside the retained history. */
  bookAt(symbol: string, updateId: number, levels: number): Promise<TruthBook | undefined> {
    return this.thread.call('bookAt', symbol, updateId, levels);
  }

  async anchors(): Promise<Record<string, BookAnchorInfo>> {
    const symbols = await this.thread.call<string[]>('symbols');
    const out: Record<string, BookAnchorInfo> = {};
    for (const s of symbols) out[s] = await this.thread.call<BookAnchorInfo>('anchor', s);
    return out;
  }

  stopMarket(): Promise<void> {
    return this.thread.call('stopMarket');
  }

  /** What stats() and anchors() said when the venue closed: the run summary is written after. */
  finalStats: VenueStats | undefined;
  finalAnchors: Record<string, BookAnchorInfo> | undefined;

  async close(): Promise<void> {
    this.finalStats = await this.stats().catch(() => this.latestStats);
    this.finalAnchors = await this.anchors().catch(() => undefined);
    // A venue that does not stop in time is terminated with its thread: the run still ends.
    await this.thread.stop().catch(() => {});
  }
}
