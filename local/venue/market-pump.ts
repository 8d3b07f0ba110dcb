/**
 * Drives a MarketSource in market time: releases each batch when the market clock reaches it
 * (speed 1x, Nx, or 'max' = as fast as subscribers drain), applies truth events to the market
 * state, hands wire events to the sink, produces depth20 every 50 ms of market time from the true
 * book ("Partial Book Depth Streams … Update Speed: 50ms"), and fires timed faults.
 */
import type { DepthSnapshotEvent } from '../../core/sbe/messages.ts';
import type { FaultInjector } from './fault-injector.ts';
import type { TimedFaultRule } from './fault-spec.ts';
import type { MarketBatch, MarketEvent, MarketSource } from './market-events.ts';
import type { MarketState } from './market-state.ts';
import { Side } from './order-book.ts';

export type Speed = number | 'max';

/** Where wire events go (the WebSocket side). */
export interface MarketSink {
  publish(e: MarketEvent, elapsedUs: number): void;
  publishDepth20(e: Omit<DepthSnapshotEvent, 'templateId'>, elapsedUs: number): void;
  timedFault(rule: TimedFaultRule, elapsedUs: number): void;
  /** Called once per batch: lets the sink act on market time (shutdown grace). */
  tick(elapsedUs: number): void;
  /** Largest unsent byte count over all connections (back-pressure at speed 'max'). */
  maxBufferedBytes(): number;
  waitForSubscriber(): Promise<void>;
}

export interface MarketPumpOptions {
  speed: Speed;
  /** @default 'listen' */
  startOn?: 'listen' | 'first-subscription';
  /** @default 50_000 (Binance SBE depth20: 50 ms) */
  depth20IntervalUs?: number;
  /**
   * Read the whole source into memory before the market starts, so that at speed 'max' the
   * venue spends its time sending, not parsing recordings or running the model: benchmarks then
   * measure the pipeline, as a real exchange's production is never our bottleneck. @default false
   */
  preload?: boolean;
}

const DEPTH20_LEVELS = 20;
/**
 * At speed 'max', wait while a subscriber has this much unsent (ws buffers it in memory). Below the
 * 1 MiB bestBidAsk culling threshold (ws-streams.ts), so a full-speed run waits instead of culling.
 */
const HIGH_WATER_BYTES = 512 * 1024;
/**
 * Give the event loop (REST, control frames, pings, socket writes) a turn this often: at 'max', and at
 * any speed once the market falls behind its schedule (a busy machine at --speed 10), where no batch
 * waits for its time and the pump would otherwise never let the venue serve anything else.
 */
const YIELD_EVERY_MS = 10;

