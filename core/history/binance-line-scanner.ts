/**
 * The fast path of the Binance line reader: the three messages that make up almost every line of a
 * combined-stream capture (`@depth` diffs, `@trade`, spot `@bookTicker`), read by one left-to-right
 * scan of the exact layout Binance prints, with prices and quantities turned into mantissas straight
 * from the text. JSON.parse followed by decimal parsing of every price string allocated a string per
 * number and spent most of a history replay's time there (docs/adr/0130).
 *
 * Contract: for a line it accepts, the record is the one `binanceRecord(parseBinanceLine(line))`
 * returns (tested line by line on real and synthetic recordings); anything it does not recognise
 * exactly (another key order, whitespace, escapes, signs, exponents, a bare `<json>` line, a long
 * number) returns null, and the caller takes the general path, which also produces the errors. Pure.
 */
import type { Level } from '../book/order-book.ts';
import type { HistoryRecord } from './history-record.ts';

/** 10^k, k <= 15. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
/** Decimal places of a record's mantissa (RECORD_EXPONENT = -8). */
const PLACES = 8;
/** 15 digits stay below 2^53, so digit-by-digit accumulation is exact and equals Number(text). */
const MAX_INT_DIGITS = 15;

const QUOTE = 34;
const COMMA = 44;
const DOT = 46;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const CLOSE_BRACE = 125;

/** A failed scan: the line is not in the exact shape, the general path reads it. */
class NoMatch {}
const NO_MATCH = new NoMatch();

class Scan {
  i = 0;
  constructor(readonly s: string) {}

  /** Expects `text` at the cursor. */
  lit(text: string): void {
    if (!this.s.startsWith(text, this.i)) throw NO_MATCH;
    this.i += text.length;
  }

  char(c: number): void {
    if (this.s.charCodeAt(this.i) !== c) throw NO_MATCH;
    this.i++;
  }

  /** A non-negative JSON integer of at most 15 digits, no leading zero. */
  int(): number {
    const s = this.s;
    const start = this.i;
    let v = 0;
    let i = start;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) v = v * 10 + (c - 48);
    const digits = i - start;
    if (digits === 0 || digits > MAX_INT_DIGITS || (digits > 1 && s.charCodeAt(start) === 48)) throw NO_MATCH;
    this.i = i;
    return v;
  }

  /** A quoted string without escapes. */
  str(): string {
    this.char(QUOTE);
    const end = this.s.indexOf('"', this.i);
    if (end < 0) throw NO_MATCH;
    const text = this.s.slice(this.i, end);
    if (text.indexOf('\\') >= 0) throw NO_MATCH;
    this.i = end + 1;
    return text;
  }

  /**
   * A quoted decimal as a mantissa at exponent -8, exactly as parseDecimalMantissa's fast path reads it
   * (digits, one dot, at most 8 decimals, at most 17 characters, below 2^52); anything else: no match.
   */
  mantissa(): number {
    const s = this.s;
    this.char(QUOTE);
    const start = this.i;
    let i = start;
    let whole = 0;
    let fraction = 0;
    let decimals = -1;
    let wholeDigits = 0;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (decimals < 0) {
          whole = whole * 10 + (c - 48);
          wholeDigits++;
        } else {
          if (++decimals > PLACES) throw NO_MATCH;
          fraction = fraction * 10 + (c - 48);
        }
      } else if (c === DOT) {
        if (decimals >= 0) throw NO_MATCH;
        decimals = 0;
      } else if (c === QUOTE) break;
      else throw NO_MATCH;
      i++;
    }
    const n = i - start;
    if (n === 0 || n > 17 || decimals === 0 || wholeDigits === 0) throw NO_MATCH;
    const m =
      whole * (POW10[PLACES] as number) + fraction * (POW10[PLACES - Math.max(decimals, 0)] as number);
    if (m > 2 ** 52) throw NO_MATCH;
    this.i = i + 1;
    return m;
  }

  /** `[["p","q"],…]` */
  levels(): Level[] {
    const out: Level[] = [];
    this.char(OPEN_BRACKET);
    if (this.s.charCodeAt(this.i) === CLOSE_BRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      this.char(OPEN_BRACKET);
      const price = this.mantissa();
      this.char(COMMA);
      const qty = this.mantissa();
      this.char(CLOSE_BRACKET);
      out.push([price, qty]);
      const c = this.s.charCodeAt(this.i++);
      if (c === CLOSE_BRACKET) return out;
      if (c !== COMMA) throw NO_MATCH;
    }
  }

  /** `true` or `false`. */
  bool(): boolean {
    if (this.s.startsWith('true', this.i)) {
      this.i += 4;
      return true;
    }
    this.lit('false');
    return false;
  }

  end(): void {
    if (this.i !== this.s.length) throw NO_MATCH;
  }
}

