/**
 * `npm run bench:peers`: this project's order book against two widely used JavaScript ones, on the
 * 2024 recording (REST snapshot + 6,493 depth diffs, 298,094 level updates):
 * - tardis-dev's `OrderBook` (a red-black tree per side, from the `bintrees` package) fed by its
 *   Binance book-change mapper (`normalizeBookChanges('binance')`);
 * - ccxt's `OrderBook` (`OrderBookSide`: a sorted Float64Array index beside an array of [price, size]
 *   rows, best first) fed by ccxt pro's Binance handler (`handleOrderBookMessage`).
 * Four paths, each implementation on the same input and checked to end with the same top 20 levels:
 * book maintenance (apply only), apply + read the top 10 after each diff, the top-10 read alone, and
 * wire bytes → book (our frame envelopes of 100 SBE frames through the WASM decoder, against
 * JSON.parse of Binance's JSON messages and their mapper). Every round times every implementation
 * on every path, in one process and in a rotating order; each figure printed is the median over the
 * rounds of the per-round ratio (ours / theirs, so > 1 means this project is faster).
 *
 * The peers are pinned in scripts/bench/peers/package.json and its lockfile, installed there on
 * first use: they are never dependencies of the project.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { type JsonDepthUpdate, jsonToSbe } from '../../core/binance/json-stream.ts';
import { classifyDiff } from '../../core/book/diff-rule.ts';
import { type BookDiff, type Level, OrderBook } from '../../core/book/order-book.ts';
import { allocateEnvelopeFrames, EnvelopeBuilder, readEnvelope } from '../../core/envelope/frame-envelope.ts';
import { bookTopFromSides } from '../../core/features/book-top.ts';
import { Field, Status, TemplateId } from '../../core/sbe/abi.ts';
import { field } from '../../core/sbe/decoded-batch.ts';
import { encodeMessage } from '../../core/sbe/encoder.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** Reads per timing of the top-10 read alone: long enough to time a sub-microsecond call. */
const READS = 200_000;
const TOP_READ = 10;
const VERIFIED_LEVELS = 20;
const FRAMES_PER_RECORD = 100;
const EXPONENT = -8;

// ---- the recording -------------------------------------------------------------------------------
const dataDir = process.env.SHARED_DATA_DIR ?? join(import.meta.dirname, '../../../shared/data');
const files = [
  'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
].map((f) => join(dataDir, f));
const snapshotFile = join(dataDir, 'depth/spot_btcusdt_20240808-09_rest_snapshot_limit1000.json');
const absent = [...files, snapshotFile].filter((f) => !existsSync(f));
if (absent.length > 0) {
  console.error(`bench:peers skipped: it needs the 2024 recording, and ${absent.join(', ')} is absent.`);
  process.exit(2);
}

// ---- the peers, installed in their own folder on first use ---------------------------------------
const peersDir = join(import.meta.dirname, 'peers');
const installed = () =>
  ['tardis-dev', 'ccxt'].every((p) => existsSync(join(peersDir, 'node_modules', p, 'package.json')));
