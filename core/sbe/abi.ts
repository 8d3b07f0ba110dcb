/**
 * The decoder contract shared by the WASM decoder (native/src/sbe_abi.h, mirrored here number for
 * number) and the pure-TypeScript decoder. Decoded output is float64 records:
 *   messages[i * MESSAGE_STRIDE + Field.X]   one record per input frame
 *   levels[j * LEVEL_STRIDE + {0,1}]          price mantissa, qty mantissa (bids, then asks)
 *   trades[k * TRADE_STRIDE + {0..3}]         trade id, price mantissa, qty mantissa, isBuyerMaker
 */

/** Bumped with native/src/sbe_abi.h whenever a field, stride or status changes meaning. */
export const ABI_VERSION = 2;

/** Binance stream schema stream_1_0.xml. */
export const SCHEMA_ID = 1;
export const SCHEMA_VERSION = 0;

export const TemplateId = {
  Trades: 10000,
  BestBidAsk: 10001,
  DepthSnapshot: 10002,
  DepthDiff: 10003,
} as const;
export type TemplateId = (typeof TemplateId)[keyof typeof TemplateId];

/** Block lengths of schema version 0; the wire may carry longer ones (fields appended later). */
export const HEADER_LENGTH = 8;
export const TRADES_ROOT_LENGTH = 18;
export const TRADE_ENTRY_LENGTH = 25;
export const BEST_BID_ASK_ROOT_LENGTH = 50;
export const DEPTH_SNAPSHOT_ROOT_LENGTH = 18;
export const DEPTH_DIFF_ROOT_LENGTH = 26;
export const LEVEL_ENTRY_LENGTH = 16;
/** groupSizeEncoding (trades): blockLength u16, numInGroup u32. */
export const GROUP_HEADER_LENGTH = 6;
/** groupSize16Encoding (bids, asks): blockLength u16, numInGroup u16. */
export const GROUP16_HEADER_LENGTH = 4;

/** 1 MiB: the largest Kinesis record, so one record always decodes in one batch. */
export const INPUT_CAPACITY = 1 << 20;

/** Binance serves at most 5000 levels per side in any book view, so a larger group is hostile. */
export const MAX_LEVELS_PER_SIDE = 5000;
/**
 * The fills of one taker order: as many as fit one frame in the input area (header, root block,
 * group header, a one-byte symbol length): 41,941. A larger count could not be decoded anyway.
 */
export const MAX_TRADES_PER_FRAME = Math.floor(
  (INPUT_CAPACITY - HEADER_LENGTH - TRADES_ROOT_LENGTH - GROUP_HEADER_LENGTH - 1) / TRADE_ENTRY_LENGTH,
);
export const FRAME_CAPACITY = 32768;
export const LEVEL_CAPACITY = INPUT_CAPACITY / LEVEL_ENTRY_LENGTH;
export const TRADE_CAPACITY = Math.floor(INPUT_CAPACITY / TRADE_ENTRY_LENGTH) + 1;

export const Field = {
  Status: 0,
  TemplateId: 1,
  SchemaId: 2,
  Version: 3,
  EventTimeUs: 4,
  /** Trades only. */
  TransactTimeUs: 5,
  /** Depth diff `U`; bookUpdateId for bestBidAsk and depth20. */
  FirstUpdateId: 6,
  /** Depth diff `u`; bookUpdateId for bestBidAsk and depth20. */
  LastUpdateId: 7,
  PriceExponent: 8,
  QtyExponent: 9,
  /** bestBidAsk only, mantissas. */
  BidPrice: 10,
  BidQty: 11,
  AskPrice: 12,
  AskQty: 13,
  /** First index into levels (depth) or trades (trades). */
  EntryStart: 14,
  /** Bid levels, or trades for template 10000. */
  BidCount: 15,
  AskCount: 16,
  /** Byte offset of the symbol in the batch's bytes. */
  SymbolOffset: 17,
  SymbolLength: 18,
  /** The offending value when status < 0 (see Status). */
  ErrorDetail: 19,
} as const;

export const MESSAGE_STRIDE = 20;
export const LEVEL_STRIDE = 2;
export const TRADE_STRIDE = 4;

export const Status = {
  Ok: 0,
  /** Skipped by design (forward compatible); detail = template id. */
  UnknownTemplate: 1,
  /** detail = bytes needed beyond the frame's end. */
  BufferTooShort: -1,
  /** detail = schema id on the wire. */
  SchemaMismatch: -2,
  /** detail = numInGroup on the wire. */
  GroupSizeTooLarge: -3,
  /** detail = block length on the wire. */
  BlockLengthTooShort: -4,
  /** An int64 beyond +-(2^53 - 1); detail = its byte offset in the frame. */
  UnsafeInteger: -5,
  /** Output areas exhausted (only possible with overlapping frames); detail = 0. */
  OutputFull: -6,
  /** offset + length beyond the batch's input bytes; detail = offset. */
  FrameOutOfInput: -7,
  /** A byte outside its enum (isBuyerMaker other than 0 or 1; 0xFF is SBE null); detail = its offset. */
  InvalidEnumValue: -8,
  /** A frame longer than the input area (set before decoding); detail = its length. */
  FrameTooLarge: -9,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
