/**
 * Encodes the four stream templates into SBE frames exactly as Binance sends them (used by the local
 * venue, tests and benchmarks). Options produce what a later schema version or a hostile peer would
 * send: longer blocks with trailing fields, another schema id or version.
 */
import {
  BEST_BID_ASK_ROOT_LENGTH,
  DEPTH_DIFF_ROOT_LENGTH,
  DEPTH_SNAPSHOT_ROOT_LENGTH,
  GROUP_HEADER_LENGTH,
  GROUP16_HEADER_LENGTH,
  HEADER_LENGTH,
  LEVEL_ENTRY_LENGTH,
  SCHEMA_ID,
  SCHEMA_VERSION,
  TemplateId,
  TRADE_ENTRY_LENGTH,
  TRADES_ROOT_LENGTH,
} from './abi.ts';
import type {
  BestBidAskEvent,
  DepthDiffEvent,
  DepthSnapshotEvent,
  PriceLevel,
  SbeMessage,
  TradesEvent,
} from './messages.ts';

export interface EncodeOptions {
  /** @default 1 (the stream schema) */
  schemaId?: number;
  /** @default 0 */
  version?: number;
  /** Bytes appended to the root block, as fields added by a later schema version. @default 0 */
  rootExtraBytes?: number;
  /** Bytes appended to every group entry. @default 0 */
  entryExtraBytes?: number;
  /** The value of every appended byte, so tests can prove they are skipped. @default 0 */
  extraByteValue?: number;
}

const utf8 = new TextEncoder();
const TWO_POW_32 = 4294967296;

