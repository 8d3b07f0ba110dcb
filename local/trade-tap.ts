/** Decodes the trades inside a Kinesis record (a frame envelope) for the dashboard's trade list. */
import { allocateEnvelopeFrames, readEnvelope } from '../core/envelope/frame-envelope.ts';
import { Field, Status, TemplateId, TRADE_STRIDE } from '../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../core/sbe/batch-decoder.ts';
import { field } from '../core/sbe/decoded-batch.ts';
import type { RecentTrade } from './local-pipeline.ts';

const frames = allocateEnvelopeFrames();

export function decodeTrades(decoder: SbeBatchDecoder, record: Uint8Array): RecentTrade[] {
  const count = readEnvelope(record, frames);
  const batch = decoder.decodeBatch(record, frames.offsets, frames.lengths, count);
  const out: RecentTrade[] = [];
  for (let i = 0; i < count; i++) {
    if (
      field(batch, i, Field.Status) !== Status.Ok ||
      field(batch, i, Field.TemplateId) !== TemplateId.Trades
    )
      continue;
    const priceScale = 10 ** field(batch, i, Field.PriceExponent);
    const qtyScale = 10 ** field(batch, i, Field.QtyExponent);
    const start = field(batch, i, Field.EntryStart);
    for (let k = 0; k < field(batch, i, Field.BidCount); k++) {
      const at = (start + k) * TRADE_STRIDE;
      out.push({
        id: batch.trades[at] as number,
        timeMs: field(batch, i, Field.TransactTimeUs) / 1000,
        price: (batch.trades[at + 1] as number) * priceScale,
        qty: (batch.trades[at + 2] as number) * qtyScale,
        side: batch.trades[at + 3] ? 'sell' : 'buy',
      });
    }
  }
  return out;
}
