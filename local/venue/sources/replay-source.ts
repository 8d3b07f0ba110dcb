/**
 * Replays recordings of Binance combined streams, one `<local timestamp> <json>` per line (the
 * hftbacktest format of ../shared/data/depth/*_raw_stream.txt.gz): gzip or plain, several files in
 * order (a session split across files), the local timestamp's unit detected per file (ns, µs or
 * ms by its magnitude). Each line becomes the events the exchange emitted:
 * - `<s>@depth[@100ms]` → the truth block [U, u] and the same diff on the wire;
 * - `<s>@trade` → a one-trade TradesEvent;
 * - `<s>@bookTicker` → bestBidAsk; spot bookTicker has no event time, so it gets the exchange time
 *   estimated from the receive time and the last event that had one;
 * - a bare REST `/api/v3/depth` answer (`{"lastUpdateId",…}`) → the snapshot that seeds the truth.
 * Pacing follows the receive timestamps (monotonic), shifted onto the exchange clock.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseDecimalMantissa } from '../../../core/binance/decimal.ts';
import { BINANCE_EXPONENT } from '../../../core/binance/json-stream.ts';
import type { PriceLevel } from '../../../core/sbe/messages.ts';
import { RecordingFormatError } from '../errors.ts';
import type { LevelChange, MarketBatch, MarketEvent, MarketSource } from '../market-events.ts';
import { Side } from '../order-book.ts';

export interface ReplaySourceOptions {
  /** One recording or a session split across files, replayed in order. */
  path: string | readonly string[];
  /** Symbol of the bare REST snapshot lines. @default the first symbol seen in the recording */
  snapshotSymbol?: string;
}

type Level = [string, string];

/** Receive timestamps: a 13-digit number is ms, 16 µs, 19 ns (epoch times since 2001). */
export function timestampToUs(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`'${text}' is not a timestamp`);
  if (n >= 1e17) return Math.floor(n / 1000);
  if (n >= 1e14) return n;
  if (n >= 1e11) return n * 1000;
  throw new Error(`'${text}' is too small to be an epoch time in ms, µs or ns`);
}

const levels = (json: Level[]): PriceLevel[] =>
  json.map(([p, q]) => ({
    priceMantissa: parseDecimalMantissa(p, BINANCE_EXPONENT),
    qtyMantissa: parseDecimalMantissa(q, BINANCE_EXPONENT),
  }));

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input: Readable = (await isGzip(path)) ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    raw.destroy();
  }
}

interface Parsed {
  localUs: number;
  json: Record<string, unknown>;
}

function parseLine(path: string, n: number, line: string): Parsed | undefined {
  if (line.trim() === '') return undefined;
  const space = line.indexOf(' ');
  if (space <= 0) throw new RecordingFormatError(path, n, 'expected `<timestamp> <json>`');
  try {
    return { localUs: timestampToUs(line.slice(0, space)), json: JSON.parse(line.slice(space + 1)) };
  } catch (e) {
    throw new RecordingFormatError(path, n, (e as Error).message);
  }
}

/** Reads the first lines to learn the symbols and the exchange-minus-receive clock offset. */
async function peek(paths: readonly string[]): Promise<{ symbols: string[]; offsetUs: number }> {
  const symbols = new Set<string>();
  let offsetUs: number | undefined;
  let n = 0;
  for await (const line of lines(paths[0] as string)) {
    n++;
    const p = parseLine(paths[0] as string, n, line);
    const data = p?.json.data as Record<string, unknown> | undefined;
    if (p && data) {
      if (typeof data.s === 'string') symbols.add(data.s);
      if (offsetUs === undefined && typeof data.E === 'number') offsetUs = data.E * 1000 - p.localUs;
    }
    if (n >= 2000 || (symbols.size > 0 && offsetUs !== undefined && n >= 200)) break;
  }
  if (symbols.size === 0) throw new RecordingFormatError(paths[0] as string, n, 'no stream event found');
  return { symbols: [...symbols], offsetUs: offsetUs ?? 0 };
}

export interface ReplaySource extends MarketSource {
  /** Lines read, events produced, and lines skipped (streams the venue does not serve). */
  readonly counts: { lines: number; events: number; skipped: number };
}