/** A bounds-checked little-endian cursor over a frame being written. */
class FrameWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  constructor(
    size: number,
    private readonly extraByteValue: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  i8(v: number): void {
    this.view.setInt8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  /** Any safe integer, as two's-complement int64 (ToUint32 keeps the low word of negatives too). */
  i64(v: number): void {
    if (!Number.isSafeInteger(v))
      throw new RangeError(`${v} is not a safe integer, so not encodable as int64.`);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.view.setInt32(this.pos + 4, Math.floor(v / TWO_POW_32), true);
    this.pos += 8;
  }
  /** Bytes of fields a later schema version would append. */
  extra(n: number): void {
    this.bytes.fill(this.extraByteValue, this.pos, this.pos + n);
    this.pos += n;
  }
}

interface Layout {
  templateId: number;
  rootLength: number;
  /** Bytes of all groups including their headers. */
  groupBytes: number;
}

function begin(layout: Layout, symbol: Uint8Array, o: EncodeOptions): FrameWriter {
  if (symbol.length > 255) throw new RangeError(`Symbol of ${symbol.length} bytes exceeds varString8's 255.`);
  const rootLength = layout.rootLength + (o.rootExtraBytes ?? 0);
  const size = HEADER_LENGTH + rootLength + layout.groupBytes + 1 + symbol.length;
  const w = new FrameWriter(size, o.extraByteValue ?? 0);
  w.u16(rootLength);
  w.u16(layout.templateId);
  w.u16(o.schemaId ?? SCHEMA_ID);
  w.u16(o.version ?? SCHEMA_VERSION);
  return w;
}

function finish(w: FrameWriter, symbol: Uint8Array): Uint8Array {
  w.u8(symbol.length);
  w.bytes.set(symbol, w.pos);
  return w.bytes;
}

function levelGroupBytes(levels: readonly PriceLevel[], o: EncodeOptions): number {
  return GROUP16_HEADER_LENGTH + levels.length * (LEVEL_ENTRY_LENGTH + (o.entryExtraBytes ?? 0));
}

function writeLevels(w: FrameWriter, levels: readonly PriceLevel[], o: EncodeOptions): void {
  const extra = o.entryExtraBytes ?? 0;
  if (levels.length > 0xffff) throw new RangeError(`${levels.length} levels exceed groupSize16Encoding.`);
  w.u16(LEVEL_ENTRY_LENGTH + extra);
  w.u16(levels.length);
  for (const level of levels) {
    w.i64(level.priceMantissa);
    w.i64(level.qtyMantissa);
    w.extra(extra);
  }
}

export function encodeTrades(e: Omit<TradesEvent, 'templateId'>, o: EncodeOptions = {}): Uint8Array {
  const symbol = utf8.encode(e.symbol);
  const extra = o.entryExtraBytes ?? 0;
  const groupBytes = GROUP_HEADER_LENGTH + e.trades.length * (TRADE_ENTRY_LENGTH + extra);
  const w = begin({ templateId: TemplateId.Trades, rootLength: TRADES_ROOT_LENGTH, groupBytes }, symbol, o);
  w.i64(e.eventTimeUs);
  w.i64(e.transactTimeUs);
  w.i8(e.priceExponent);
  w.i8(e.qtyExponent);
  w.extra(o.rootExtraBytes ?? 0);
  w.u16(TRADE_ENTRY_LENGTH + extra);
  w.u32(e.trades.length);
  for (const t of e.trades) {
    w.i64(t.id);
    w.i64(t.priceMantissa);
    w.i64(t.qtyMantissa);
    w.u8(t.isBuyerMaker ? 1 : 0);
    w.extra(extra);
  }
  return finish(w, symbol);
}

export function encodeBestBidAsk(e: Omit<BestBidAskEvent, 'templateId'>, o: EncodeOptions = {}): Uint8Array {
  const symbol = utf8.encode(e.symbol);
  const layout = { templateId: TemplateId.BestBidAsk, rootLength: BEST_BID_ASK_ROOT_LENGTH, groupBytes: 0 };
  const w = begin(layout, symbol, o);
  w.i64(e.eventTimeUs);
  w.i64(e.bookUpdateId);
  w.i8(e.priceExponent);
  w.i8(e.qtyExponent);
  w.i64(e.bidPriceMantissa);
  w.i64(e.bidQtyMantissa);
  w.i64(e.askPriceMantissa);
  w.i64(e.askQtyMantissa);
  w.extra(o.rootExtraBytes ?? 0);
  return finish(w, symbol);
}

export function encodeDepthSnapshot(
  e: Omit<DepthSnapshotEvent, 'templateId'>,
  o: EncodeOptions = {},
): Uint8Array {
  const symbol = utf8.encode(e.symbol);
  const groupBytes = levelGroupBytes(e.bids, o) + levelGroupBytes(e.asks, o);
  const w = begin(
    { templateId: TemplateId.DepthSnapshot, rootLength: DEPTH_SNAPSHOT_ROOT_LENGTH, groupBytes },
    symbol,
    o,
  );
  w.i64(e.eventTimeUs);
  w.i64(e.bookUpdateId);
  w.i8(e.priceExponent);
  w.i8(e.qtyExponent);
  w.extra(o.rootExtraBytes ?? 0);
  writeLevels(w, e.bids, o);
  writeLevels(w, e.asks, o);
  return finish(w, symbol);
}

export function encodeDepthDiff(e: Omit<DepthDiffEvent, 'templateId'>, o: EncodeOptions = {}): Uint8Array {
  const symbol = utf8.encode(e.symbol);
  const groupBytes = levelGroupBytes(e.bids, o) + levelGroupBytes(e.asks, o);
  const w = begin(
    { templateId: TemplateId.DepthDiff, rootLength: DEPTH_DIFF_ROOT_LENGTH, groupBytes },
    symbol,
    o,
  );
  w.i64(e.eventTimeUs);
  w.i64(e.firstBookUpdateId);
  w.i64(e.lastBookUpdateId);
  w.i8(e.priceExponent);
  w.i8(e.qtyExponent);
  w.extra(o.rootExtraBytes ?? 0);
  writeLevels(w, e.bids, o);
  writeLevels(w, e.asks, o);
  return finish(w, symbol);
}

export function encodeMessage(message: SbeMessage, o: EncodeOptions = {}): Uint8Array {
  switch (message.templateId) {
    case TemplateId.Trades:
      return encodeTrades(message, o);
    case TemplateId.BestBidAsk:
      return encodeBestBidAsk(message, o);
    case TemplateId.DepthSnapshot:
      return encodeDepthSnapshot(message, o);
    case TemplateId.DepthDiff:
      return encodeDepthDiff(message, o);
  }
}