if (!installed()) {
  console.error('bench:peers: installing tardis-dev and ccxt (pinned) into scripts/bench/peers …');
  try {
    execFileSync('npm', ['ci', '--prefix', peersDir, '--ignore-scripts', '--no-audit', '--no-fund'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    console.error(
      'bench:peers could not install its peers (offline?). With access to the npm registry, run ' +
        '`npm ci --prefix scripts/bench/peers --ignore-scripts` and then `npm run bench:peers` again.',
    );
    process.exit(2);
  }
}
const peerRequire = createRequire(join(peersDir, 'package.json'));
const peerVersion = (name: string) =>
  (
    JSON.parse(readFileSync(join(peersDir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** tardis-dev's public API, as far as this benchmark uses it. */
interface TardisLevel {
  price: number;
  amount: number;
}
interface TardisBookChange {
  isSnapshot: boolean;
  bids: TardisLevel[];
  asks: TardisLevel[];
}
interface TardisOrderBook {
  update(change: TardisBookChange): void;
  bids(): IterableIterator<TardisLevel>;
  asks(): IterableIterator<TardisLevel>;
}
interface TardisMapper {
  map(message: unknown, localTimestamp: Date): IterableIterator<TardisBookChange>;
}
const tardis = peerRequire('tardis-dev') as {
  OrderBook: new () => TardisOrderBook;
  normalizeBookChanges: (exchange: string, localTimestamp: Date) => TardisMapper;
};

/** ccxt's order book (an array subclass per side, rows [price, size], best first). */
type CcxtSide = [number, number][] & { store(price: number, size: number): void };
interface CcxtOrderBook {
  bids: CcxtSide;
  asks: CcxtSide;
  nonce: number | undefined;
  reset(snapshot: { bids: [number, number][]; asks: [number, number][]; nonce: number }): void;
}
interface CcxtBinance {
  orderBook(): CcxtOrderBook;
  handleOrderBookMessage(client: unknown, message: unknown, orderbook: CcxtOrderBook): CcxtOrderBook;
  safeInteger(o: unknown, key: string): number | undefined;
}
const ccxtDir = join(peersDir, 'node_modules/ccxt/js/src');
const { default: CcxtBinancePro } = (await import(pathToFileURL(join(ccxtDir, 'pro/binance.js')).href)) as {
  default: new () => CcxtBinance;
};
const ccxt = new CcxtBinancePro();

// ---- inputs, prepared once -----------------------------------------------------------------------
type JsonLevel = [string, string];
const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8')) as {
  lastUpdateId: number;
  bids: JsonLevel[];
  asks: JsonLevel[];
};
const toLevels = (raw: JsonLevel[]): Level[] =>
  raw.map(([p, q]) => [parseDecimalMantissa(p, EXPONENT), parseDecimalMantissa(q, EXPONENT)]);
const toFloats = (raw: JsonLevel[]): [number, number][] => raw.map(([p, q]) => [Number(p), Number(q)]);

/** Every depth diff of the recording, as Binance's JSON text and as our SBE frame. */
const messages: { text: string; diff: JsonDepthUpdate; frame: Uint8Array }[] = [];
let lastTimeUs = 0;
for (const file of files) {
  for await (const line of readRecording(file)) {
    const data = line.payload as JsonDepthUpdate;
    if (data.e !== 'depthUpdate') continue;
    const message = jsonToSbe(data, lastTimeUs);
    lastTimeUs = message.eventTimeUs;
    const text = JSON.stringify({ stream: line.stream, data });
    messages.push({ text, diff: data, frame: encodeMessage(message) });
  }
}
/** The diffs that apply after the snapshot (Binance's rule), in each implementation's own form. */
const applying = messages.filter((m) => m.diff.u > snapshot.lastUpdateId);
const ourDiffs: BookDiff[] = applying.map(({ diff }) => ({
  firstUpdateId: diff.U,
  lastUpdateId: diff.u,
  bids: toLevels(diff.b),
  asks: toLevels(diff.a),
}));
const levelUpdates = ourDiffs.reduce((n, d) => n + d.bids.length + d.asks.length, 0);
// The recording's start: tardis-dev picks its snapshot-overlap policy from how old the data is.
const fixedTime = new Date('2024-08-08T23:54:00Z');
const tardisSnapshotMessage = () => ({
  stream: 'btcusdt@depthSnapshot',
  generated: true,
  data: structuredClone(snapshot),
});
/** tardis-dev's own mapper makes its book changes (the snapshot first, then every diff). */
const tardisChanges = (() => {
  const mapper = tardis.normalizeBookChanges('binance', fixedTime);
  const changes = [...mapper.map(tardisSnapshotMessage(), fixedTime)];
  for (const m of messages) changes.push(...mapper.map(JSON.parse(m.text), fixedTime));
  return changes;
})();
const [tardisSnapshot, ...tardisDiffs] = tardisChanges as [TardisBookChange, ...TardisBookChange[]];
const ccxtDiffs = applying.map(({ diff }) => ({ u: diff.u, bids: toFloats(diff.b), asks: toFloats(diff.a) }));
/** Our wire form: frame envelopes of 100 frames, as the ingestor writes Kinesis records. */
const envelopes: Uint8Array[] = [];
{
  const builder = new EnvelopeBuilder();
  for (const m of messages) {
    builder.tryAdd(m.frame, 0);
    if (builder.frameCount === FRAMES_PER_RECORD) {
      envelopes.push(builder.finish());
      builder.reset();
    }
  }
  if (builder.frameCount > 0) envelopes.push(builder.finish());
}
const wireTexts = messages.map((m) => m.text);
if (applying.length !== tardisDiffs.length) throw new Error('tardis-dev mapped a different number of diffs');

// ---- the implementations -------------------------------------------------------------------------
const ours = () =>
  OrderBook.fromSnapshot(snapshot.lastUpdateId, toLevels(snapshot.bids), toLevels(snapshot.asks));
const theirsTardis = () => {
  const book = new tardis.OrderBook();
  book.update(tardisSnapshot);
  return book;
};
const theirsCcxt = () => {
  const book = ccxt.orderBook();
  book.reset({ bids: toFloats(snapshot.bids), asks: toFloats(snapshot.asks), nonce: snapshot.lastUpdateId });
  return book;
};

type Top = { bids: readonly (readonly [number, number])[]; asks: readonly (readonly [number, number])[] };
const ourTop = (book: OrderBook, n: number): Top =>
  bookTopFromSides(book.bids, book.asks, EXPONENT, EXPONENT, n);
const tardisTop = (book: TardisOrderBook, n: number): Top => {
  const take = (levels: IterableIterator<TardisLevel>) => {
    const out: [number, number][] = [];
    for (const l of levels) {
      if (out.length === n) break;
      out.push([l.price, l.amount]);
    }
    return out;
  };
  return { bids: take(book.bids()), asks: take(book.asks()) };
};
/** ccxt's rows are the levels themselves: a read copies the first n references, as its users do. */
const ccxtTop = (book: CcxtOrderBook, n: number): Top => {
  const take = (side: CcxtSide) => {
    const count = Math.min(n, side.length);
    const out: [number, number][] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = side[i] as [number, number];
    return out;
  };
  return { bids: take(book.bids), asks: take(book.asks) };
};
/** tardis-dev reads its tree through generators; a read takes the first n nodes. */
const tardisRead = (book: TardisOrderBook, n: number): Top => {
  const take = (levels: IterableIterator<TardisLevel>) => {
    const out: TardisLevel[] = [];
    for (const l of levels) {
      if (out.length === n) break;
      out.push(l);
    }
    return out;
  };
  return { bids: take(book.bids()) as never, asks: take(book.asks()) as never };
};

/** Every implementation must end with the very same top 20 (prices and sizes as doubles). */
const expected = (() => {
  const book = ours();
  for (const d of ourDiffs) book.apply(d);
  return JSON.stringify(ourTop(book, VERIFIED_LEVELS));
})();
const verify = (who: string, top: Top) => {
  const got = JSON.stringify(top);
  if (got !== expected)
    throw new Error(`${who} ended with another top ${VERIFIED_LEVELS}: ${got} vs ${expected}`);
};

const decoder = new WasmSbeDecoder();
const frames = allocateEnvelopeFrames();

type Timing = () => number;
const seconds = (run: () => void) => {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
};
let sink = 0;

const paths: Record<string, Record<'ours' | 'tardis' | 'ccxt', Timing>> = {
  book: {
    ours: () => {
      const book = ours();
      const s = seconds(() => {
        for (const d of ourDiffs) book.apply(d);
      });
      verify('ours (book)', ourTop(book, VERIFIED_LEVELS));
      return s;
    },
    tardis: () => {
      const book = theirsTardis();
      const s = seconds(() => {
        for (const change of tardisDiffs) book.update(change);
      });
      verify('tardis-dev (book)', tardisTop(book, VERIFIED_LEVELS));
      return s;
    },
    ccxt: () => {
      const book = theirsCcxt();
      const s = seconds(() => {
        for (const d of ccxtDiffs) {
          for (const [p, q] of d.asks) book.asks.store(p, q);
          for (const [p, q] of d.bids) book.bids.store(p, q);
          book.nonce = d.u;
        }
      });
      verify('ccxt (book)', ccxtTop(book, VERIFIED_LEVELS));
      return s;
    },
  },
  applyRead: {
    ours: () => {
      const book = ours();
      const s = seconds(() => {
        for (const d of ourDiffs) {
          book.apply(d);
          sink += ourTop(book, TOP_READ).bids.length;
        }
      });
      verify('ours (apply+read)', ourTop(book, VERIFIED_LEVELS));
      return s;
    },
    tardis: () => {
      const book = theirsTardis();
      const s = seconds(() => {
        for (const change of tardisDiffs) {
          book.update(change);
          sink += tardisRead(book, TOP_READ).bids.length;
        }
      });
      verify('tardis-dev (apply+read)', tardisTop(book, VERIFIED_LEVELS));
      return s;
    },
    ccxt: () => {
      const book = theirsCcxt();
      const s = seconds(() => {
        for (const d of ccxtDiffs) {
          for (const [p, q] of d.asks) book.asks.store(p, q);
          for (const [p, q] of d.bids) book.bids.store(p, q);
          book.nonce = d.u;
          sink += ccxtTop(book, TOP_READ).bids.length;
        }
      });
      verify('ccxt (apply+read)', ccxtTop(book, VERIFIED_LEVELS));
      return s;
    },
  },
  read: {
    ours: () => {
      const book = ours();
      for (const d of ourDiffs) book.apply(d);
      return seconds(() => {
        for (let i = 0; i < READS; i++) sink += ourTop(book, TOP_READ).asks.length;
      });
    },
    tardis: () => {
      const book = theirsTardis();
      for (const change of tardisDiffs) book.update(change);
      return seconds(() => {
        for (let i = 0; i < READS; i++) sink += tardisRead(book, TOP_READ).asks.length;
      });
    },
    ccxt: () => {
      const book = theirsCcxt();
      for (const d of ccxtDiffs) {
        for (const [p, q] of d.asks) book.asks.store(p, q);
        for (const [p, q] of d.bids) book.bids.store(p, q);
      }
      return seconds(() => {
        for (let i = 0; i < READS; i++) sink += ccxtTop(book, TOP_READ).asks.length;
      });
    },
  },
  wire: {
    // Envelope → WASM decode → Binance's diff rule → book, as the aggregator's depth path does.
    ours: () => {
      const book = ours();
      const s = seconds(() => {
        for (const record of envelopes) {
          const count = readEnvelope(record, frames);
          const decoded = decoder.decodeBatch(record, frames.offsets, frames.lengths, count);
          const levels = decoded.levels;
          for (let i = 0; i < count; i++) {
            if (field(decoded, i, Field.Status) !== Status.Ok) continue;
            if (field(decoded, i, Field.TemplateId) !== TemplateId.DepthDiff) continue;
            const last = field(decoded, i, Field.LastUpdateId);
            if (classifyDiff(book.updateId, field(decoded, i, Field.FirstUpdateId), last) !== 'apply')
              continue;
            const start = field(decoded, i, Field.EntryStart);
            const bidCount = field(decoded, i, Field.BidCount);
            const end = start + bidCount + field(decoded, i, Field.AskCount);
            for (let j = start; j < start + bidCount; j++)
              book.bids.set(levels[2 * j] as number, levels[2 * j + 1] as number);
            for (let j = start + bidCount; j < end; j++)
              book.asks.set(levels[2 * j] as number, levels[2 * j + 1] as number);
            book.updateId = last;
          }
        }
      });
      verify('ours (wire)', ourTop(book, VERIFIED_LEVELS));
      return s;
    },
    // JSON.parse → tardis-dev's Binance mapper (rule + Number() per level) → its book.
    tardis: () => {
      const mapper = tardis.normalizeBookChanges('binance', fixedTime);
      const book = new tardis.OrderBook();
      for (const change of mapper.map(tardisSnapshotMessage(), fixedTime)) book.update(change);
      const s = seconds(() => {
        for (const text of wireTexts) {
          for (const change of mapper.map(JSON.parse(text), fixedTime)) book.update(change);
        }
      });
      verify('tardis-dev (wire)', tardisTop(book, VERIFIED_LEVELS));
      return s;
    },
    // JSON.parse → Binance's rule as ccxt pro checks it (spot) → ccxt's handleOrderBookMessage.
    ccxt: () => {
      const book = theirsCcxt();
      let synced = false;
      const s = seconds(() => {
        for (const text of wireTexts) {
          const message = (JSON.parse(text) as { data: JsonDepthUpdate }).data;
          const U = ccxt.safeInteger(message, 'U') as number;
          const u = ccxt.safeInteger(message, 'u') as number;
          const nonce = book.nonce as number;
          if (u <= nonce) continue;
          const continues = synced ? U - 1 === nonce : U - 1 <= nonce && u - 1 >= nonce;
          if (!continues) throw new Error('ccxt: the recording should apply without a gap');
          ccxt.handleOrderBookMessage(undefined, message, book);
          synced = true;
        }
      });
      verify('ccxt (wire)', ccxtTop(book, VERIFIED_LEVELS));
      return s;
    },
  },
};

// ---- rounds --------------------------------------------------------------------------------------
const names = ['ours', 'tardis', 'ccxt'] as const;
const ratios: Record<string, number[]> = {};
const times: Record<string, number[]> = {};
const push = (into: Record<string, number[]>, key: string, value: number) => {
  if (!into[key]) into[key] = [];
  into[key].push(value);
};
// One untimed pass warms every path (JIT, caches) before the rounds that count.
for (const path of Object.values(paths)) for (const name of names) path[name]();
for (let round = 0; round < ROUNDS; round++) {
  for (const [pathName, path] of Object.entries(paths)) {
    const took: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as (typeof names)[number];
      took[name] = path[name]();
      push(times, `${pathName}.${name}`, took[name]);
    }
    push(ratios, `${pathName}VsTardis`, (took.tardis as number) / (took.ours as number));
    push(ratios, `${pathName}VsCcxt`, (took.ccxt as number) / (took.ours as number));
  }
}
const median = (values: number[] = []) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const ratio = (key: string) => Math.round(median(ratios[key]) * 100) / 100;
const rate = (key: string, work: number) => Math.round(work / median(times[key]));
const perRead = (key: string) => Math.round((median(times[key]) / READS) * 1e9) / 1000;
const diffs = ourDiffs.length;

console.log(
  JSON.stringify({
    bench: 'peers',
    bookVsTardis: ratio('bookVsTardis'),
    bookVsCcxt: ratio('bookVsCcxt'),
    wireVsTardis: ratio('wireVsTardis'),
    wireVsCcxt: ratio('wireVsCcxt'),
    top10ReadVsCcxt: ratio('readVsCcxt'),
    top10ReadVsTardis: ratio('readVsTardis'),
    applyReadVsTardis: ratio('applyReadVsTardis'),
    applyReadVsCcxt: ratio('applyReadVsCcxt'),
    diffsPerS: {
      ours: rate('book.ours', diffs),
      tardis: rate('book.tardis', diffs),
      ccxt: rate('book.ccxt', diffs),
    },
    applyReadDiffsPerS: {
      ours: rate('applyRead.ours', diffs),
      tardis: rate('applyRead.tardis', diffs),
      ccxt: rate('applyRead.ccxt', diffs),
    },
    top10ReadUs: { ours: perRead('read.ours'), tardis: perRead('read.tardis'), ccxt: perRead('read.ccxt') },
    wireMsgsPerS: {
      ours: rate('wire.ours', messages.length),
      tardis: rate('wire.tardis', messages.length),
      ccxt: rate('wire.ccxt', messages.length),
    },
    diffs,
    levelUpdates,
    wireMessages: messages.length,
    framesPerEnvelope: FRAMES_PER_RECORD,
    verifiedTopLevels: VERIFIED_LEVELS,
    rounds: ROUNDS,
    peers: { 'tardis-dev': peerVersion('tardis-dev'), ccxt: peerVersion('ccxt') },
    sink: sink > 0,
  }),
);
