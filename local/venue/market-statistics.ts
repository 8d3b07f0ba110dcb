/**
 * Measures a market event stream the way a client sees it (a book rebuilt from the snapshot and the
 * depth diffs, the trade prints), for the synthetic market's calibration targets. Pure: times come
 * from the events.
 */
import type { MarketEvent } from './market-events.ts';
import { OrderBook, Side } from './order-book.ts';

export interface MarketStatisticsSummary {
  spanS: number;
  tradesPerS: number;
  /** The busiest one-second bucket (aligned on whole seconds of exchange time). */
  maxTradesIn1s: number;
  diffs: number;
  meanDiffIntervalMs: number;
  meanLevelsPerDiff: number;
  p99LevelsPerDiff: number;
  maxLevelsPerDiff: number;
  /** Share of diff boundaries (every 20 ms) at which the spread is one tick. */
  oneTickSpreadShare: number;
  /** Std of 10 s mid log returns in basis points, sampled every second (overlapping windows). */
  returnStdBp10s: number;
  bestBidAskPerS: number;
  updateIdGaps: number;
  tradeIdGaps: number;
  crossedBooks: number;
}

export class MarketStatistics {
  private readonly book = new OrderBook();
  private firstUs: number | undefined;
  private lastUs = 0;
  private trades = 0;
  private readonly tradesPerSecond = new Map<number, number>();
  private readonly levelsPerDiff: number[] = [];
  private lastDiffUs: number | undefined;
  private diffIntervalSumUs = 0;
  private oneTick = 0;
  private readonly midBySecond = new Map<number, number>();
  private bestBidAsk = 0;
  private updateIdGaps = 0;
  private tradeIdGaps = 0;
  private lastTradeId: number | undefined;
  private crossed = 0;

  constructor(
    readonly symbol: string,
    private readonly tick: number,
  ) {}

  observe(e: MarketEvent): void {
    if (e.symbol !== this.symbol) return;
    switch (e.type) {
      case 'snapshot':
        for (const l of e.bids) this.book.set(Side.Bid, l.priceMantissa, l.qtyMantissa);
        for (const l of e.asks) this.book.set(Side.Ask, l.priceMantissa, l.qtyMantissa);
        this.book.lastUpdateId = e.lastUpdateId;
        this.firstUs = e.timeUs;
        return;
      case 'trades': {
        for (const t of e.trades) {
          if (this.lastTradeId !== undefined && t.id !== this.lastTradeId + 1) this.tradeIdGaps++;
          this.lastTradeId = t.id;
        }
        this.trades += e.trades.length;
        const second = Math.floor(e.transactTimeUs / 1e6);
        this.tradesPerSecond.set(second, (this.tradesPerSecond.get(second) ?? 0) + e.trades.length);
        return;
      }
      case 'bestBidAsk':
        this.bestBidAsk++;
        return;
      case 'depthDiff': {
        if (e.firstUpdateId !== this.book.lastUpdateId + 1) this.updateIdGaps++;
        for (const l of e.bids) this.book.set(Side.Bid, l.priceMantissa, l.qtyMantissa);
        for (const l of e.asks) this.book.set(Side.Ask, l.priceMantissa, l.qtyMantissa);
        this.book.lastUpdateId = e.lastUpdateId;
        this.levelsPerDiff.push(e.bids.length + e.asks.length);
        if (this.lastDiffUs !== undefined) this.diffIntervalSumUs += e.eventTimeUs - this.lastDiffUs;
        this.lastDiffUs = e.eventTimeUs;
        this.lastUs = e.eventTimeUs;
        const bid = this.book.best(Side.Bid);
        const ask = this.book.best(Side.Ask);
        if (bid === undefined || ask === undefined) return;
        if (ask <= bid) this.crossed++;
        if (ask - bid === this.tick) this.oneTick++;
        const second = Math.floor(e.eventTimeUs / 1e6);
        if (!this.midBySecond.has(second)) this.midBySecond.set(second, (bid + ask) / 2);
        return;
      }
      default:
        return;
    }
  }

  summary(): MarketStatisticsSummary {
    const spanS = (this.lastUs - (this.firstUs ?? this.lastUs)) / 1e6;
    const sorted = [...this.levelsPerDiff].sort((a, b) => a - b);
    const returns: number[] = [];
    for (const [second, mid] of this.midBySecond) {
      const later = this.midBySecond.get(second + 10);
      if (later !== undefined) returns.push(Math.log(later / mid) * 1e4);
    }
    const mean = returns.reduce((s, r) => s + r, 0) / Math.max(1, returns.length);
    const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, returns.length - 1);
    const diffs = this.levelsPerDiff.length;
    return {
      spanS,
      tradesPerS: this.trades / Math.max(spanS, 1e-9),
      maxTradesIn1s: Math.max(0, ...this.tradesPerSecond.values()),
      diffs,
      meanDiffIntervalMs: this.diffIntervalSumUs / Math.max(1, diffs - 1) / 1000,
      meanLevelsPerDiff: sorted.reduce((s, n) => s + n, 0) / Math.max(1, diffs),
      p99LevelsPerDiff: sorted[Math.floor(diffs * 0.99)] ?? 0,
      maxLevelsPerDiff: sorted[diffs - 1] ?? 0,
      oneTickSpreadShare: this.oneTick / Math.max(1, diffs),
      returnStdBp10s: Math.sqrt(variance),
      bestBidAskPerS: this.bestBidAsk / Math.max(spanS, 1e-9),
      updateIdGaps: this.updateIdGaps,
      tradeIdGaps: this.tradeIdGaps,
      crossedBooks: this.crossed,
    };
  }
}
