/**
 * Reads Binance combined-stream recordings: one `<local timestamp> <json>` per line, gzip or plain,
 * as the hftbacktest collector writes them (../shared/data/depth/*_raw_stream.txt.gz). The JSON is a
 * combined-stream envelope `{"stream","data"}` or, once per session, a bare REST depth snapshot.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface RecordedLine {
  /** The recorder's clock, converted to microseconds whatever unit the file used. */
  localTimeUs: number;
  /** `btcusdt@depth@100ms`, `btcusdt@trade`, … or `rest:depth` for a bare snapshot. */
  stream: string;
  /** The parsed JSON payload: the envelope's `data`, or the snapshot itself. */
  payload: unknown;
}

export class RecordingFormatError extends Error {
  override readonly name = 'RecordingFormatError';
  constructor(path: string, lineNumber: number, reason: string) {
    super(`${path}:${lineNumber} is not a recorded line: ${reason}.`);
  }
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

async function isGzip(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { buffer } = await file.read(Buffer.alloc(2), 0, 2, 0);
    return buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await file.close();
  }
}

export async function* readRecording(path: string): AsyncGenerator<RecordedLine> {
  let input: Readable = createReadStream(path);
  if (await isGzip(path)) input = input.pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    const space = line.indexOf(' ');
    if (space <= 0) throw new RecordingFormatError(path, lineNumber, 'no timestamp before the JSON');
    const localTimeUs = timestampToUs(line.slice(0, space));
    if (Number.isNaN(localTimeUs))
      throw new RecordingFormatError(path, lineNumber, 'timestamp is not an integer');
    let json: { stream?: string; data?: unknown; lastUpdateId?: number };
    try {
      json = JSON.parse(line.slice(space + 1));
    } catch {
      throw new RecordingFormatError(path, lineNumber, 'JSON does not parse');
    }
    if (typeof json.stream === 'string') {
      yield { localTimeUs, stream: json.stream, payload: json.data };
    } else if (typeof json.lastUpdateId === 'number') {
      yield { localTimeUs, stream: 'rest:depth', payload: json };
    } else {
      throw new RecordingFormatError(
        path,
        lineNumber,
        'neither a combined-stream envelope nor a depth snapshot',
      );
    }
  }
}