async function preloaded(batches: AsyncIterable<MarketBatch>): Promise<MarketBatch[]> {
  const all: MarketBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MarketPump {
  private wallStartMs: number | undefined;
  private marketStartUs: number | undefined;
  private lastPaceUs: number | undefined;
  private nextDepth20Us: number | undefined;
  private stopped = false;
  private ended = false;
  batches = 0;
  events = 0;
  readonly done: Promise<void>;

  constructor(
    private readonly source: MarketSource,
    private readonly state: MarketState,
    private readonly sink: MarketSink,
    private readonly injector: FaultInjector,
    private readonly o: MarketPumpOptions,
  ) {
    this.done = this.run();
  }

  get speed(): Speed {
    return this.o.speed;
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** The venue's market clock (µs): continuous at 1x/Nx, the last released batch at 'max'. */
  clockUs(): number {
    if (this.marketStartUs === undefined || this.wallStartMs === undefined) return Date.now() * 1000;
    if (this.o.speed === 'max' || this.ended) return this.lastPaceUs ?? this.marketStartUs;
    return this.marketStartUs + (performance.now() - this.wallStartMs) * 1000 * this.o.speed;
  }

  /** Market time since the first batch (µs): the reference for timed faults. */
  elapsedUs(): number {
    if (this.marketStartUs === undefined) return 0;
    return Math.max(0, Math.min(this.clockUs(), this.lastPaceUs ?? this.marketStartUs) - this.marketStartUs);
  }

  /** When the pump last let the event loop run anything else (a wait for a batch's time, or a turn). */
  private lastYieldMs = 0;

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    // Let startVenue finish wiring before the first event.
    await turn();
    const batches = this.o.preload ? await preloaded(this.source.batches()) : this.source.batches();
    if ((this.o.startOn ?? 'listen') === 'first-subscription') await this.sink.waitForSubscriber();
    this.lastYieldMs = performance.now();
    try {
      for await (const batch of batches) {
        if (this.stopped) break;
        await this.pace(batch);
        if (this.stopped) break;
        this.release(batch);
        if (this.o.speed === 'max') {
          while (this.sink.maxBufferedBytes() > HIGH_WATER_BYTES && !this.stopped) await sleep(1);
        }
        if (performance.now() - this.lastYieldMs > YIELD_EVERY_MS) {
          await turn();
          this.lastYieldMs = performance.now();
        }
      }
    } finally {
      this.ended = true;
      // Pending shutdown closes are due now that no more market time will pass.
      this.sink.tick(Number.POSITIVE_INFINITY);
      await this.source.close();
    }
  }

  private async pace(batch: MarketBatch): Promise<void> {
    if (this.marketStartUs === undefined) {
      this.marketStartUs = batch.paceUs;
      this.wallStartMs = performance.now();
    }
    if (this.o.speed === 'max') return;
    const dueMs = (this.wallStartMs as number) + (batch.paceUs - this.marketStartUs) / 1000 / this.o.speed;
    const waitMs = dueMs - performance.now();
    if (waitMs >= 1) {
      await sleep(waitMs);
      this.lastYieldMs = performance.now();
    }
  }

  private release(batch: MarketBatch): void {
    const start = this.marketStartUs as number;
    this.lastPaceUs = Math.max(this.lastPaceUs ?? batch.paceUs, batch.paceUs);
    const elapsedUs = this.lastPaceUs - start;
    for (const rule of this.injector.dueTimedFaults(elapsedUs)) this.sink.timedFault(rule, elapsedUs);
    this.sink.tick(elapsedUs);
    this.emitDepth20(batch.paceUs, elapsedUs);
    for (const e of batch.events) {
      this.state.apply(e);
      if (e.type !== 'snapshot' && e.type !== 'bookChanges') this.sink.publish(e, elapsedUs);
    }
    this.batches++;
    this.events += batch.events.length;
  }

  /** depth20 for every 50 ms boundary passed, from the true book as it stood then. */
  private emitDepth20(paceUs: number, elapsedUs: number): void {
    const interval = this.o.depth20IntervalUs ?? 50_000;
    if (this.nextDepth20Us === undefined) this.nextDepth20Us = (Math.floor(paceUs / interval) + 1) * interval;
    // After a long pause (or a replay's first batch) emit one event for the latest boundary only.
    if (paceUs - this.nextDepth20Us > 10 * interval) {
      this.nextDepth20Us = Math.floor(paceUs / interval) * interval;
    }
    while (this.nextDepth20Us <= paceUs) {
      for (const symbol of this.state.symbols) {
        if (!this.state.truth.isSeeded(symbol)) continue;
        const book = this.state.truth.liveBook(symbol);
        this.sink.publishDepth20(
          {
            symbol,
            eventTimeUs: this.nextDepth20Us,
            bookUpdateId: book.lastUpdateId,
            priceExponent: -8,
            qtyExponent: -8,
            bids: book.top(Side.Bid, DEPTH20_LEVELS),
            asks: book.top(Side.Ask, DEPTH20_LEVELS),
          },
          elapsedUs,
        );
      }
      this.nextDepth20Us += interval;
    }
  }
}
