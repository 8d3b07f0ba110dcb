/**
 * The history reader (core/history + lambdas/shared/history): every format, detected from content,
 * read as a stream into the tape FeatureReplay consumes; unreadable lines named by file and line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { timestampToUs } from '../../core/history/binance-lines.ts';
import { HistoryFormatError, type HistoryRecord } from '../../core/history/history-record.ts';
import { TapeOrder } from '../../core/history/tape-order.ts';
import { replayTape, type TapeEvent } from '../../core/model/feature-replay.ts';
import {
  readHistoryFiles,
  readHistoryRecords,
  readRecording,
} from '../../lambdas/shared/history/history-files.ts';
import { collectTape } from '../../lambdas/shared/history/history-tape.ts';
import { startVenue } from '../../local/venue/server.ts';
import { FIXTURE_DIR, fixtureContents } from '../fixtures/history/make-fixtures.ts';
import { hasSharedData, sharedDataPath } from '../support/shared-data.ts';

const fixture = (name: string) => join(FIXTURE_DIR, name);

async function records(paths: string | string[]): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const r of readHistoryFiles(typeof paths === 'string' ? [paths] : paths)) out.push(r);
  return out;
}

const kinds = (rs: readonly { kind: string }[]) =>
  rs.reduce<Record<string, number>>((m, r) => {
    m[r.kind] = (m[r.kind] ?? 0) + 1;
    return m;
  }, {});

function tmp(name: string, body: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'history-')), name);
  writeFileSync(path, body);
  return path;
}

describe('committed fixtures', () => {
  it('are what make-fixtures.ts generates', () => {
    for (const [name, body] of Object.entries(fixtureContents())) {
      const committed = readFileSync(fixture(name));
      const unzip = (b: Buffer) => (name.endsWith('.gz') ? gunzipSync(b) : b);
      expect(unzip(committed).equals(unzip(body)), name).toBe(true);
    }
  });
});

describe('Binance combined-stream lines', () => {
  it('tells ns, µs, ms and s receive stamps apart', () => {
    expect(timestampToUs('1723161255342123456')).toBe(1723161255342123);
    expect(timestampToUs('1723161255342123')).toBe(1723161255342123);
    expect(timestampToUs('1723161255342')).toBe(1723161255342000);
    expect(timestampToUs('1723161255')).toBe(1723161255000000);
    expect(timestampToUs('17e5')).toBeNaN();
  });

  it('reads ns, µs and ms stamps, gzip and bare <json> lines to the same records', async () => {
    const ns = await records(fixture('binance_ns_snapshot.txt'));
    expect(kinds(ns)).toEqual({ top: 30, diff: 30, trade: expect.any(Number), snapshot: 1 });
    const us = await records(fixture('binance_us_snapshot.txt'));
    expect(us).toEqual(ns);
    const ms = await records(fixture('binance_ms_no_snapshot.txt.gz'));
    expect(kinds(ms).snapshot).toBeUndefined();
    // ms stamps lose the µs: compare all else.
    const strip = (r: HistoryRecord) => ({ ...r, recvUs: Math.floor(r.recvUs / 1000) });
    expect(ms.map(strip)).toEqual(ns.filter((r) => r.kind !== 'snapshot').map(strip));
    const plain = await records(fixture('binance_plain_snapshot.txt'));
    expect(plain.map((r) => ({ ...r, recvUs: 0 }))).toEqual(ns.map((r) => ({ ...r, recvUs: 0 })));
    const first = ns.find((r) => r.kind === 'diff');
    expect(first).toMatchObject({ kind: 'diff', symbol: 'BTCUSDT', firstUpdateId: 1001, lastUpdateId: 1002 });
  });

  it('reads partial depth as a true top, and skips streams it does not read', async () => {
    const path = tmp(
      'partial.txt',
      [
        '1723161255342 {"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":7,"bids":[["1.00","2.0"]],"asks":[["1.01","3"]]}}',
        '1723161255343 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT"}}',
      ].join('\n'),
    );
    const counts = { lines: 0, records: 0, skipped: 0 };
    const out: HistoryRecord[] = [];
    for await (const r of readHistoryRecords(path, counts)) out.push(r);
    expect(out).toEqual([
      {
        kind: 'top',
        recvUs: 1723161255342000,
        symbol: 'BTCUSDT',
        source: 'depth20',
        updateId: 7,
        bids: [[100_000_000, 200_000_000]],
        asks: [[101_000_000, 300_000_000]],
      },
    ]);
    expect(counts).toEqual({ lines: 2, records: 1, skipped: 1 });
  });
});

describe('tardis.dev CSV', () => {
  it('groups incremental_book_L2 rows into a snapshot and diffs with consecutive ids', async () => {
    const book = await records(fixture('tardis_binance_BTCUSDT_incremental_book_L2.csv'));
    expect(book[0]).toMatchObject({ kind: 'snapshot', lastUpdateId: 1, symbol: 'BTCUSDT' });
    const diffs = book.filter((r): r is Extract<HistoryRecord, { kind: 'diff' }> => r.kind === 'diff');
    expect(diffs.length).toBeGreaterThan(20);
    expect(diffs.map((d) => [d.firstUpdateId, d.lastUpdateId])).toEqual(diffs.map((_, i) => [i + 2, i + 2]));
  });

  it('merges a book file and a trades file into one tape that replays like the Binance recording', async () => {
    const tardis = await collectTape([
      fixture('tardis_binance_BTCUSDT_incremental_book_L2.csv'),
      fixture('tardis_binance_BTCUSDT_trades.csv'),
    ]);
    const binance = await collectTape([fixture('binance_ns_snapshot.txt')]);
    const a = replayTape(tardis);
    const b = replayTape(binance);
    expect(a.stats).toMatchObject({ gaps: 0, anchor: 'snapshot', trades: b.stats.trades });
    expect(a.vectors.length).toBeGreaterThan(0);
    // Same market, different update ids: the same features at the same instants.
    expect(a.vectors.map((v) => v.values)).toEqual(b.vectors.map((v) => v.values));
  });

  describe.skipIf(
    !hasSharedData(
      'tardis.dev samples',
      'depth/tardis_binance_BTCUSDT_incremental_book_L2_2019-12-01_rows_1_2050.csv',
      'trades/tardis_binance_BTCUSDT_trades_2019-12-01_rows_1_100.csv',
    ),
  )('the real samples', () => {
    it('reads the 2019-12-01 book and trades samples', async () => {
      const book = await records(
        sharedDataPath('depth/tardis_binance_BTCUSDT_incremental_book_L2_2019-12-01_rows_1_2050.csv'),
      );
      const snapshot = book[0] as Extract<HistoryRecord, { kind: 'snapshot' }>;
      expect(snapshot.kind).toBe('snapshot');
      expect(snapshot.bids.length + snapshot.asks.length).toBe(2000);
      expect((snapshot.bids[0] as [number, number])[0]).toBeLessThan(
        (snapshot.asks[0] as [number, number])[0],
      );
      const trades = await records(
        sharedDataPath('trades/tardis_binance_BTCUSDT_trades_2019-12-01_rows_1_100.csv'),
      );
      expect(trades).toHaveLength(100);
      expect(trades[0]).toMatchObject({
        kind: 'trade',
        id: 211646077,
        isBuyerMaker: true,
        timeUs: 1575158403572000,
      });
    });
  });
});

describe('errors', () => {
  it('name the file and the line', async () => {
    const bad = tmp(
      'bad.txt',
      '1723161255342 {"lastUpdateId":1,"bids":[],"asks":[]}\n\n1723161255343 {not json\n',
    );
    await expect(records(bad)).rejects.toThrow(HistoryFormatError);
    await expect(records(bad)).rejects.toThrow(/bad\.txt:3: the JSON does not parse/);
    const gz = tmp(
      'bad.txt.gz',
      gzipSync(
        '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"X","t":1,"p":"1.x","q":"1"}}\n',
      ),
    );
    await expect(records(gz)).rejects.toThrow(/bad\.txt\.gz:1: .*1\.x/);
    const csv = tmp(
      'book.csv',
      'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\nbinance,BTCUSDT,1,1,false,buy,1.0,1\n',
    );
    await expect(records(csv)).rejects.toThrow(/book\.csv:2: side 'buy' is not bid or ask/);
    await expect(records(tmp('what.txt', 'hello\n'))).rejects.toThrow(/what\.txt:1: not a history format/);
    await expect(records('/nonexistent/x.txt')).rejects.toThrow(/x\.txt:0: no such file/);
  });
});

describe('streaming', () => {
  it('yields records from a file still being written (it never waits for the end)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-'));
    const fifo = join(dir, 'live.txt');
    execFileSync('mkfifo', [fifo]);
    const lines = readFileSync(fixture('binance_ns_snapshot.txt'), 'utf8').split('\n');
    const reader = readHistoryRecords(fifo);
    const first = reader.next();
    const writer = await open(fifo, 'w');
    await writer.write(`${lines.slice(0, 3).join('\n')}\n`);
    // The writer has not closed: the reader must still hand out what it has.
    const r = await first;
    expect(r.done).toBe(false);
    expect(r.value).toMatchObject({ kind: 'top', updateId: 1002 });
    await writer.write(`${lines.slice(3).join('\n')}`);
    await writer.close();
    let rest = 0;
    for await (const _ of reader) rest++;
    expect(rest).toBeGreaterThan(60);
  });

  it('holds at most the reorder window: events leave as soon as they are older than it', () => {
    const order = new TapeOrder({ windowUs: 1_000_000 });
    const out: TapeEvent[] = [];
    const trade = (t: number): HistoryRecord => ({
      kind: 'trade',
      recvUs: t,
      symbol: 'BTCUSDT',
      timeUs: t,
      eventTimeUs: t,
      id: t,
      priceMantissa: 1,
      qtyMantissa: 1,
      isBuyerMaker: false,
    });
    for (let k = 0; k < 100; k++) order.push(trade(1_000_000_000 + k * 100_000), out);
    // 100 events over 9.9 s with a 1 s window: all but the last second's are out already.
    expect(out.length).toBe(90);
    order.push(trade(1_000_000_000), out); // older than what left: counted, not replayed
    expect(order.stats.late).toBe(1);
    expect(order.finish(out).length).toBe(100);
    const times = out.map((e) => (e as { timeUs: number }).timeUs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('readRecording (raw stream messages)', () => {
  it('reads gzip and plain alike', async () => {
    const collect = async (p: string) => {
      const out = [];
      for await (const l of readRecording(p)) out.push([l.stream, l.localTimeUs]);
      return out;
    };
    const text = readFileSync(fixture('binance_ns_snapshot.txt'));
    expect(await collect(tmp('r.txt.gz', gzipSync(text)))).toEqual(
      await collect(fixture('binance_ns_snapshot.txt')),
    );
  });
});

describe('a truncated gzip recording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'truncated-'));
  // 6,000 depth updates with incompressible-enough quantities, cut at two thirds of the gzip (past
  // the lines the venue reads ahead before it starts).
  const text = Array.from({ length: 6000 }, (_, i) => {
    const data = {
      e: 'depthUpdate',
      E: 1_723_161_255_000 + i * 100,
      s: 'BTCUSDT',
      U: 1000 + i,
      u: 1000 + i,
      b: [['61737.63000000', `${(i * 7919) % 100_000}.${i % 97}`]],
      a: [],
    };
    return `${(1_723_161_255_000 + i * 100) * 1_000_000} ${JSON.stringify({ stream: 'btcusdt@depth@100ms', data })}`;
  }).join('\n');
  const whole = gzipSync(text);
  const cutAt = Math.floor((whole.length * 2) / 3);
  const path = join(dir, 'cut.txt.gz');
  writeFileSync(path, whole.subarray(0, cutAt));

  it('yields the lines before the damage, then fails with the file and the byte offset', async () => {
    const seen: string[] = [];
    const failure = await (async () => {
      try {
        for await (const line of readRecording(path)) seen.push(line.stream);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(HistoryFormatError);
    expect((failure as HistoryFormatError).message).toBe(
      `${path}:${seen.length + 1}: cannot be read at byte ${cutAt} (unexpected end of file: a truncated or damaged file?).`,
    );
    expect(seen.length).toBeGreaterThan(2000);
    expect(seen.length).toBeLessThan(6000);
  });

  it('stops the venue replaying it with that error, reported by the venue, and nothing unhandled', async () => {
    const venue = await startVenue({ source: { kind: 'replay', path, speed: 'max' } });
    try {
      await expect(venue.marketEnded).rejects.toThrow(`cannot be read at byte ${cutAt}`);
      expect(venue.stats().market.error).toMatch(
        /^HistoryFormatError: .*cannot be read at byte \d+ \(unexpected end of file/,
      );
    } finally {
      await venue.close();
    }
  });
});
