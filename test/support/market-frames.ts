/**
 * Deterministic market-event sequences as SBE frames, with contiguous depth update ids and trade
 * ids, for tests that check what the pipeline forwards.
 */
import { TemplateId } from '../../core/sbe/abi.ts';
import { encodeMessage } from '../../core/sbe/encoder.ts';
import type { SbeMessage } from '../../core/sbe/messages.ts';

export interface MarketFrame {
  message: SbeMessage;
  bytes: Uint8Array;
}

export class MarketScript {
  private updateId = 50_093_239_208;
  private tradeId = 3_735_683_259;
  private timeUs = 1_723_161_255_000_000;
  private step = 0;

  constructor(private readonly symbol = 'BTCUSDT') {}

  /** The next event in a fixed rotation: diff, trade, bestBidAsk, diff, trade, depth20. */
  next(): MarketFrame {
    this.timeUs += 1000;
    const kind = this.step++ % 6;
    const base = { eventTimeUs: this.timeUs, priceExponent: -8, qtyExponent: -8, symbol: this.symbol };
    const level = (i: number) => ({
      priceMantissa: 6_000_000_000_000 + i * 1_000_000,
      qtyMantissa: 100_000 + i,
    });
    let message: SbeMessage;
    if (kind === 0 || kind === 3) {
      const first = this.updateId;
      this.updateId += 3;
      message = {
        ...base,
        templateId: TemplateId.DepthDiff,
        firstBookUpdateId: first,
        lastBookUpdateId: first + 2,
        bids: [level(1), level(2)],
        asks: [level(3)],
      };
    } else if (kind === 1 || kind === 4) {
      const trades = [0, 1].map((k) => ({
        id: this.tradeId + k,
        priceMantissa: 6_000_001_000_000,
        qtyMantissa: 5000,
        isBuyerMaker: k === 0,
      }));
      this.tradeId += 2;
      message = { ...base, templateId: TemplateId.Trades, transactTimeUs: this.timeUs, trades };
    } else if (kind === 2) {
      message = {
        ...base,
        templateId: TemplateId.BestBidAsk,
        bookUpdateId: this.updateId - 1,
        bidPriceMantissa: 6_000_000_000_000,
        bidQtyMantissa: 1,
        askPriceMantissa: 6_000_001_000_000,
        askQtyMantissa: 2,
      };
    } else {
      message = {
        ...base,
        templateId: TemplateId.DepthSnapshot,
        bookUpdateId: this.updateId - 1,
        bids: [level(1)],
        asks: [level(2)],
      };
    }
    return { message, bytes: encodeMessage(message) };
  }

  take(n: number): MarketFrame[] {
    return Array.from({ length: n }, () => this.next());
  }
}

export const streamOf = (m: SbeMessage) =>
  m.templateId === TemplateId.Trades
    ? 'trade'
    : m.templateId === TemplateId.BestBidAsk
      ? 'bestbidask'
      : 'depth';
