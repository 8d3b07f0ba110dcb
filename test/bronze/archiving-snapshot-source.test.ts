/**
 * The re-anchor's snapshots go to bronze `rest/depth` as Binance prints them, keyed by update id; a
 * bronze that cannot be written is reported and never stops the re-anchor from getting its snapshot,
 * nor makes it wait for the write.
 */
import { describe, expect, it } from 'vitest';
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import type { DepthLine } from '../../core/bronze/bronze-lines.ts';
import type { BronzeWriter } from '../../core/bronze/bronze-store.ts';
import { ArchivingSnapshotSource } from '../../lambdas/re-anchor/archiving-snapshot-source.ts';

const snapshot = {
  lastUpdateId: 50_093_239_218,
  bids: [[6_000_000_000_000, 150_000_000] as const, [5_999_999_000_000, 1] as const],
  asks: [[6_000_001_000_000, 25_000_000] as const],
};
const source = { depth: async () => snapshot };
const NOW_US = Date.UTC(2026, 10, 22, 3, 15) * 1000;

describe('ArchivingSnapshotSource', () => {
  it('writes the snapshot it returns to rest/depth, decimals that parse back to the same mantissas', async () => {
    const written: { key: string; lines: readonly unknown[] }[] = [];
    const writer: BronzeWriter = { write: async (key, lines) => void written.push({ key, lines }) };
    const archiving = new ArchivingSnapshotSource(source, writer, () => NOW_US);
    expect(await archiving.depth('BTCUSDT', 5000)).toBe(snapshot);
    await archiving.flush();
    expect(written).toHaveLength(1);
    expect(written[0]?.key).toBe(
      'bronze/rest/depth/symbol=BTCUSDT/dt=2026-11-22/hour=03/50093239218-50093239218.ndjson.gz',
    );
    const [line] = (written[0]?.lines ?? []) as DepthLine[];
    expect(line?.recvTimeUs).toBe(NOW_US);
    expect(line?.bids[0]).toEqual(['60000.00000000', '1.50000000']);
    const back = (levels: [string, string][]) =>
      levels.map(([p, q]) => [parseDecimalMantissa(p, -8), parseDecimalMantissa(q, -8)]);
    expect(back(line?.bids ?? [])).toEqual(snapshot.bids);
    expect(back(line?.asks ?? [])).toEqual(snapshot.asks);
    expect(archiving.archived).toBe(1);
  });

  it('hands the snapshot over without waiting for S3; flush waits for the write', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const archiving = new ArchivingSnapshotSource(source, { write: () => gate }, () => NOW_US);
    expect(await archiving.depth('BTCUSDT', 5000)).toBe(snapshot);
    expect(archiving.archived).toBe(0);
    let flushed = false;
    const flushing = archiving.flush().then(() => {
      flushed = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(flushed).toBe(false);
    release();
    await flushing;
    expect(archiving.archived).toBe(1);
  });

  it('still returns the snapshot when bronze cannot be written, and reports the failure', async () => {
    const errors: string[] = [];
    const writer: BronzeWriter = {
      write: async () => {
        throw new Error('SlowDown');
      },
    };
    const archiving = new ArchivingSnapshotSource(
      source,
      writer,
      () => NOW_US,
      (e, key) => errors.push(`${key}: ${(e as Error).message}`),
    );
    expect(await archiving.depth('BTCUSDT', 5000)).toBe(snapshot);
    await archiving.flush();
    expect(archiving).toMatchObject({ archived: 0, failures: 1 });
    expect(errors).toEqual([expect.stringMatching(/50093239218-50093239218\.ndjson\.gz: SlowDown$/)]);
  });

  it('writes the snapshot that anchored the live book again, with the update id it went live at', async () => {
    const written: { key: string; lines: readonly DepthLine[] }[] = [];
    const writer: BronzeWriter = {
      write: async (key, lines) => void written.push({ key, lines: lines as DepthLine[] }),
    };
    const archiving = new ArchivingSnapshotSource(source, writer, () => NOW_US);
    await archiving.depth('BTCUSDT', 5000);
    archiving.anchored('BTCUSDT', snapshot.lastUpdateId + 7);
    // Once only: a later swap without a new snapshot has nothing more to say about this one.
    archiving.anchored('BTCUSDT', snapshot.lastUpdateId + 9);
    await archiving.flush();
    expect(written.map((w) => w.key)).toEqual([written[0]?.key, written[0]?.key]);
    expect(written[0]?.lines[0]).toMatchObject({ source: 'reanchor' });
    expect(written[0]?.lines[0]?.anchoredThroughId).toBeUndefined();
    expect(written[1]?.lines[0]).toMatchObject({
      lastUpdateId: snapshot.lastUpdateId,
      source: 'reanchor',
      anchoredThroughId: snapshot.lastUpdateId + 7,
    });
    expect(archiving.archived).toBe(1);
  });
});
