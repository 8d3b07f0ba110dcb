/**
 * `npm run record -- --source sim --duration 24h --speed max --out day.txt.gz [--seed 1] [--start 2026-01-01T00:00:00Z]`:
 * writes a long synthetic history in the Binance recording format (`<receive ns> <combined-stream
 * json>` per line, gzip when the name ends in .gz), for tests and benchmarks of the history replay.
 *
 * It drives the synthetic market model (local/venue/sources/synthetic-market.ts) directly, as fast as
 * it computes, rather than through the venue's sockets: 24 h of market through WebSockets would take
 * hours; the lines are what a recorder on the venue would write. Streams: `btcusdt@depth` (the model's
 * diff every 20 ms), `btcusdt@trade` (one line per trade), `btcusdt@bookTicker`, and a REST depth
 * snapshot (5000 levels) at the start and at every UTC midnight, as a recorder that rotates its file
 * daily and re-syncs would; each day of the history then begins at a snapshot. With `--rotate 1h`
 * (or any duration dividing a day) the history is cut into one file per period, `<out>` with the
 * period's UTC start inserted before the extension (`h.20260101T000000.txt.gz`), each beginning at a
 * snapshot: the unit a parallel replay splits on. Receive time = exchange time + 1 ms. Progress on
 * stderr.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { formatDecimal } from '../core/binance/decimal.ts';
import type { PriceLevel } from '../core/sbe/messages.ts';
import type { MarketEvent } from '../local/venue/market-events.ts';
import { Side } from '../local/venue/order-book.ts';
import { SyntheticMarket } from '../local/venue/sources/synthetic-market.ts';

const DAY_US = 86_400_000_000;
const STEP_US = 1_000_000;
const LATENCY_US = 1_000;

class UsageError extends Error {}

function durationUs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (!m) throw new UsageError(`--duration ${text}: expected a number with s, m, h or d (e.g. 24h)`);
  const unit = { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: DAY_US }[
    (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Math.round(Number(m[1]) * unit);
}

function options() {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: 'sim' },
      duration: { type: 'string', default: '1h' },
      speed: { type: 'string', default: 'max' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      start: { type: 'string', default: '2026-01-01T00:00:00Z' },
      symbol: { type: 'string', default: 'BTCUSDT' },
      rotate: { type: 'string' },
    },
  });
  const rotateUs = values.rotate ? durationUs(values.rotate) : DAY_US;
  if (DAY_US % rotateUs !== 0) throw new UsageError(`--rotate ${values.rotate}: must divide a day`);
  if (values.source !== 'sim')
    throw new UsageError(`--source ${values.source}: only 'sim' can be recorded here`);
  if (values.speed !== 'max')
    throw new UsageError(`--speed ${values.speed}: the recorder drives the model directly, at 'max' only`);
  if (!values.out) throw new UsageError('--out <file[.gz]> is required');
  const startMs = Date.parse(values.start);
  if (Number.isNaN(startMs)) throw new UsageError(`--start ${values.start}: not a date`);
  return {
    out: values.out,
    durationUs: durationUs(values.duration),
    seed: Number(values.seed),
    startUs: startMs * 1000,
    symbol: values.symbol.toUpperCase(),
    rotateUs,
    rotateFiles: values.rotate !== undefined,
  };
}

/** `h.txt.gz` → `h.20260101T000000.txt.gz` for the period starting at `startUs`. */
export function periodFile(out: string, startUs: number): string {
  const stamp = new Date(startUs / 1000).toISOString().slice(0, 19).replace(/[-:]/g, '');
  const dot = out.search(/\.(txt|ndjson|log)(\.gz)?$|\.gz$/);
  return dot < 0 ? `${out}.${stamp}` : `${out.slice(0, dot)}.${stamp}${out.slice(dot)}`;
}

const dec = (m: number) => formatDecimal(m, -8);
const pairs = (ls: readonly PriceLevel[]) => ls.map((l) => [dec(l.priceMantissa), dec(l.qtyMantissa)]);
const ns = (us: number) => `${us + LATENCY_US}000`;

