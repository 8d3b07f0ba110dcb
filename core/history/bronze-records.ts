/**
 * The project's bronze (docs/bronze-layout.md) as history records, one archived line at a time: the
 * raw-stream archive's depth diffs, trades and best bid/ask (`stream/depth`, `stream/trade`,
 * `stream/bestbidask`: the exact SBE frames the pipeline received, decoded by the same decoder) and
 * the REST depth snapshots (`rest/depth`). Best bid/ask frames are true tops at their update id: a
 * book rebuilt without a snapshot is checked and completed by them (docs/adr/0090).
 * Receive time is the archive's `recvTimeUs`; mantissas are brought to RECORD_EXPONENT (-8, which
 * BTCUSDT's frames carry already). The streaming counterpart of core/model/bronze-tape.ts, so that a
 * day of bronze is replayed in constant memory like any other history (docs/adr/0131). Pure.
 */
import { parseDecimalMantissa } from '../binance/decimal.ts';
import type { Level } from '../book/order-book.ts';
import type { DepthLine, StreamFrameLine } from '../bronze/bronze-lines.ts';
import { Field, LEVEL_STRIDE, Status, TemplateId, TRADE_STRIDE } from '../sbe/abi.ts';
import type { SbeBatchDecoder } from '../sbe/batch-decoder.ts';
import { field, symbolAt } from '../sbe/decoded-batch.ts';
import { type HistoryRecord, RECORD_EXPONENT, type SnapshotRecord } from './history-record.ts';

export interface BronzeRecordCounts {
  frames: number;
  /** Archived frames that do not decode (received, and counted by the pipeline too). */
  undecodable: number;
  /** Frames of templates other than depth diffs, trades and best bid/ask (skipped). */
  otherTemplates: number;
}

/** A mantissa at `exponent` brought to RECORD_EXPONENT (exact when `exponent` >= -8). */
const rescale = (mantissa: number, exponent: number): number =>
  exponent === RECORD_EXPONENT
    ? mantissa
    : exponent > RECORD_EXPONENT
      ? mantissa * 10 ** (exponent - RECORD_EXPONENT)
      : mantissa / 10 ** (RECORD_EXPONENT - exponent);

const READ = new Set<number>([TemplateId.DepthDiff, TemplateId.Trades, TemplateId.BestBidAsk]);

/** The records one archived frame holds (a diff, a top, or the trades of a trade frame). */
export function bronzeFrameRecords(
  line: StreamFrameLine,
  decoder: SbeBatchDecoder,
  counts: BronzeRecordCounts,
  out: HistoryRecord[],
): void {
  counts.frames++;
  if (!READ.has(line.templateId)) {
    counts.otherTemplates++;
    return;
  }
  const b = decoder.decodeFrame(Buffer.from(line.sbe, 'base64'));
  if (field(b, 0, Field.Status) !== Status.Ok) {
    counts.undecodable++;
    return;
  }
  const symbol = symbolAt(b, 0);
  const start = field(b, 0, Field.EntryStart);
  const pe = field(b, 0, Field.PriceExponent);
  const qe = field(b, 0, Field.QtyExponent);
  const recvUs = line.recvTimeUs;
  if (field(b, 0, Field.TemplateId) === TemplateId.DepthDiff) {
    const bidCount = field(b, 0, Field.BidCount);
    const askCount = field(b, 0, Field.AskCount);
    const side = (from: number, n: number): Level[] => {
      const levels: Level[] = new Array(n);
      for (let j = 0; j < n; j++) {
        const at = (from + j) * LEVEL_STRIDE;
        levels[j] = [rescale(b.levels[at] as number, pe), rescale(b.levels[at + 1] as number, qe)];
      }
      return levels;
    };
    out.push({
      kind: 'diff',
      recvUs,
      symbol,
      timeUs: field(b, 0, Field.EventTimeUs),
      firstUpdateId: field(b, 0, Field.FirstUpdateId),
      lastUpdateId: field(b, 0, Field.LastUpdateId),
      bids: side(start, bidCount),
      asks: side(start + bidCount, askCount),
    });
    return;
  }
  if (field(b, 0, Field.TemplateId) === TemplateId.BestBidAsk) {
    out.push({
      kind: 'top',
      recvUs,
      symbol,
      source: 'bookTicker',
      updateId: field(b, 0, Field.LastUpdateId),
      timeUs: field(b, 0, Field.EventTimeUs),
      bids: [[rescale(field(b, 0, Field.BidPrice), pe), rescale(field(b, 0, Field.BidQty), qe)]],
      asks: [[rescale(field(b, 0, Field.AskPrice), pe), rescale(field(b, 0, Field.AskQty), qe)]],
    });
    return;
  }
  const timeUs = field(b, 0, Field.TransactTimeUs);
  const eventTimeUs = field(b, 0, Field.EventTimeUs);
  for (let k = 0; k < field(b, 0, Field.BidCount); k++) {
    const t = (start + k) * TRADE_STRIDE;
    out.push({
      kind: 'trade',
      recvUs,
      symbol,
      timeUs,
      eventTimeUs,
      id: b.trades[t] as number,
      priceMantissa: rescale(b.trades[t + 1] as number, pe),
      qtyMantissa: rescale(b.trades[t + 2] as number, qe),
      isBuyerMaker: b.trades[t + 3] !== 0,
    });
  }
}

const levels = (raw: readonly [string, string][]): Level[] =>
  raw.map(([p, q]) => [parseDecimalMantissa(p, RECORD_EXPONENT), parseDecimalMantissa(q, RECORD_EXPONENT)]);

/** A `rest/depth` line (a REST snapshot as the poller or the re-anchor archived it). */
export function bronzeSnapshotRecord(line: DepthLine): SnapshotRecord {
  return {
    kind: 'snapshot',
    recvUs: line.recvTimeUs,
    lastUpdateId: line.lastUpdateId,
    bids: levels(line.bids),
    asks: levels(line.asks),
  };
}
