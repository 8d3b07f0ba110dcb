/**
 * History files on disk: gzip or plain (told by the content's magic bytes, not the name), read line
 * by line as a stream, the format detected from the first non-empty line (core/history):
 * - a tardis.dev CSV header (`incremental_book_L2` or `trades`);
 * - a Binance combined-stream line, `<timestamp> <json>` or `<json>`.
 * Anything unreadable is a HistoryFormatError naming the file and the line. Nothing is held but the
 * current chunk of the file: the `…Batches` readers yield the records of one chunk at a time (one
 * asynchronous step per chunk rather than per line: a history replay reads millions of lines,
 * docs/adr/0130); the record-at-a-time readers are built on them.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { scanBinanceLine } from '../../../core/history/binance-line-scanner.ts';
import { binanceRecord, parseBinanceLine, type RecordedLine } from '../../../core/history/binance-lines.ts';
import { HistoryFormatError, type HistoryRecord } from '../../../core/history/history-record.ts';
import { mergeByReceipt } from '../../../core/history/merge-by-receipt.ts';
import { TardisCsvParser, tardisKind } from '../../../core/history/tardis-csv.ts';

export type HistoryFormat = 'binance-lines' | 'tardis-incremental_book_L2' | 'tardis-trades';

export interface HistoryReadCounts {
  lines: number;
  records: number;
  /** Lines of streams that are not read (aggTrade, kline, …). */
  skipped: number;
}

/**
 * Bytes per read and per inflated chunk. 16 KiB (gunzip's default) for readers that pace events to a
 * clock (the venue's replay): its end-to-end test, the venue feeding the ingestor, the aggregator and
 * the re-anchor in one process, reproducibly starved the re-anchor with 64 KiB chunks (0 passes in 6
 * runs, 4 in 4 with 16 KiB; the mechanism is not pinned down, docs/adr/0130).
 */
export const PACED_CHUNK_BYTES = 16 * 1024;
/**
 * 64 KiB for bulk replays (historyTape): a third less CPU per replayed hour than 16 KiB (less
 * gunzip overhead per chunk), and each chunk's text stays below V8's large-object threshold
 * (128 KiB), past which every string made from a chunk costs its own page allocation (measured 20x
 * slower).
 */
export const BULK_CHUNK_BYTES = 64 * 1024;

/**
 * The file as a stream of text, gunzipped when its first bytes are gzip's magic number. The bytes are
 * peeked from the stream itself, so a pipe or a file still being written reads as well.
 */
async function openText(
  path: string,
  chunkBytes: number,
): Promise<{ input: Readable; close: () => void; bytesRead: () => number }> {
  const raw = createReadStream(path, { highWaterMark: chunkBytes });
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
  const gunzip = createGunzip({ chunkSize: chunkBytes });
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

/** One chunk's complete lines and the 1-based number of the first. */
export interface LineBatch {
  lines: string[];
  firstLine: number;
}

/**
 * The file's lines, a chunk at a time, streaming. Lines end at `\n`; a `\r` before it is dropped
 * (CRLF files read as LF ones).
 */
export async function* fileLineBatches(
  path: string,
  chunkBytes: number = PACED_CHUNK_BYTES,
): AsyncGenerator<LineBatch> {
  const { input, close, bytesRead } = await openText(path, chunkBytes);
  // ASCII chunks (every Binance and tardis.dev file seen) are copied into one-byte strings, several
  // times faster than UTF-8 decoding; from the first chunk that is not ASCII on, a UTF-8 decoder
  // (which keeps a character split across chunks) reads the rest.
  let utf8: StringDecoder | undefined;
  let n = 0;
  let rest = '';
  const cut = (text: string, from: number, to: number) =>
    to > from && text.charCodeAt(to - 1) === 13 /* \r */ ? text.slice(from, to - 1) : text.slice(from, to);
  try {
    for await (const bytes of input as AsyncIterable<Buffer>) {
      if (utf8 === undefined && !isAscii(bytes)) utf8 = new StringDecoder('utf8');
      const chunk = utf8 ? utf8.write(bytes) : bytes.toString('latin1');
      const text = rest === '' ? chunk : rest + chunk;
      const lines: string[] = [];
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        lines.push(cut(text, from, nl));
        from = nl + 1;
      }
      rest = from === 0 ? text : text.slice(from);
      if (lines.length > 0) {
        yield { lines, firstLine: n + 1 };
        n += lines.length;
      }
    }
    if (utf8) rest += utf8.end();
    if (rest !== '') yield { lines: [cut(rest, 0, rest.length)], firstLine: n + 1 };
  } catch (e) {
    if (e instanceof HistoryFormatError) throw e;
    throw new HistoryFormatError(
      path,
      n + 1,
      `cannot be read at byte ${bytesRead()} (${(e as Error).message}: a truncated or damaged file?)`,
    );
  } finally {
    close();
  }
}

