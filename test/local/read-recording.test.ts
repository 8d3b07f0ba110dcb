import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RecordingFormatError, readRecording, timestampToUs } from '../../local/recordings/read-recording.ts';

async function collect(path: string) {
  const lines = [];
  for await (const line of readRecording(path)) lines.push(line);
  return lines;
}

describe('recording reader', () => {
  it('tells ns, µs, ms and s timestamps apart', () => {
    expect(timestampToUs('1723161255342123456')).toBe(1723161255342123);
    expect(timestampToUs('1723161255342123')).toBe(1723161255342123);
    expect(timestampToUs('1723161255342')).toBe(1723161255342000);
    expect(timestampToUs('1723161255')).toBe(1723161255000000);
    expect(timestampToUs('17e5')).toBeNaN();
  });

  it('reads plain and gzip files alike: envelopes, bare snapshots, blank lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recording-'));
    const text = [
      '1723161255342000000 {"stream":"btcusdt@trade","data":{"e":"trade","t":1}}',
      '',
      '1723161255343000000 {"lastUpdateId":50093239218,"bids":[],"asks":[]}',
    ].join('\n');
    writeFileSync(join(dir, 'r.txt'), text);
    writeFileSync(join(dir, 'r.txt.gz'), gzipSync(text));
    for (const file of ['r.txt', 'r.txt.gz']) {
      const lines = await collect(join(dir, file));
      expect(lines.map((l) => [l.stream, l.localTimeUs])).toEqual([
        ['btcusdt@trade', 1723161255342000],
        ['rest:depth', 1723161255343000],
      ]);
    }
  });

  it('names the file and line of a malformed line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recording-'));
    writeFileSync(join(dir, 'bad.txt'), '1 {"stream":"a","data":{}}\n2 {not json\n');
    await expect(collect(join(dir, 'bad.txt'))).rejects.toThrow(RecordingFormatError);
    await expect(collect(join(dir, 'bad.txt'))).rejects.toThrow(/bad\.txt:2/);
  });
});
