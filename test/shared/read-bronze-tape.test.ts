/**
 * readBronzeTape's snapshot choice: training anchors on every REST snapshot in bronze; the parity
 * check only on the re-anchor's, the ones the live book was anchored on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { DepthLine } from '../../core/bronze/bronze-lines.ts';
import { DirectoryBronzeReader } from '../../lambdas/shared/bronze/directory-bronze-reader.ts';
import { DirectoryBronzeWriter } from '../../lambdas/shared/bronze/directory-bronze-writer.ts';
import { readBronzeTape } from '../../lambdas/shared/bronze/read-bronze-tape.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const SYMBOL = 'BTCUSDT';
const T0 = Date.UTC(2026, 0, 5, 12);
const dir = await mkdtemp(join(tmpdir(), 'bronze-tape-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const snapshot = (lastUpdateId: number, source?: DepthLine['source']): DepthLine => ({
  lastUpdateId,
  bids: [['60000.00000000', '1.00000000']],
  asks: [['60000.01000000', '1.00000000']],
  recvTimeUs: T0 * 1000 + lastUpdateId,
  ...(source && { source }),
});

describe('readBronzeTape', () => {
  it('anchors on every snapshot by default, and only on the re-anchor’s (and unmarked) ones when asked', async () => {
    const writer = new DirectoryBronzeWriter(dir);
    for (const line of [snapshot(10, 'poller'), snapshot(20, 'reanchor'), snapshot(30)]) {
      await writer.write(bronzeKey('rest/depth', SYMBOL, T0, line.lastUpdateId, line.lastUpdateId), [line]);
    }
    const reader = new DirectoryBronzeReader(dir);
    const decoder = new WasmSbeDecoder();
    const ids = (tape: Awaited<ReturnType<typeof readBronzeTape>>) =>
      tape.tape.flatMap((e) => (e.kind === 'snapshot' ? [e.lastUpdateId] : []));
    expect(ids(await readBronzeTape(reader, SYMBOL, decoder))).toEqual([10, 20, 30]);
    expect(ids(await readBronzeTape(reader, SYMBOL, decoder, { snapshots: 'reanchor' }))).toEqual([20, 30]);
  });
});
