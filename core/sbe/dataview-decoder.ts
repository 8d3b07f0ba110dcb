/**
 * The pure-TypeScript SBE decoder: the benchmark baseline for the WASM decoder and the documented
 * fallback where WebAssembly is unavailable. It follows native/src/sbe_decoder.cpp rule for rule
 * (block lengths from the wire, bounded groups, every read checked against the frame's end, int64s
 * refused beyond 2^53) and fills the same records, so the two can be swapped and compared.
 */
import {
  BEST_BID_ASK_ROOT_LENGTH,
  DEPTH_DIFF_ROOT_LENGTH,
  DEPTH_SNAPSHOT_ROOT_LENGTH,
  Field,
  FRAME_CAPACITY,
  GROUP_HEADER_LENGTH,
  GROUP16_HEADER_LENGTH,
  HEADER_LENGTH,
  INPUT_CAPACITY,
  LEVEL_CAPACITY,
  LEVEL_ENTRY_LENGTH,
  LEVEL_STRIDE,
  MAX_LEVELS_PER_SIDE,
  MAX_TRADES_PER_FRAME,
  MESSAGE_STRIDE,
  SCHEMA_ID,
  Status,
  TemplateId,
  TRADE_CAPACITY,
  TRADE_ENTRY_LENGTH,
  TRADE_STRIDE,
  TRADES_ROOT_LENGTH,
} from './abi.ts';
import { SbeBatchDecoder } from './batch-decoder.ts';
import type { DecodedBatch } from './decoded-batch.ts';

const TWO_POW_32 = 4294967296;
/** An int64 is a safe JS integer iff its high word is within +-2^21 (with one edge at -2^21). */
const HIGH_LIMIT = 2097152;

/** Thrown inside a frame to stop it; caught per frame, never escapes. */
class FrameFailure {
  constructor(
    readonly status: number,
    readonly detail: number,
  ) {}
}

export class DataViewSbeDecoder extends SbeBatchDecoder {
  protected readonly frameOffsets = new Uint32Array(FRAME_CAPACITY);
  protected readonly frameLengths = new Uint32Array(FRAME_CAPACITY);
  protected readonly packArea = new Uint8Array(INPUT_CAPACITY);
  private readonly messages = new Float64Array(FRAME_CAPACITY * MESSAGE_STRIDE);
  private readonly levels = new Float64Array(LEVEL_CAPACITY * LEVEL_STRIDE);
  private readonly trades = new Float64Array(TRADE_CAPACITY * TRADE_STRIDE);
  private readonly batch: { -readonly [K in keyof DecodedBatch]: DecodedBatch[K] } = {
    count: 0,
    ok: 0,
    messages: this.messages,
    levels: this.levels,
    trades: this.trades,
    bytes: this.packArea,
  };

  // Per-frame cursor, kept in fields so the hot loop allocates nothing.
  private view: DataView<ArrayBufferLike> = new DataView(this.packArea.buffer);
  private frameStart = 0;
  private frameEnd = 0;
  private pos = 0;
  private out = 0;
  private levelsUsed = 0;
  private tradesUsed = 0;

