// Binance market-data stream SBE decoder (schema stream_1_0.xml, id 1, version 0), freestanding C++17
// compiled to WebAssembly. No libc, no exceptions, no allocation: fixed areas in linear memory.
//
// Wire layout (all little-endian):
//   messageHeader  blockLength u16 | templateId u16 | schemaId u16 | version u16        (8 bytes)
//   root block     blockLength bytes; schema-0 fields first, later fields skipped
//   groups         groupSizeEncoding   blockLength u16 | numInGroup u32  (6 bytes)  trades
//                  groupSize16Encoding blockLength u16 | numInGroup u16  (4 bytes)  bids, asks
//                  then numInGroup entries of blockLength bytes each
//   var data       symbol: length u8 | UTF-8 bytes
//
//   10000 TradesStreamEvent      root 18: eventTime i64 @0, transactTime i64 @8, priceExp i8 @16,
//                                qtyExp i8 @17; group trades (6-byte header), entry 25: id i64 @0,
//                                price i64 @8, qty i64 @16, isBuyerMaker u8 @24
//   10001 BestBidAskStreamEvent  root 50: eventTime @0, bookUpdateId @8, priceExp @16, qtyExp @17,
//                                bidPrice @18, bidQty @26, askPrice @34, askQty @42
//   10002 DepthSnapshotStream    root 18: eventTime @0, bookUpdateId @8, priceExp @16, qtyExp @17;
//                                groups bids, asks (4-byte headers), entry 16: price @0, qty @8
//   10003 DepthDiffStreamEvent   root 26: eventTime @0, firstBookUpdateId @8, lastBookUpdateId @16,
//                                priceExp @24, qtyExp @25; groups bids, asks as 10002
//
// Every read is bounds-checked against the frame's own length; results and error codes go to the
// areas described in sbe_abi.h.
#include "sbe_abi.h"

using namespace sbe;

