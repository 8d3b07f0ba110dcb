// The contract between the WASM decoder and its TypeScript facade (native/wasm-decoder.ts) and the
// pure-TypeScript decoder (core/sbe/dataview-decoder.ts). Every number here is mirrored in
// core/sbe/layout.ts; the facade checks the exported ABI version at load, and the differential tests
// run both decoders over the same hostile inputs, so a drift shows up at once.
//
// Output is struct-of-records in linear memory, all float64 so JS reads it through one Float64Array:
//   messages[i * MESSAGE_STRIDE + field]   one record per input frame (fields below)
//   levels[j * LEVEL_STRIDE + {0,1}]        price mantissa, qty mantissa (depth bids then asks)
//   trades[k * TRADE_STRIDE + {0..3}]       trade id, price mantissa, qty mantissa, isBuyerMaker
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sbe {

// Bumped whenever a field, stride or code below changes meaning.
constexpr int32_t ABI_VERSION = 2;

// Binance stream schema stream_1_0.xml.
constexpr uint16_t SCHEMA_ID = 1;
constexpr uint16_t TEMPLATE_TRADES = 10000;
constexpr uint16_t TEMPLATE_BEST_BID_ASK = 10001;
constexpr uint16_t TEMPLATE_DEPTH_SNAPSHOT = 10002;
constexpr uint16_t TEMPLATE_DEPTH_DIFF = 10003;

// Root block and group entry lengths of schema version 0. The wire may carry larger ones (fields
// appended by a later version): we skip by the wire's length and reject only shorter ones.
constexpr uint16_t HEADER_LENGTH = 8;
constexpr uint16_t TRADES_ROOT_LENGTH = 18;
constexpr uint16_t TRADE_ENTRY_LENGTH = 25;
constexpr uint16_t BEST_BID_ASK_ROOT_LENGTH = 50;
constexpr uint16_t DEPTH_SNAPSHOT_ROOT_LENGTH = 18;
constexpr uint16_t DEPTH_DIFF_ROOT_LENGTH = 26;
constexpr uint16_t LEVEL_ENTRY_LENGTH = 16;

// Batch capacities. 1 MiB is the largest Kinesis record, so one record always decodes in one call.
// Every level takes at least 16 wire bytes and every trade 25, so the output areas cannot fill up
// before the input does; the decoder still checks, in case a caller passes overlapping frames.
constexpr uint32_t INPUT_CAPACITY = 1u << 20;

// Bounds against hostile group counts. Binance serves at most 5000 levels per side in any book view
// (REST depth limit), so a larger depth group cannot be genuine. A trade group holds the fills of one
// taker order: as many as fit one frame in the input area (header, root block, group header and a
// one-byte symbol length), 41,941; a larger count could not be decoded anyway.
constexpr uint32_t MAX_LEVELS_PER_SIDE = 5000;
constexpr uint32_t MAX_TRADES_PER_FRAME =
    (INPUT_CAPACITY - HEADER_LENGTH - TRADES_ROOT_LENGTH - 6 - 1) / TRADE_ENTRY_LENGTH;
constexpr uint32_t FRAME_CAPACITY = 32768;
constexpr uint32_t LEVEL_CAPACITY = INPUT_CAPACITY / LEVEL_ENTRY_LENGTH;
constexpr uint32_t TRADE_CAPACITY = INPUT_CAPACITY / TRADE_ENTRY_LENGTH + 1;

// Per-message record fields.
enum Field : uint32_t {
  F_STATUS = 0,           // Status below
  F_TEMPLATE_ID = 1,      // from the header (also set for unknown templates)
  F_SCHEMA_ID = 2,
  F_VERSION = 3,
  F_EVENT_TIME_US = 4,
  F_TRANSACT_TIME_US = 5, // trades only
  F_FIRST_UPDATE_ID = 6,  // depth diff U; bookUpdateId for bestBidAsk and depth20
  F_LAST_UPDATE_ID = 7,   // depth diff u; bookUpdateId for bestBidAsk and depth20
  F_PRICE_EXPONENT = 8,
  F_QTY_EXPONENT = 9,
  F_BID_PRICE = 10,       // bestBidAsk only (mantissas)
  F_BID_QTY = 11,
  F_ASK_PRICE = 12,
  F_ASK_QTY = 13,
  F_ENTRY_START = 14,     // first index in levels (depth) or trades (trades)
  F_BID_COUNT = 15,       // bids, or trades for template 10000
  F_ASK_COUNT = 16,
  F_SYMBOL_OFFSET = 17,   // byte offset of the symbol in the input buffer
  F_SYMBOL_LENGTH = 18,
  F_ERROR_DETAIL = 19,    // the offending value (see Status) when status < 0
  MESSAGE_STRIDE = 20,
};

constexpr uint32_t LEVEL_STRIDE = 2;
constexpr uint32_t TRADE_STRIDE = 4;

enum Status : int32_t {
  OK = 0,
  UNKNOWN_TEMPLATE = 1,        // skipped by design (forward compatible); detail = template id
  BUFFER_TOO_SHORT = -1,       // detail = bytes needed beyond the frame's end
  SCHEMA_MISMATCH = -2,        // detail = schema id on the wire
  GROUP_SIZE_TOO_LARGE = -3,   // detail = numInGroup on the wire
  BLOCK_LENGTH_TOO_SHORT = -4, // detail = block length on the wire
  UNSAFE_INTEGER = -5,         // an int64 beyond +-(2^53 - 1); detail = its byte offset in the frame
  OUTPUT_FULL = -6,            // batch output areas exhausted (overlapping frames); detail = 0
  FRAME_OUT_OF_INPUT = -7,     // offset + length beyond the batch's input bytes; detail = offset
  INVALID_ENUM_VALUE = -8,     // a byte outside its enum (isBuyerMaker not 0 or 1); detail = its offset
  FRAME_TOO_LARGE = -9,        // a frame longer than the input area (set by the facade); detail = length
};

}  // namespace sbe
