/**
 * The result of decoding a batch of frames: float64 records laid out as abi.ts describes, readable
 * without allocation on the hot path, and materialised into message objects where convenience wins.
 */
import { Field, LEVEL_STRIDE, MESSAGE_STRIDE, Status, TemplateId, TRADE_STRIDE } from './abi.ts';
import { errorForStatus } from './errors.ts';
import type { PriceLevel, SbeMessage, Trade } from './messages.ts';

export interface DecodedBatch {
  /** Frames in the batch; messages holds one record per frame. */
  readonly count: number;
  /** Frames that decoded with Status.Ok. */
  readonly ok: number;
  readonly messages: Float64Array;
  readonly levels: Float64Array;
  readonly trades: Float64Array;
  /** The bytes that Field.SymbolOffset points into. */
  readonly bytes: Uint8Array<ArrayBufferLike>;
}

/** Reads a record field: `field(batch, i, Field.EventTimeUs)`. */
export function field(batch: DecodedBatch, index: number, f: number): number {
  return batch.messages[index * MESSAGE_STRIDE + f] as number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Symbol strings without a TextDecoder call per message: a stream carries a handful of symbols, so
 * the last few decoded are kept and matched byte for byte.
 */
export class SymbolCache {
  private readonly entries: { bytes: Uint8Array; text: string }[] = [];

  text(bytes: Uint8Array, offset: number, length: number): string {
    for (const entry of this.entries) {
      if (entry.bytes.length === length && matches(entry.bytes, bytes, offset)) return entry.text;
    }
    const copy = bytes.slice(offset, offset + length);
    const text = utf8.decode(copy);
    // 16 symbols covers any one connection's subscriptions; older entries are evicted first.
    if (this.entries.length >= 16) this.entries.shift();
    this.entries.push({ bytes: copy, text });
    return text;
  }
}

function matches(a: Uint8Array, b: Uint8Array, offset: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[offset + i]) return false;
  return true;
}

const defaultSymbols = new SymbolCache();

export function symbolAt(batch: DecodedBatch, index: number, symbols = defaultSymbols): string {
  const base = index * MESSAGE_STRIDE;
  const offset = batch.messages[base + Field.SymbolOffset] as number;
  const length = batch.messages[base + Field.SymbolLength] as number;
  return symbols.text(batch.bytes, offset, length);
}

function levelsAt(batch: DecodedBatch, start: number, count: number): PriceLevel[] {
  const out: PriceLevel[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const at = (start + j) * LEVEL_STRIDE;
    out[j] = { priceMantissa: batch.levels[at] as number, qtyMantissa: batch.levels[at + 1] as number };
  }
  return out;
}

function tradesAt(batch: DecodedBatch, start: number, count: number): Trade[] {
  const out: Trade[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const at = (start + k) * TRADE_STRIDE;
    const t = batch.trades;
    out[k] = {
      id: t[at] as number,
      priceMantissa: t[at + 1] as number,
      qtyMantissa: t[at + 2] as number,
      isBuyerMaker: t[at + 3] !== 0,
    };
  }
  return out;
}

/**
 * The message object for record `index`: null for an unknown template (skipped by design), and the
 * typed SbeDecodeError thrown for a frame that failed to decode.
 */
export function messageAt(batch: DecodedBatch, index: number): SbeMessage | null {
  const m = batch.messages;
  const base = index * MESSAGE_STRIDE;
  const status = m[base + Field.Status] as number;
  if (status === Status.UnknownTemplate) return null;
  if (status !== Status.Ok) {
    throw errorForStatus(status, m[base + Field.ErrorDetail] as number);
  }
  const common = {
    eventTimeUs: m[base + Field.EventTimeUs] as number,
    priceExponent: m[base + Field.PriceExponent] as number,
    qtyExponent: m[base + Field.QtyExponent] as number,
    symbol: symbolAt(batch, index),
  };
  const start = m[base + Field.EntryStart] as number;
  const bidCount = m[base + Field.BidCount] as number;
  const askCount = m[base + Field.AskCount] as number;
  const templateId = m[base + Field.TemplateId] as number;
  switch (templateId) {
    case TemplateId.Trades:
      return {
        templateId,
        ...common,
        transactTimeUs: m[base + Field.TransactTimeUs] as number,
        trades: tradesAt(batch, start, bidCount),
      };
    case TemplateId.BestBidAsk:
      return {
        templateId,
        ...common,
        bookUpdateId: m[base + Field.LastUpdateId] as number,
        bidPriceMantissa: m[base + Field.BidPrice] as number,
        bidQtyMantissa: m[base + Field.BidQty] as number,
        askPriceMantissa: m[base + Field.AskPrice] as number,
        askQtyMantissa: m[base + Field.AskQty] as number,
      };
    case TemplateId.DepthSnapshot:
      return {
        templateId,
        ...common,
        bookUpdateId: m[base + Field.LastUpdateId] as number,
        bids: levelsAt(batch, start, bidCount),
        asks: levelsAt(batch, start + bidCount, askCount),
      };
    case TemplateId.DepthDiff:
      return {
        templateId,
        ...common,
        firstBookUpdateId: m[base + Field.FirstUpdateId] as number,
        lastBookUpdateId: m[base + Field.LastUpdateId] as number,
        bids: levelsAt(batch, start, bidCount),
        asks: levelsAt(batch, start + bidCount, askCount),
      };
    default:
      throw new Error(`Decoder returned Ok for template ${templateId}, which it does not know.`);
  }
}
