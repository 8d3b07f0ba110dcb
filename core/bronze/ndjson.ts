/** Newline-delimited JSON, the line format of every bronze object (before gzip). Pure. */

export class NdjsonFormatError extends Error {
  override readonly name = 'NdjsonFormatError';
  readonly retryable = false;
  constructor(line: number, reason: string) {
    super(`Line ${line} of the NDJSON object is not JSON: ${reason}.`);
  }
}

export function toNdjson(lines: readonly unknown[]): string {
  let out = '';
  for (const line of lines) out += `${JSON.stringify(line)}\n`;
  return out;
}

export function fromNdjson<T = unknown>(text: string): T[] {
  const out: T[] = [];
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (error) {
      throw new NdjsonFormatError(n, (error as Error).message);
    }
  }
  return out;
}