  protected run(bytes: Uint8Array, count: number): DecodedBatch {
    const v = this.view;
    if (v.buffer !== bytes.buffer || v.byteOffset !== bytes.byteOffset || v.byteLength !== bytes.byteLength) {
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.levelsUsed = 0;
    this.tradesUsed = 0;
    let ok = 0;
    for (let i = 0; i < count; i++) {
      this.out = i * MESSAGE_STRIDE;
      this.messages.fill(0, this.out, this.out + MESSAGE_STRIDE);
      let status: number = Status.Ok;
      try {
        status = this.decodeAt(this.frameOffsets[i] as number, this.frameLengths[i] as number, bytes.length);
      } catch (e) {
        if (!(e instanceof FrameFailure)) throw e;
        status = e.status;
        this.messages[this.out + Field.ErrorDetail] = e.detail;
      }
      this.messages[this.out + Field.Status] = status;
      if (status === Status.Ok) ok++;
    }
    this.batch.count = count;
    this.batch.ok = ok;
    this.batch.bytes = bytes;
    return this.batch;
  }

  private decodeAt(offset: number, length: number, available: number): number {
    const m = this.messages;
    const o = this.out;
    if (offset + length > available) {
      throw new FrameFailure(Status.FrameOutOfInput, offset);
    }
    this.frameStart = offset;
    this.frameEnd = offset + length;
    this.pos = offset;
    this.need(HEADER_LENGTH);
    const v = this.view;
    const blockLength = v.getUint16(offset, true);
    const templateId = v.getUint16(offset + 2, true);
    const schemaId = v.getUint16(offset + 4, true);
    m[o + Field.TemplateId] = templateId;
    m[o + Field.SchemaId] = schemaId;
    m[o + Field.Version] = v.getUint16(offset + 6, true);
    this.pos += HEADER_LENGTH;
    // A newer version of schema 1 only appends fields, which the block lengths let us skip.
    if (schemaId !== SCHEMA_ID) throw new FrameFailure(Status.SchemaMismatch, schemaId);
    switch (templateId) {
      case TemplateId.Trades:
        this.tradesEvent(blockLength);
        break;
      case TemplateId.BestBidAsk:
        this.bestBidAsk(blockLength);
        break;
      case TemplateId.DepthSnapshot:
        this.depth(blockLength, DEPTH_SNAPSHOT_ROOT_LENGTH, 1);
        break;
      case TemplateId.DepthDiff:
        this.depth(blockLength, DEPTH_DIFF_ROOT_LENGTH, 2);
        break;
      default:
        m[o + Field.ErrorDetail] = templateId;
        return Status.UnknownTemplate;
    }
    this.symbol();
    return Status.Ok;
  }

  private need(n: number): void {
    const end = this.pos + n;
    if (end > this.frameEnd) throw new FrameFailure(Status.BufferTooShort, end - this.frameEnd);
  }

  /** The int64 at absolute offset `at`, refused beyond +-(2^53 - 1). */
  private i64(at: number): number {
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getInt32(at + 4, true);
    if (hi >= HIGH_LIMIT || hi < -HIGH_LIMIT || (hi === -HIGH_LIMIT && lo === 0)) {
      throw new FrameFailure(Status.UnsafeInteger, at - this.frameStart);
    }
    return hi * TWO_POW_32 + lo;
  }

  private root(blockLength: number, minLength: number): void {
    if (blockLength < minLength) throw new FrameFailure(Status.BlockLengthTooShort, blockLength);
    this.need(blockLength);
  }

  private tradesEvent(blockLength: number): void {
    this.root(blockLength, TRADES_ROOT_LENGTH);
    const m = this.messages;
    const o = this.out;
    const at = this.pos;
    m[o + Field.EventTimeUs] = this.i64(at);
    m[o + Field.TransactTimeUs] = this.i64(at + 8);
    m[o + Field.PriceExponent] = this.view.getInt8(at + 16);
    m[o + Field.QtyExponent] = this.view.getInt8(at + 17);
    this.pos += blockLength;

    this.need(GROUP_HEADER_LENGTH);
    const entryLength = this.view.getUint16(this.pos, true);
    const count = this.view.getUint32(this.pos + 2, true);
    this.pos += GROUP_HEADER_LENGTH;
    if (entryLength < TRADE_ENTRY_LENGTH) throw new FrameFailure(Status.BlockLengthTooShort, entryLength);
    if (count > MAX_TRADES_PER_FRAME) throw new FrameFailure(Status.GroupSizeTooLarge, count);
    this.need(count * entryLength);
    if (this.tradesUsed + count > TRADE_CAPACITY) throw new FrameFailure(Status.OutputFull, 0);
    const t = this.trades;
    let dst = this.tradesUsed * TRADE_STRIDE;
    for (let k = 0; k < count; k++) {
      const p = this.pos;
      t[dst] = this.i64(p);
      t[dst + 1] = this.i64(p + 8);
      t[dst + 2] = this.i64(p + 16);
      // BoolEnum: 0 False, 1 True; anything else (0xFF is SBE's null) is not a side.
      const maker = this.view.getUint8(p + 24);
      if (maker > 1) throw new FrameFailure(Status.InvalidEnumValue, p + 24 - this.frameStart);
      t[dst + 3] = maker;
      dst += TRADE_STRIDE;
      this.pos += entryLength;
    }
    m[o + Field.EntryStart] = this.tradesUsed;
    m[o + Field.BidCount] = count;
    this.tradesUsed += count;
  }

  private bestBidAsk(blockLength: number): void {
    this.root(blockLength, BEST_BID_ASK_ROOT_LENGTH);
    const m = this.messages;
    const o = this.out;
    const at = this.pos;
    m[o + Field.EventTimeUs] = this.i64(at);
    const bookUpdateId = this.i64(at + 8);
    m[o + Field.FirstUpdateId] = bookUpdateId;
    m[o + Field.LastUpdateId] = bookUpdateId;
    m[o + Field.PriceExponent] = this.view.getInt8(at + 16);
    m[o + Field.QtyExponent] = this.view.getInt8(at + 17);
    m[o + Field.BidPrice] = this.i64(at + 18);
    m[o + Field.BidQty] = this.i64(at + 26);
    m[o + Field.AskPrice] = this.i64(at + 34);
    m[o + Field.AskQty] = this.i64(at + 42);
    this.pos += blockLength;
  }

  /** depth20 (one updateId) and depth diff (U and u) share everything but the ids. */
  private depth(blockLength: number, minLength: number, ids: 1 | 2): void {
    this.root(blockLength, minLength);
    const m = this.messages;
    const o = this.out;
    const at = this.pos;
    m[o + Field.EventTimeUs] = this.i64(at);
    m[o + Field.FirstUpdateId] = this.i64(at + 8);
    m[o + Field.LastUpdateId] = ids === 2 ? this.i64(at + 16) : (m[o + Field.FirstUpdateId] as number);
    const exponents = at + 8 * (ids + 1);
    m[o + Field.PriceExponent] = this.view.getInt8(exponents);
    m[o + Field.QtyExponent] = this.view.getInt8(exponents + 1);
    this.pos += blockLength;
    m[o + Field.EntryStart] = this.levelsUsed;
    m[o + Field.BidCount] = this.levelGroup();
    m[o + Field.AskCount] = this.levelGroup();
  }

  private levelGroup(): number {
    this.need(GROUP16_HEADER_LENGTH);
    const entryLength = this.view.getUint16(this.pos, true);
    const count = this.view.getUint16(this.pos + 2, true);
    this.pos += GROUP16_HEADER_LENGTH;
    if (entryLength < LEVEL_ENTRY_LENGTH) throw new FrameFailure(Status.BlockLengthTooShort, entryLength);
    if (count > MAX_LEVELS_PER_SIDE) throw new FrameFailure(Status.GroupSizeTooLarge, count);
    this.need(count * entryLength);
    if (this.levelsUsed + count > LEVEL_CAPACITY) throw new FrameFailure(Status.OutputFull, 0);
    const l = this.levels;
    let dst = this.levelsUsed * LEVEL_STRIDE;
    for (let j = 0; j < count; j++) {
      l[dst] = this.i64(this.pos);
      l[dst + 1] = this.i64(this.pos + 8);
      dst += LEVEL_STRIDE;
      this.pos += entryLength;
    }
    this.levelsUsed += count;
    return count;
  }

  private symbol(): void {
    this.need(1);
    const n = this.view.getUint8(this.pos);
    this.pos += 1;
    this.need(n);
    this.messages[this.out + Field.SymbolOffset] = this.pos;
    this.messages[this.out + Field.SymbolLength] = n;
    this.pos += n;
  }
}
