/**
 * tardis.dev CSV datasets (one file per data type and day):
 * - `incremental_book_L2`: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount`,
 *   one changed level per row; rows with `is_snapshot=true` form a snapshot (the initial book, or a
 *   new one after the recorder reconnected: the book is then replaced); `amount` is the absolute
 *   quantity, 0 removes the level;
 * - `trades`: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount`, `side` the taker's
 *   (`sell` means the buyer was the maker).
 * Times are µs since the epoch: `timestamp` the exchange's, `local_timestamp` the recorder's.
 *
 * tardis.dev keeps no update ids, so the parser numbers the book's messages itself: consecutive rows
 * with the same times and snapshot flag are one message (one diff, or one snapshot); each message
 * takes the next id, so diffs continue each other exactly and a snapshot sits between the diffs
 * before and after it. Pure.
 */
import { parseDecimalMantissa } from '../binance/decimal.ts';
import type { Level } from '../book/order-book.ts';
import { type HistoryRecord, LineFormatError, RECORD_EXPONENT } from './history-record.ts';

export type TardisKind = 'incremental_book_L2' | 'trades';

const BOOK_COLUMNS = ['timestamp', 'local_timestamp', 'is_snapshot', 'side', 'price', 'amount'];
const TRADE_COLUMNS = ['timestamp', 'local_timestamp', 'id', 'side', 'price', 'amount'];

/** The dataset a CSV header names, or undefined when it is not a tardis.dev header. */
export function tardisKind(header: string): TardisKind | undefined {
  const columns = header.trim().split(',');
  if (!columns.includes('exchange') || !columns.includes('symbol')) return undefined;
  if (BOOK_COLUMNS.every((c) => columns.includes(c))) return 'incremental_book_L2';
  if (TRADE_COLUMNS.every((c) => columns.includes(c))) return 'trades';
  return undefined;
}

const micros = (text: string | undefined, what: string): number => {
  const n = Number(text);
  if (!text || !Number.isSafeInteger(n) || n <= 0)
    throw new LineFormatError(`${what} '${text}' is not a µs time`);
  return n;
};

const mantissa = (text: string | undefined, what: string): number => {
  try {
    return parseDecimalMantissa(text ?? '', RECORD_EXPONENT);
  } catch (e) {
    throw new LineFormatError(`${what}: ${(e as Error).message.replace(/\.$/, '')}`);
  }
};

interface Pending {
  key: string;
  snapshot: boolean;
  symbol: string;
  timeUs: number;
  recvUs: number;
  bids: Level[];
  asks: Level[];
}

/** Reads one tardis.dev CSV file row by row; `row` returns the records that a row completes. */
export class TardisCsvParser {
  readonly kind: TardisKind;
  private readonly at: Record<string, number>;
  private pending: Pending | undefined;
  private nextId = 1;
  private diffsSeen = false;

  constructor(header: string) {
    const kind = tardisKind(header);
    if (!kind) throw new LineFormatError('not a tardis.dev incremental_book_L2 or trades header');
    this.kind = kind;
    this.at = Object.fromEntries(
      header
        .trim()
        .split(',')
        .map((c, i) => [c, i]),
    );
  }

  row(line: string): HistoryRecord[] {
    const f = line.split(',');
    const get = (c: string) => f[this.at[c] as number];
    const symbol = get('symbol') ?? '';
    const timeUs = micros(get('timestamp'), 'timestamp');
    const recvUs = micros(get('local_timestamp'), 'local_timestamp');
    const side = get('side');
    const price = mantissa(get('price'), 'price');
    const qty = mantissa(get('amount'), 'amount');
    if (this.kind === 'trades') {
      if (side !== 'buy' && side !== 'sell' && side !== 'unknown')
        throw new LineFormatError(`side '${side}' is not buy, sell or unknown`);
      const id = Number(get('id'));
      if (!Number.isSafeInteger(id)) throw new LineFormatError(`trade id '${get('id')}' is not an integer`);
      return [
        {
          kind: 'trade',
          recvUs,
          symbol,
          timeUs,
          eventTimeUs: timeUs,
          id,
          priceMantissa: price,
          qtyMantissa: qty,
          isBuyerMaker: side === 'sell',
        },
      ];
    }
    if (side !== 'bid' && side !== 'ask') throw new LineFormatError(`side '${side}' is not bid or ask`);
    const flag = get('is_snapshot');
    if (flag !== 'true' && flag !== 'false')
      throw new LineFormatError(`is_snapshot '${flag}' is not true or false`);
    const snapshot = flag === 'true';
    const key = `${timeUs}|${recvUs}|${flag}|${symbol}`;
    const out: HistoryRecord[] = [];
    if (this.pending && this.pending.key !== key) out.push(this.take());
    this.pending ??= { key, snapshot, symbol, timeUs, recvUs, bids: [], asks: [] };
    (side === 'bid' ? this.pending.bids : this.pending.asks).push([price, qty]);
    return out;
  }

  /** The message the last rows began (call at the end of the file). */
  flush(): HistoryRecord[] {
    return this.pending ? [this.take()] : [];
  }

  private take(): HistoryRecord {
    const p = this.pending as Pending;
    this.pending = undefined;
    const id = this.nextId++;
    if (p.snapshot) {
      // Best first, as a REST snapshot lists them.
      p.bids.sort((a, b) => b[0] - a[0]);
      p.asks.sort((a, b) => a[0] - b[0]);
      const reset = this.diffsSeen;
      return {
        kind: 'snapshot',
        recvUs: p.recvUs,
        symbol: p.symbol,
        lastUpdateId: id,
        bids: p.bids,
        asks: p.asks,
        ...(reset ? { reset } : {}),
      };
    }
    this.diffsSeen = true;
    return {
      kind: 'diff',
      recvUs: p.recvUs,
      symbol: p.symbol,
      timeUs: p.timeUs,
      firstUpdateId: id,
      lastUpdateId: id,
      bids: p.bids,
      asks: p.asks,
    };
  }
}
