/** The three Kinesis streams, one per SBE stream family (depth20 rides with the diffs it checks). */
import { TemplateId } from '../../core/sbe/abi.ts';

export type StreamKind = 'trade' | 'bestbidask' | 'depth';
export const STREAM_KINDS: readonly StreamKind[] = ['trade', 'bestbidask', 'depth'];

export function streamKindOf(templateId: number): StreamKind | undefined {
  switch (templateId) {
    case TemplateId.Trades:
      return 'trade';
    case TemplateId.BestBidAsk:
      return 'bestbidask';
    case TemplateId.DepthDiff:
    case TemplateId.DepthSnapshot:
      return 'depth';
    default:
      return undefined;
  }
}

/** Binance stream names for a symbol: lower-case symbol, camel-case stream type. */
export function binanceStreamNames(symbol: string): string[] {
  const s = symbol.toLowerCase();
  return [`${s}@trade`, `${s}@bestBidAsk`, `${s}@depth`, `${s}@depth20`];
}