export async function createReplaySource(o: ReplaySourceOptions): Promise<ReplaySource> {
  const paths = typeof o.path === 'string' ? [o.path] : [...o.path];
  if (paths.length === 0) throw new RecordingFormatError('(none)', 0, 'no recording given');
  const { symbols, offsetUs: firstOffsetUs } = await peek(paths);
  const snapshotSymbol = o.snapshotSymbol ?? (symbols[0] as string);
  const counts = { lines: 0, events: 0, skipped: 0 };
  let closed = false;

  async function* batches(): AsyncGenerator<MarketBatch> {
    // The exchange clock runs ahead of the recorder's: estimate exchange time from receive time.
    let offsetUs = firstOffsetUs;
    for (const path of paths) {
      let n = 0;
      for await (const line of lines(path)) {
        if (closed) return;
        n++;
        counts.lines++;
        const p = parseLine(path, n, line);
        if (!p) continue;
        const events = toEvents(p, path, n, offsetUs);
        if (events.offsetUs !== undefined) offsetUs = events.offsetUs;
        if (events.events.length === 0) {
          counts.skipped++;
          continue;
        }
        counts.events += events.events.length;
        yield { paceUs: p.localUs + firstOffsetUs, events: events.events };
      }
    }
  }

  function toEvents(
    p: Parsed,
    path: string,
    n: number,
    offsetUs: number,
  ): { events: MarketEvent[]; offsetUs?: number } {
    const j = p.json;
    const estimatedUs = p.localUs + offsetUs;
    if (typeof j.lastUpdateId === 'number' && Array.isArray(j.bids) && Array.isArray(j.asks)) {
      return {
        events: [
          {
            type: 'snapshot',
            symbol: snapshotSymbol,
            timeUs: estimatedUs,
            lastUpdateId: j.lastUpdateId,
            bids: levels(j.bids as Level[]),
            asks: levels(j.asks as Level[]),
          },
        ],
      };
    }
    const stream = j.stream;
    const d = j.data as Record<string, unknown> | undefined;
    if (typeof stream !== 'string' || !d) {
      throw new RecordingFormatError(path, n, 'neither a combined-stream envelope nor a depth snapshot');
    }
    const kind = stream.split('@')[1];
    const symbol = String(d.s);
    if (d.e === 'depthUpdate') {
      const bids = levels(d.b as Level[]);
      const asks = levels(d.a as Level[]);
      const u = d.u as number;
      const changes: LevelChange[] = [];
      for (const l of bids) changes.push({ side: Side.Bid, ...l, updateId: u });
      for (const l of asks) changes.push({ side: Side.Ask, ...l, updateId: u });
      const E = (d.E as number) * 1000;
      return {
        offsetUs: E - p.localUs,
        events: [
          { type: 'bookChanges', symbol, timeUs: E, firstUpdateId: d.U as number, changes },
          {
            type: 'depthDiff',
            symbol,
            eventTimeUs: E,
            firstUpdateId: d.U as number,
            lastUpdateId: u,
            bids,
            asks,
          },
        ],
      };
    }
    if (d.e === 'trade') {
      const E = (d.E as number) * 1000;
      return {
        offsetUs: E - p.localUs,
        events: [
          {
            type: 'trades',
            symbol,
            eventTimeUs: E,
            transactTimeUs: (d.T as number) * 1000,
            trades: [
              {
                id: d.t as number,
                priceMantissa: parseDecimalMantissa(d.p as string, BINANCE_EXPONENT),
                qtyMantissa: parseDecimalMantissa(d.q as string, BINANCE_EXPONENT),
                isBuyerMaker: d.m === true,
              },
            ],
          },
        ],
      };
    }
    if (kind === 'bookTicker') {
      return {
        events: [
          {
            type: 'bestBidAsk',
            symbol,
            eventTimeUs: estimatedUs,
            bookUpdateId: d.u as number,
            bidPriceMantissa: parseDecimalMantissa(d.b as string, BINANCE_EXPONENT),
            bidQtyMantissa: parseDecimalMantissa(d.B as string, BINANCE_EXPONENT),
            askPriceMantissa: parseDecimalMantissa(d.a as string, BINANCE_EXPONENT),
            askQtyMantissa: parseDecimalMantissa(d.A as string, BINANCE_EXPONENT),
          },
        ],
      };
    }
    return { events: [] };
  }

  return {
    kind: 'replay',
    symbols,
    counts,
    batches,
    async close(): Promise<void> {
      closed = true;
    },
  };
}