export async function record(
  o: ReturnType<typeof options>,
  log: (s: string) => void = () => {},
): Promise<{ lines: number; files: string[] }> {
  const market = new SyntheticMarket({ symbol: o.symbol, seed: o.seed, startTimeUs: o.startUs });
  const stream = o.symbol.toLowerCase();
  let file!: WriteStream;
  const open = (path: string) => {
    file = createWriteStream(path);
    const z: Writable = path.endsWith('.gz') ? createGzip({ level: 6 }) : file;
    if (z !== file) z.pipe(file);
    return z;
  };
  let sink: Writable = open(o.rotateFiles ? periodFile(o.out, o.startUs) : o.out);
  const files = [o.rotateFiles ? periodFile(o.out, o.startUs) : o.out];
  const rotate = async (startUs: number) => {
    await write();
    sink.end();
    await once(file, 'close');
    files.push(periodFile(o.out, startUs));
    sink = open(files[files.length - 1] as string);
  };
  let lines = 0;
  let chunk: string[] = [];
  const write = async () => {
    lines += chunk.length;
    if (!sink.write(`${chunk.join('\n')}\n`)) await once(sink, 'drain');
    chunk = [];
  };
  const snapshotLine = (timeUs: number, lastUpdateId: number, bids: PriceLevel[], asks: PriceLevel[]) =>
    chunk.push(
      `${ns(timeUs)} ${JSON.stringify({ lastUpdateId, bids: pairs(bids.slice(0, 5000)), asks: pairs(asks.slice(0, 5000)) })}`,
    );
  const toLines = (e: MarketEvent) => {
    switch (e.type) {
      case 'snapshot':
        snapshotLine(e.timeUs, e.lastUpdateId, e.bids, e.asks);
        return;
      case 'depthDiff': {
        const E = Math.floor(e.eventTimeUs / 1000);
        chunk.push(
          `${ns(e.eventTimeUs)} {"stream":"${stream}@depth","data":${JSON.stringify({ e: 'depthUpdate', E, s: e.symbol, U: e.firstUpdateId, u: e.lastUpdateId, b: pairs(e.bids), a: pairs(e.asks) })}}`,
        );
        return;
      }
      case 'trades': {
        const E = Math.floor(e.eventTimeUs / 1000);
        const T = Math.floor(e.transactTimeUs / 1000);
        for (const t of e.trades)
          chunk.push(
            `${ns(e.eventTimeUs)} {"stream":"${stream}@trade","data":${JSON.stringify({ e: 'trade', E, s: e.symbol, t: t.id, p: dec(t.priceMantissa), q: dec(t.qtyMantissa), T, m: t.isBuyerMaker, M: true })}}`,
          );
        return;
      }
      case 'bestBidAsk':
        chunk.push(
          `${ns(e.eventTimeUs)} {"stream":"${stream}@bookTicker","data":${JSON.stringify({ u: e.bookUpdateId, s: e.symbol, b: dec(e.bidPriceMantissa), B: dec(e.bidQtyMantissa), a: dec(e.askPriceMantissa), A: dec(e.askQtyMantissa) })}}`,
        );
        return;
      default:
        return; // bookChanges: the truth, not on the wire
    }
  };
  toLines(market.openingSnapshot());
  const endUs = o.startUs + o.durationUs;
  let nextMidnightUs = (Math.floor(o.startUs / o.rotateUs) + 1) * o.rotateUs;
  let lastUpdateId = 0;
  const t0 = performance.now();
  let lastLog = t0;
  for (let t = o.startUs + STEP_US; t <= endUs; t += STEP_US) {
    for (const e of market.advanceTo(t)) {
      if (e.type === 'depthDiff' && e.eventTimeUs >= nextMidnightUs && nextMidnightUs < endUs) {
        // The book at the last diff before midnight (or the rotation): a snapshot received then.
        if (o.rotateFiles) await rotate(nextMidnightUs);
        const book = market.currentBook;
        snapshotLine(nextMidnightUs, lastUpdateId, book.top(Side.Bid, 5000), book.top(Side.Ask, 5000));
        nextMidnightUs += o.rotateUs;
      }
      toLines(e);
      if (e.type === 'depthDiff') lastUpdateId = e.lastUpdateId;
    }
    if (chunk.length >= 5000) await write();
    const now = performance.now();
    if (now - lastLog > 5000) {
      lastLog = now;
      const done = (t - o.startUs) / o.durationUs;
      const eta = ((now - t0) / done) * (1 - done);
      log(
        `[record] ${(100 * done).toFixed(1)}% of ${o.durationUs / 3.6e9} h, ${lines} lines, ETA ${Math.round(eta / 1000)} s`,
      );
    }
  }
  await write();
  sink.end();
  await once(file, 'close');
  return { lines, files };
}

if (process.argv[1]?.endsWith('record.ts')) {
  try {
    const o = options();
    const t0 = performance.now();
    const { lines, files } = await record(o, (s) => process.stderr.write(`${s}\n`));
    process.stderr.write(
      `[record] wrote ${lines} lines, ${o.durationUs / 3.6e9} h of market, to ${files.length === 1 ? files[0] : `${files.length} files (${files[0]} …)`} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`record: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
