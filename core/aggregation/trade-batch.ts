/**
 * Plans what one Kinesis batch of trade frames changes in a symbol's rolling trade windows.
 * Duplicate trades (same id, Kinesis is at least once) count once (TradeWindows de-duplicates by
 * id). The result is written with a compare-and-set on the trade state's version. Pure.
 */
import { mantissaToNumber } from '../features/book-top.ts';
import type { TradeWindows, TradeWindowsSnapshot, WindowKey, WindowStats } from '../trades/trade-windows.ts';
import { InvalidTradeError } from '../trades/trade-windows.ts';

export interface SymbolTradeState {
  symbol: string;
  windows: TradeWindows;
  /** Bumped by every write; the compare-and-set key. */
  version: number;
}

export interface TradeWrite {
  symbol: string;
  expectedVersion: number;
  version: number;
  state: TradeWindowsSnapshot;
  stats: Record<WindowKey, WindowStats>;
  added: number;
  duplicates: number;
  tooOld: number;
  invalid: number;
  /** Exchange time the statistics are computed at: the newest trade seen. */
  asOfUs: number;
  eventTimesUs: number[];
  receiveTimesUs: number[];
}

export class TradeBatch {
  private added = 0;
  private duplicates = 0;
  /** Trades no window can hold (zero quantity, non-positive price): counted and skipped. */
  private invalid = 0;
  private tooOld = 0;
  private newestUs = 0;
  private readonly eventTimesUs: number[] = [];
  private readonly receiveTimesUs: number[] = [];
  private readonly expectedVersion: number;

  constructor(readonly state: SymbolTradeState) {
    this.expectedVersion = state.version;
  }

  /** One TradesStreamEvent: trades[start…] holds (id, price, qty, isBuyerMaker) quadruples. */
  frame(
    transactTimeUs: number,
    eventTimeUs: number,
    priceExponent: number,
    qtyExponent: number,
    trades: ArrayLike<number>,
    start: number,
    count: number,
    receiveTimeUs = 0,
  ): void {
    for (let k = 0; k < count; k++) {
      const at = (start + k) * 4;
      let result: ReturnType<typeof this.state.windows.add>;
      try {
        result = this.state.windows.add({
          id: trades[at] as number,
          timeUs: transactTimeUs,
          price: mantissaToNumber(trades[at + 1] as number, priceExponent),
          qty: mantissaToNumber(trades[at + 2] as number, qtyExponent),
          isBuyerMaker: trades[at + 3] !== 0,
        });
      } catch (error) {
        // One bad trade must not fail the batch (and dead-letter the good trades with it).
        if (!(error instanceof InvalidTradeError)) throw error;
        this.invalid++;
        continue;
      }
      if (result === 'added') this.added++;
      else if (result === 'duplicate') this.duplicates++;
      else this.tooOld++;
    }
    this.newestUs = Math.max(this.newestUs, transactTimeUs);
    this.eventTimesUs.push(eventTimeUs);
    this.receiveTimesUs.push(receiveTimeUs);
  }

  /** Undefined when nothing new arrived (a batch of duplicates writes nothing). */
  finish(): TradeWrite | undefined {
    if (this.added === 0) return undefined;
    const version = this.expectedVersion + 1;
    this.state.version = version;
    return {
      symbol: this.state.symbol,
      expectedVersion: this.expectedVersion,
      version,
      state: this.state.windows.toJSON(),
      stats: this.state.windows.allStats(this.newestUs),
      added: this.added,
      duplicates: this.duplicates,
      tooOld: this.tooOld,
      invalid: this.invalid,
      asOfUs: this.newestUs,
      eventTimesUs: this.eventTimesUs,
      receiveTimesUs: this.receiveTimesUs,
    };
  }

  get counts(): { added: number; duplicates: number; tooOld: number; invalid: number } {
    return { added: this.added, duplicates: this.duplicates, tooOld: this.tooOld, invalid: this.invalid };
  }
}