namespace {

alignas(16) uint8_t g_input[INPUT_CAPACITY];
uint32_t g_frame_offsets[FRAME_CAPACITY];
uint32_t g_frame_lengths[FRAME_CAPACITY];
double g_messages[FRAME_CAPACITY * MESSAGE_STRIDE];
double g_levels[LEVEL_CAPACITY * LEVEL_STRIDE];
double g_trades[TRADE_CAPACITY * TRADE_STRIDE];

// 2^53 - 1: the largest integer a JS number holds exactly.
constexpr int64_t MAX_SAFE = (int64_t(1) << 53) - 1;

inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline int64_t load_i64(const uint8_t* p) {
  int64_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// One frame being decoded: a cursor over [base, base + length) and the record it fills.
struct Reader {
  const uint8_t* base;
  uint32_t length;
  uint32_t pos;
  double* out;
  int32_t status;

  bool fail(Status s, double detail) {
    status = s;
    out[F_ERROR_DETAIL] = detail;
    return false;
  }
  // True when n more bytes are readable; otherwise records how many are missing.
  bool need(uint64_t n) {
    const uint64_t end = uint64_t(pos) + n;
    if (end <= length) return true;
    return fail(BUFFER_TOO_SHORT, double(end - length));
  }
  // Reads the int64 at byte offset `at`, refusing values a JS number would round.
  bool safe_i64(uint32_t at, double* dst) {
    const int64_t v = load_i64(base + at);
    if (v > MAX_SAFE || v < -MAX_SAFE) return fail(UNSAFE_INTEGER, double(at));
    *dst = double(v);
    return true;
  }
  bool root(uint16_t wire_length, uint16_t min_length) {
    if (wire_length < min_length) return fail(BLOCK_LENGTH_TOO_SHORT, wire_length);
    return need(wire_length);
  }
};

struct Batch {
  uint32_t levels_used;
  uint32_t trades_used;
};

// Reads a groupSize16Encoding group of price levels; returns false on error.
bool read_levels(Reader& r, Batch& b, double* count_out) {
  if (!r.need(4)) return false;
  const uint16_t entry_length = load_u16(r.base + r.pos);
  const uint32_t count = load_u16(r.base + r.pos + 2);
  r.pos += 4;
  if (entry_length < LEVEL_ENTRY_LENGTH) return r.fail(BLOCK_LENGTH_TOO_SHORT, entry_length);
  if (count > MAX_LEVELS_PER_SIDE) return r.fail(GROUP_SIZE_TOO_LARGE, count);
  if (!r.need(uint64_t(count) * entry_length)) return false;
  if (b.levels_used + count > LEVEL_CAPACITY) return r.fail(OUTPUT_FULL, 0);
  double* dst = g_levels + size_t(b.levels_used) * LEVEL_STRIDE;
  for (uint32_t i = 0; i < count; ++i) {
    if (!r.safe_i64(r.pos, dst) || !r.safe_i64(r.pos + 8, dst + 1)) return false;
    dst += LEVEL_STRIDE;
    r.pos += entry_length;
  }
  b.levels_used += count;
  *count_out = count;
  return true;
}

bool read_trades(Reader& r, Batch& b) {
  if (!r.need(6)) return false;
  const uint16_t entry_length = load_u16(r.base + r.pos);
  const uint32_t count = load_u32(r.base + r.pos + 2);
  r.pos += 6;
  if (entry_length < TRADE_ENTRY_LENGTH) return r.fail(BLOCK_LENGTH_TOO_SHORT, entry_length);
  if (count > MAX_TRADES_PER_FRAME) return r.fail(GROUP_SIZE_TOO_LARGE, count);
  if (!r.need(uint64_t(count) * entry_length)) return false;
  if (b.trades_used + count > TRADE_CAPACITY) return r.fail(OUTPUT_FULL, 0);
  double* dst = g_trades + size_t(b.trades_used) * TRADE_STRIDE;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t at = r.pos;
    if (!r.safe_i64(at, dst) || !r.safe_i64(at + 8, dst + 1) || !r.safe_i64(at + 16, dst + 2)) return false;
    // BoolEnum: 0 False, 1 True; anything else (0xFF is SBE's null) is not a side.
    const uint8_t maker = r.base[at + 24];
    if (maker > 1) return r.fail(INVALID_ENUM_VALUE, double(at + 24));
    dst[3] = maker;
    dst += TRADE_STRIDE;
    r.pos += entry_length;
  }
  r.out[F_ENTRY_START] = b.trades_used;
  r.out[F_BID_COUNT] = count;
  b.trades_used += count;
  return true;
}

bool read_symbol(Reader& r, uint32_t frame_offset) {
  if (!r.need(1)) return false;
  const uint8_t n = r.base[r.pos];
  r.pos += 1;
  if (!r.need(n)) return false;
  r.out[F_SYMBOL_OFFSET] = frame_offset + r.pos;
  r.out[F_SYMBOL_LENGTH] = n;
  r.pos += n;
  return true;
}

// Root fields shared by depth20 and depth diff: event time, ids, exponents. `ids` is 1 or 2 updateIds.
bool read_depth(Reader& r, Batch& b, uint16_t block_length, uint16_t min_length, int ids) {
  if (!r.root(block_length, min_length)) return false;
  double* o = r.out;
  const uint32_t at = r.pos;
  if (!r.safe_i64(at, o + F_EVENT_TIME_US) || !r.safe_i64(at + 8, o + F_FIRST_UPDATE_ID)) return false;
  if (ids == 2) {
    if (!r.safe_i64(at + 16, o + F_LAST_UPDATE_ID)) return false;
  } else {
    o[F_LAST_UPDATE_ID] = o[F_FIRST_UPDATE_ID];
  }
  const uint32_t exponents = at + 8u * (ids + 1);
  o[F_PRICE_EXPONENT] = int8_t(r.base[exponents]);
  o[F_QTY_EXPONENT] = int8_t(r.base[exponents + 1]);
  r.pos += block_length;
  o[F_ENTRY_START] = b.levels_used;
  return read_levels(r, b, o + F_BID_COUNT) && read_levels(r, b, o + F_ASK_COUNT);
}

bool read_best_bid_ask(Reader& r, uint16_t block_length) {
  if (!r.root(block_length, BEST_BID_ASK_ROOT_LENGTH)) return false;
  double* o = r.out;
  const uint32_t at = r.pos;
  if (!r.safe_i64(at, o + F_EVENT_TIME_US) || !r.safe_i64(at + 8, o + F_FIRST_UPDATE_ID)) return false;
  o[F_LAST_UPDATE_ID] = o[F_FIRST_UPDATE_ID];
  o[F_PRICE_EXPONENT] = int8_t(r.base[at + 16]);
  o[F_QTY_EXPONENT] = int8_t(r.base[at + 17]);
  if (!r.safe_i64(at + 18, o + F_BID_PRICE) || !r.safe_i64(at + 26, o + F_BID_QTY) ||
      !r.safe_i64(at + 34, o + F_ASK_PRICE) || !r.safe_i64(at + 42, o + F_ASK_QTY))
    return false;
  r.pos += block_length;
  return true;
}

bool read_trades_event(Reader& r, Batch& b, uint16_t block_length) {
  if (!r.root(block_length, TRADES_ROOT_LENGTH)) return false;
  double* o = r.out;
  const uint32_t at = r.pos;
  if (!r.safe_i64(at, o + F_EVENT_TIME_US) || !r.safe_i64(at + 8, o + F_TRANSACT_TIME_US)) return false;
  o[F_PRICE_EXPONENT] = int8_t(r.base[at + 16]);
  o[F_QTY_EXPONENT] = int8_t(r.base[at + 17]);
  r.pos += block_length;
  return read_trades(r, b);
}

void clear_record(double* o) {
  for (uint32_t f = 0; f < MESSAGE_STRIDE; ++f) o[f] = 0;
}

void decode_frame(uint32_t offset, uint32_t length, uint32_t input_length, double* out, Batch& b) {
  clear_record(out);
  Reader r{g_input + offset, length, 0, out, OK};
  if (uint64_t(offset) + length > input_length) {
    r.fail(FRAME_OUT_OF_INPUT, offset);
  } else if (r.need(HEADER_LENGTH)) {
    const uint16_t block_length = load_u16(r.base);
    const uint16_t template_id = load_u16(r.base + 2);
    const uint16_t schema_id = load_u16(r.base + 4);
    out[F_TEMPLATE_ID] = template_id;
    out[F_SCHEMA_ID] = schema_id;
    out[F_VERSION] = load_u16(r.base + 6);
    r.pos = HEADER_LENGTH;
    // A newer version of schema 1 only appends fields, which the block lengths let us skip;
    // another schema id means another message set altogether.
    if (schema_id != SCHEMA_ID) {
      r.fail(SCHEMA_MISMATCH, schema_id);
    } else {
      bool ok = false;
      switch (template_id) {
        case TEMPLATE_TRADES:
          ok = read_trades_event(r, b, block_length);
          break;
        case TEMPLATE_BEST_BID_ASK:
          ok = read_best_bid_ask(r, block_length);
          break;
        case TEMPLATE_DEPTH_SNAPSHOT:
          ok = read_depth(r, b, block_length, DEPTH_SNAPSHOT_ROOT_LENGTH, 1);
          break;
        case TEMPLATE_DEPTH_DIFF:
          ok = read_depth(r, b, block_length, DEPTH_DIFF_ROOT_LENGTH, 2);
          break;
        default:
          r.status = UNKNOWN_TEMPLATE;
          out[F_ERROR_DETAIL] = template_id;
          break;
      }
      if (ok) read_symbol(r, offset);
    }
  }
  out[F_STATUS] = r.status;
}

}  // namespace

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))