/**
 * The `<timestamp> ` prefix in µs by timestampToUs's digit-count rule (ns: all digits but the last
 * three), or NaN when it is not a plain stamp whose kept digits are exact as a number.
 */
function prefixUs(s: string): number {
  let digits = 0;
  for (let c = s.charCodeAt(0); c >= 48 && c <= 57; c = s.charCodeAt(++digits));
  if (digits === 0 || digits > 19 || s.charCodeAt(digits) !== 32 /* space */) return Number.NaN;
  const kept = digits >= 17 ? digits - 3 : digits;
  let v = 0;
  for (let i = 0; i < kept; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  if (v > Number.MAX_SAFE_INTEGER) return Number.NaN;
  if (digits >= 14) return v;
  if (digits >= 11) return v * 1000;
  return v * 1_000_000;
}

/**
 * The record of one `<timestamp> {"stream":…,"data":…}` line in Binance's exact layout, or null when
 * the line is anything else (the general path then reads it, or explains why it cannot).
 */
export function scanBinanceLine(line: string): HistoryRecord | null {
  const recvUs = prefixUs(line);
  if (Number.isNaN(recvUs)) return null;
  const p = new Scan(line);
  p.i = line.indexOf(' ') + 1;
  try {
    p.lit('{"stream":');
    const stream = p.str();
    p.lit(',"data":{');
    let record: HistoryRecord;
    if (line.startsWith('"e":"depthUpdate","E":', p.i)) {
      p.i += 22;
      const timeUs = p.int() * 1000;
      p.lit(',"s":');
      const symbol = p.str();
      p.lit(',"U":');
      const firstUpdateId = p.int();
      p.lit(',"u":');
      const lastUpdateId = p.int();
      p.lit(',"b":');
      const bids = p.levels();
      p.lit(',"a":');
      const asks = p.levels();
      record = { kind: 'diff', recvUs, symbol, timeUs, firstUpdateId, lastUpdateId, bids, asks };
    } else if (line.startsWith('"e":"trade","E":', p.i)) {
      p.i += 16;
      const eventTimeUs = p.int() * 1000;
      p.lit(',"s":');
      const symbol = p.str();
      p.lit(',"t":');
      const id = p.int();
      p.lit(',"p":');
      const priceMantissa = p.mantissa();
      p.lit(',"q":');
      const qtyMantissa = p.mantissa();
      p.lit(',"T":');
      const timeUs = p.int() * 1000;
      p.lit(',"m":');
      const isBuyerMaker = p.bool();
      if (line.charCodeAt(p.i) === COMMA) {
        p.lit(',"M":');
        p.bool();
      }
      record = {
        kind: 'trade',
        recvUs,
        symbol,
        timeUs,
        eventTimeUs,
        id,
        priceMantissa,
        qtyMantissa,
        isBuyerMaker,
      };
    } else if (stream.endsWith('@bookTicker') && line.startsWith('"u":', p.i)) {
      p.i += 4;
      const updateId = p.int();
      p.lit(',"s":');
      const symbol = p.str();
      p.lit(',"b":');
      const bid = p.mantissa();
      p.lit(',"B":');
      const bidQty = p.mantissa();
      p.lit(',"a":');
      const ask = p.mantissa();
      p.lit(',"A":');
      const askQty = p.mantissa();
      record = {
        kind: 'top',
        recvUs,
        symbol,
        source: 'bookTicker',
        updateId,
        bids: [[bid, bidQty]],
        asks: [[ask, askQty]],
      };
    } else return null;
    p.char(CLOSE_BRACE);
    p.char(CLOSE_BRACE);
    p.end();
    return record;
  } catch (e) {
    if (e === NO_MATCH) return null;
    throw e;
  }
}
