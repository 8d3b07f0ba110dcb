/**
 * Everything the venue knows about its markets: the ground truth (books and trade tapes) and what
 * REST derives from the tape (aggregate trades, klines). Updated only from the source's truth
 * events, never from what is sent, so faults cannot reach it.
 */
import { GroundTruth, type GroundTruthOptions } from './ground-truth.ts';
import type { MarketEvent } from './market-events.ts';
import { AggTradeLog, KlineLog } from './trade-aggregates.ts';

export interface MarketStateOptions extends GroundTruthOptions {
  /** @default 500_000 aggregate trades */
  aggTradeCapacity?: number;
  /** @default 10_080 (7 days of 1-minute klines) */
  klineMinutes?: number;
  /** First aggregate trade id (recordings do not carry them). @default 3_100_000_000 */
  firstAggTradeId?: number;
}

export class MarketState {
  readonly truth: GroundTruth;
  private readonly aggTrades = new Map<string, AggTradeLog>();
  private readonly klines = new Map<string, KlineLog>();

  constructor(
    readonly symbols: readonly string[],
    o: MarketStateOptions = {},
  ) {
    this.truth = new GroundTruth(symbols, o);
    for (const s of symbols) {
      this.aggTrades.set(
        s,
        new AggTradeLog(o.aggTradeCapacity ?? 500_000, o.firstAggTradeId ?? 3_100_000_000),
      );
      this.klines.set(s, new KlineLog(o.klineMinutes ?? 10_080));
    }
  }

  has(symbol: string): boolean {
    return this.truth.has(symbol);
  }

  aggTradeLog(symbol: string): AggTradeLog {
    return this.aggTrades.get(symbol) as AggTradeLog;
  }

  klineLog(symbol: string): KlineLog {
    return this.klines.get(symbol) as KlineLog;
  }

  /** Applies a truth event; wire-only events change nothing here (bestBidAsk only checks a rebuilt book). */
  apply(e: MarketEvent): void {
    if (!this.truth.has(e.symbol)) return;
    switch (e.type) {
      case 'snapshot':
        this.truth.applySnapshot(e);
        return;
      case 'bookChanges':
        this.truth.applyChanges(e);
        return;
      case 'trades': {
        this.truth.recordTrades(e);
        const agg = this.aggTradeLog(e.symbol);
        const klines = this.klineLog(e.symbol);
        for (const t of e.trades) {
          agg.add(t, e.transactTimeUs);
          klines.add(t, e.transactTimeUs);
        }
        return;
      }
      case 'bestBidAsk':
        this.truth.checkTop(e);
        return;
      default:
        return;
    }
  }
}