EXPORT(sbe_abi_version) int32_t sbe_abi_version() { return ABI_VERSION; }
EXPORT(sbe_input) uint8_t* sbe_input() { return g_input; }
EXPORT(sbe_frame_offsets) uint32_t* sbe_frame_offsets() { return g_frame_offsets; }
EXPORT(sbe_frame_lengths) uint32_t* sbe_frame_lengths() { return g_frame_lengths; }
EXPORT(sbe_messages) double* sbe_messages() { return g_messages; }
EXPORT(sbe_levels) double* sbe_levels() { return g_levels; }
EXPORT(sbe_trades) double* sbe_trades() { return g_trades; }
EXPORT(sbe_input_capacity) uint32_t sbe_input_capacity() { return INPUT_CAPACITY; }
EXPORT(sbe_frame_capacity) uint32_t sbe_frame_capacity() { return FRAME_CAPACITY; }
EXPORT(sbe_level_capacity) uint32_t sbe_level_capacity() { return LEVEL_CAPACITY; }
EXPORT(sbe_trade_capacity) uint32_t sbe_trade_capacity() { return TRADE_CAPACITY; }

// Decodes frames [0, count) described by sbe_frame_offsets/lengths, all within the first
// input_length bytes of sbe_input, into the message, level and trade areas. Returns the number of
// frames that decoded without error (status OK).
EXPORT(sbe_decode_batch) uint32_t sbe_decode_batch(uint32_t count, uint32_t input_length) {
  if (count > FRAME_CAPACITY) count = FRAME_CAPACITY;
  if (input_length > INPUT_CAPACITY) input_length = INPUT_CAPACITY;
  Batch b{0, 0};
  uint32_t ok = 0;
  for (uint32_t i = 0; i < count; ++i) {
    double* out = g_messages + size_t(i) * MESSAGE_STRIDE;
    decode_frame(g_frame_offsets[i], g_frame_lengths[i], input_length, out, b);
    ok += out[F_STATUS] == OK;
  }
  return ok;
}
