/**
 * Binance combined-stream recordings, one message per line, as stream collectors write them:
 * `<receive timestamp> <json>` (the timestamp in ns, µs, ms or s, told apart by its digit count) or a
 * bare `<json>`. The JSON is a combined-stream envelope `{"stream","data"}`, a bare stream payload
 * (`{"e":"depthUpdate",…}`), or a REST `/api/v3/depth` answer (`{"lastUpdateId",…}`). Streams read:
 * `@depth` diffs, `@trade`, `@bookTicker` and partial depth (`@depth5/10/20`); others (aggTrade,
 * kline, …) are skipped and counted by the caller. Pure.
 */
import { parseDecimalMantissa } from '../binance/decimal.ts';
import type { Level } from '../book/order-book.ts';
import { type HistoryRecord, LineFormatError, RECORD_EXPONENT } from './history-record.ts';

export interface RecordedLine {
  /** The recorder's clock in µs, or undefined for a bare `<json>` line. */
  localTimeUs: number | undefined;
  /** `btcusdt@depth@100ms`, `btcusdt@trade`, … or `rest:depth` for a bare snapshot; the payload's
   * `e` (`depthUpdate`, `trade`) for a bare payload. */
  stream: string;
  /** The envelope's `data`, or the bare JSON itself. */
  payload: unknown;
}

/**
 * Local timestamps in ns (~1.7e18, 19 digits), µs (16), ms (13) or s (10), told apart by their digit
 * count. Nanoseconds exceed 2^53, so digits are cut from the text rather than divided as a float.
 */
export function timestampToUs(text: string): number {
  if (!/^\d{1,19}$/.test(text)) return Number.NaN;
  if (text.length >= 17) return Number(text.slice(0, -3));
  if (text.length >= 14) return Number(text);
  if (text.length >= 11) return Number(text) * 1000;
  return Number(text) * 1_000_000;
}

/** Splits and parses one non-empty line. Throws LineFormatError. */
export function parseBinanceLine(line: string): RecordedLine {
  let localTimeUs: number | undefined;
  let jsonText = line;
  if (line.charCodeAt(0) !== 123 /* { */) {
    const space = line.indexOf(' ');
    if (space <= 0) throw new LineFormatError('expected `<timestamp> <json>` or `<json>`');
    localTimeUs = timestampToUs(line.slice(0, space));
    if (Number.isNaN(localTimeUs))
      throw new LineFormatError('the timestamp before the JSON is not an integer');
    jsonText = line.slice(space + 1);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(jsonText);
  } catch {
    throw new LineFormatError('the JSON does not parse');
  }
  if (json === null || typeof json !== 'object') throw new LineFormatError('the JSON is not an object');
  if (typeof json.stream === 'string' && json.data !== undefined)
    return { localTimeUs, stream: json.stream, payload: json.data };
  if (typeof json.lastUpdateId === 'number' && Array.isArray(json.bids))
    return { localTimeUs, stream: 'rest:depth', payload: json };
  if (typeof json.e === 'string') return { localTimeUs, stream: json.e, payload: json };
  if (typeof json.u === 'number' && typeof json.b === 'string')
    return { localTimeUs, stream: 'bookTicker', payload: json };
  throw new LineFormatError('neither a combined-stream envelope, a stream payload nor a depth snapshot');
}

const mantissa = (text: unknown, what: string): number => {
  if (typeof text !== 'string') throw new LineFormatError(`${what} is not a decimal string`);
  try {
    return parseDecimalMantissa(text, RECORD_EXPONENT);
  } catch (e) {
    throw new LineFormatError((e as Error).message.replace(/\.$/, ''));
  }
};

const levels = (raw: unknown, what: string): Level[] => {
  if (!Array.isArray(raw)) throw new LineFormatError(`${what} is not an array of levels`);
  return raw.map((l) => [mantissa(l?.[0], `a ${what} price`), mantissa(l?.[1], `a ${what} quantity`)]);
};

const integer = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new LineFormatError(`${what} is not an integer`);
  return v;
};

/**
 * The record a parsed line holds, or undefined for a stream that is not read. `recvUs` is the line's
 * own timestamp, else `fallbackRecvUs` (a bare line: the caller passes the last exchange time seen).
 */
export function binanceRecord(line: RecordedLine, fallbackRecvUs: number): HistoryRecord | undefined {
  const d = line.payload as Record<string, unknown>;
  if (d === null || typeof d !== 'object') throw new LineFormatError('the stream payload is not an object');
  const stream = line.stream;
  if (stream === 'rest:depth') {
    return {
      kind: 'snapshot',
      recvUs: line.localTimeUs ?? fallbackRecvUs,
      lastUpdateId: integer(d.lastUpdateId, 'lastUpdateId'),
      bids: levels(d.bids, 'bid'),
      asks: levels(d.asks, 'ask'),
    };
  }
  if (d.e === 'depthUpdate') {
    const timeUs = integer(d.E, 'E') * 1000;
    return {
      kind: 'diff',
      recvUs: line.localTimeUs ?? timeUs,
      symbol: String(d.s),
      timeUs,
      firstUpdateId: integer(d.U, 'U'),
      lastUpdateId: integer(d.u, 'u'),
      bids: levels(d.b, 'bid'),
      asks: levels(d.a, 'ask'),
    };
  }
  if (d.e === 'trade') {
    const eventTimeUs = integer(d.E, 'E') * 1000;
    return {
      kind: 'trade',
      recvUs: line.localTimeUs ?? eventTimeUs,
      symbol: String(d.s),
      timeUs: integer(d.T, 'T') * 1000,
      eventTimeUs,
      id: integer(d.t, 't'),
      priceMantissa: mantissa(d.p, 'p'),
      qtyMantissa: mantissa(d.q, 'q'),
      isBuyerMaker: d.m === true,
    };
  }
  if (stream.endsWith('@bookTicker') || stream === 'bookTicker') {
    return {
      kind: 'top',
      recvUs: line.localTimeUs ?? fallbackRecvUs,
      symbol: String(d.s),
      source: 'bookTicker',
      updateId: integer(d.u, 'u'),
      ...(typeof d.E === 'number' ? { timeUs: d.E * 1000 } : {}),
      bids: [[mantissa(d.b, 'b'), mantissa(d.B, 'B')]],
      asks: [[mantissa(d.a, 'a'), mantissa(d.A, 'A')]],
    };
  }
  const partial = /^([a-z0-9]+)@depth(5|10|20)(@\d+ms)?$/.exec(stream);
  if (partial && typeof d.lastUpdateId === 'number') {
    return {
      kind: 'top',
      recvUs: line.localTimeUs ?? fallbackRecvUs,
      symbol: (partial[1] as string).toUpperCase(),
      source: 'depth20',
      updateId: integer(d.lastUpdateId, 'lastUpdateId'),
      bids: levels(d.bids, 'bid'),
      asks: levels(d.asks, 'ask'),
    };
  }
  return undefined;
}
