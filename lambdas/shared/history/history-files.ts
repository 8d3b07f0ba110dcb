/**
 * History files on disk: gzip or plain (told by the content's magic bytes, not the name), read line
 * by line as a stream, the format detected from the first non-empty line (core/history):
 * - a tardis.dev CSV header (`incremental_book_L2` or `trades`);
 * - a Binance combined-stream line, `<timestamp> <json>` or `<json>`.
 * Anything unreadable is a HistoryFormatError naming the file and the line. Nothing is held but the
 * current line: `readHistoryRecords` yields as it reads.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { binanceRecord, parseBinanceLine, type RecordedLine } from '../../../core/history/binance-lines.ts';
import { HistoryFormatError, type HistoryRecord } from '../../../core/history/history-record.ts';
import { TardisCsvParser, tardisKind } from '../../../core/history/tardis-csv.ts';

export type HistoryFormat = 'binance-lines' | 'tardis-incremental_book_L2' | 'tardis-trades';

export interface HistoryReadCounts {
  lines: number;
  records: number;
  /** Lines of streams that are not read (aggTrade, kline, …). */
  skipped: number;
}

/**
 * The file as a stream of text, gunzipped when its first bytes are gzip's magic number. The bytes are
 * peeked from the stream itself, so a pipe or a file still being written reads as well.
 */
async function openText(
  path: string,
): Promise<{ input: Readable; close: () => void; bytesRead: () => number }> {
  const raw = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    raw.once('readable', resolve);
    raw.once('error', (e: NodeJS.ErrnoException) =>
      reject(new HistoryFormatError(path, 0, e.code === 'ENOENT' ? 'no such file' : e.message)),
    );
  });
  const head: Buffer | null = raw.read();
  if (head) raw.unshift(head);
  if (!(head && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b))
    return { input: raw, close: () => raw.destroy(), bytesRead: () => raw.bytesRead };
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return {
    input: raw.pipe(gunzip),
    close: () => {
      raw.destroy();
      gunzip.destroy();
    },
    // Compressed bytes the decompressor consumed: where a truncated or damaged file went wrong.
    bytesRead: () => gunzip.bytesWritten,
  };
}

/** The file's lines with their 1-based numbers, streaming. */
export async function* fileLines(path: string): AsyncGenerator<[line: string, lineNumber: number]> {
  const { input, close, bytesRead } = await openText(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) yield [line, ++n];
  } catch (e) {
    throw new HistoryFormatError(
      path,
      n + 1,
      `cannot be read at byte ${bytesRead()} (${(e as Error).message}: a truncated or damaged file?)`,
    );
  } finally {
    lines.close();
    close();
  }
}

const wrap = (path: string, n: number, e: unknown): never => {
  if (e instanceof HistoryFormatError) throw e;
  throw new HistoryFormatError(path, n, (e as Error).message.replace(/\.$/, ''));
};

/** The format of a file's first non-empty line. */
export function detectFormat(path: string, n: number, firstLine: string): HistoryFormat {
  const kind = tardisKind(firstLine);
  if (kind) return kind === 'trades' ? 'tardis-trades' : 'tardis-incremental_book_L2';
  if (/^(\d+ )?\{/.test(firstLine)) return 'binance-lines';
  throw new HistoryFormatError(
    path,
    n,
    'not a history format this reader knows (Binance `<timestamp> <json>` or `<json>` lines, or a tardis.dev incremental_book_L2 / trades CSV)',
  );
}

/** A Binance recording's lines, split and parsed (for tools that want the raw stream messages). */
export async function* readRecording(path: string): AsyncGenerator<RecordedLine> {
  for await (const [line, n] of fileLines(path)) {
    if (line.trim() === '') continue;
    try {
      yield parseBinanceLine(line);
    } catch (e) {
      wrap(path, n, e);
    }
  }
}

/** One file's records in file order, whatever its format. */
export async function* readHistoryRecords(
  path: string,
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
): AsyncGenerator<HistoryRecord> {
  let format: HistoryFormat | undefined;
  let tardis: TardisCsvParser | undefined;
  let lastUs = 0;
  for await (const [line, n] of fileLines(path)) {
    counts.lines++;
    if (line.trim() === '') continue;
    let records: HistoryRecord[] | HistoryRecord | undefined;
    try {
      if (format === undefined) {
        format = detectFormat(path, n, line);
        if (format !== 'binance-lines') {
          tardis = new TardisCsvParser(line);
          continue;
        }
      }
      if (tardis) records = tardis.row(line);
      else {
        records = binanceRecord(parseBinanceLine(line), lastUs);
        if (records && records.kind !== 'snapshot' && records.kind !== 'top') lastUs = records.recvUs;
      }
    } catch (e) {
      wrap(path, n, e);
    }
    if (records === undefined) counts.skipped++;
    else if (Array.isArray(records)) {
      counts.records += records.length;
      yield* records;
    } else {
      counts.records++;
      yield records;
    }
  }
  if (tardis) {
    const rest = tardis.flush();
    counts.records += rest.length;
    yield* rest;
  }
  if (format === undefined) throw new HistoryFormatError(path, counts.lines, 'the file holds no line');
}

/**
 * Several files as one record stream: merged by receive time, so a session split across files
 * follows on, and separate streams of one period (tardis.dev's book and trades files) interleave.
 */
export async function* readHistoryFiles(
  paths: readonly string[],
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
): AsyncGenerator<HistoryRecord> {
  if (paths.length === 1) {
    yield* readHistoryRecords(paths[0] as string, counts);
    return;
  }
  const sources = paths.map((p) => readHistoryRecords(p, counts));
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i] as IteratorResult<HistoryRecord>;
      if (h.done) continue;
      if (best < 0 || h.value.recvUs < (heads[best] as IteratorYieldResult<HistoryRecord>).value.recvUs)
        best = i;
    }
    if (best < 0) return;
    yield (heads[best] as IteratorYieldResult<HistoryRecord>).value;
    heads[best] = await (sources[best] as AsyncGenerator<HistoryRecord>).next();
  }
}