/** The file's lines with their 1-based numbers, streaming. */
export async function* fileLines(path: string): AsyncGenerator<[line: string, lineNumber: number]> {
  for await (const { lines, firstLine } of fileLineBatches(path)) {
    for (let i = 0; i < lines.length; i++) yield [lines[i] as string, firstLine + i];
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

/** One file's records in file order, whatever its format, a chunk of the file at a time. */
export async function* readHistoryRecordBatches(
  path: string,
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
  chunkBytes: number = PACED_CHUNK_BYTES,
): AsyncGenerator<HistoryRecord[]> {
  let format: HistoryFormat | undefined;
  let tardis: TardisCsvParser | undefined;
  let lastUs = 0;
  for await (const { lines, firstLine } of fileLineBatches(path, chunkBytes)) {
    const out: HistoryRecord[] = [];
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k] as string;
      const n = firstLine + k;
      counts.lines++;
      let records: HistoryRecord[] | HistoryRecord | undefined | null;
      try {
        if (format === 'binance-lines') {
          // The exact layout Binance prints, read without JSON.parse; anything else the general way.
          records = scanBinanceLine(line);
          if (records === null) {
            if (line.trim() === '') continue;
            records = binanceRecord(parseBinanceLine(line), lastUs);
          }
          if (records && records.kind !== 'snapshot' && records.kind !== 'top') lastUs = records.recvUs;
        } else if (line.trim() === '') continue;
        else if (tardis) records = tardis.row(line);
        else {
          format = detectFormat(path, n, line);
          if (format !== 'binance-lines') {
            tardis = new TardisCsvParser(line);
            continue;
          }
          records = binanceRecord(parseBinanceLine(line), lastUs);
          if (records && records.kind !== 'snapshot' && records.kind !== 'top') lastUs = records.recvUs;
        }
      } catch (e) {
        wrap(path, n, e);
      }
      if (records === undefined || records === null) counts.skipped++;
      else if (Array.isArray(records)) {
        counts.records += records.length;
        for (const r of records) out.push(r);
      } else {
        counts.records++;
        out.push(records);
      }
    }
    if (out.length > 0) yield out;
  }
  if (tardis) {
    const rest = tardis.flush();
    counts.records += rest.length;
    if (rest.length > 0) yield rest;
  }
  if (format === undefined) throw new HistoryFormatError(path, counts.lines, 'the file holds no line');
}

/** One file's records in file order, whatever its format. */
export async function* readHistoryRecords(
  path: string,
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
): AsyncGenerator<HistoryRecord> {
  for await (const batch of readHistoryRecordBatches(path, counts)) yield* batch;
}

/**
 * Several files as one record stream, in batches: merged by receive time, so a session split across
 * files follows on, and separate streams of one period (tardis.dev's book and trades files)
 * interleave.
 */
export async function* readHistoryFileBatches(
  paths: readonly string[],
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
  chunkBytes: number = PACED_CHUNK_BYTES,
): AsyncGenerator<HistoryRecord[]> {
  if (paths.length === 1) yield* readHistoryRecordBatches(paths[0] as string, counts, chunkBytes);
  else yield* mergeByReceipt(paths.map((p) => readHistoryRecordBatches(p, counts, chunkBytes)));
}

/** Several files as one record stream (readHistoryFileBatches, a record at a time). */
export async function* readHistoryFiles(
  paths: readonly string[],
  counts: HistoryReadCounts = { lines: 0, records: 0, skipped: 0 },
): AsyncGenerator<HistoryRecord> {
  for await (const batch of readHistoryFileBatches(paths, counts)) yield* batch;
}
