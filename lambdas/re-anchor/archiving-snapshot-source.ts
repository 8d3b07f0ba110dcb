/**
 * A SnapshotSource that also writes every snapshot it hands the re-anchor to bronze `rest/depth`
 * (docs/bronze-layout.md), so that each book the live state was anchored on can be rebuilt offline:
 * a replay of bronze through core/model/feature-replay.ts starts from the same snapshot and so
 * computes the same features. The key is named by the snapshot's update id, so a retried write
 * replaces the same object. The write runs while the re-anchor goes on (the book is stale meanwhile:
 * it must not wait on S3); `flush()` awaits the writes before the process may be frozen or stopped.
 * A failed write is reported and does not stop the re-anchor: a stale book costs more than a
 * snapshot missing from bronze (the REST poller's periodic snapshots remain).
 */
import { formatDecimal } from '../../core/binance/decimal.ts';
import { BINANCE_EXPONENT } from '../../core/binance/json-stream.ts';
import type { Level } from '../../core/book/order-book.ts';
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { DepthLine } from '../../core/bronze/bronze-lines.ts';
import type { BronzeWriter } from '../../core/bronze/bronze-store.ts';
import type { DepthSnapshot } from '../shared/binance/binance-rest-client.ts';
import type { SnapshotSource } from './re-anchor.ts';

const decimals = (levels: readonly Level[]): [string, string][] =>
  levels.map(([p, q]) => [formatDecimal(p, BINANCE_EXPONENT), formatDecimal(q, BINANCE_EXPONENT)]);

export class ArchivingSnapshotSource implements SnapshotSource {
  archived = 0;
  failures = 0;
  private readonly pending = new Set<Promise<void>>();
  /** The last snapshot written per symbol: the one a swap that follows was anchored on. */
  private readonly last = new Map<string, { key: string; line: DepthLine }>();

  constructor(
    private readonly source: SnapshotSource,
    private readonly writer: BronzeWriter,
    /** Wall clock in µs: the line's receive time and the key's hour partition. */
    private readonly nowUs: () => number,
    private readonly onError: (error: unknown, key: string) => void = () => {},
  ) {}

  async depth(symbol: string, limit: number): Promise<DepthSnapshot> {
    const snapshot = await this.source.depth(symbol, limit);
    const recvTimeUs = this.nowUs();
    const line: DepthLine = {
      lastUpdateId: snapshot.lastUpdateId,
      bids: decimals(snapshot.bids),
      asks: decimals(snapshot.asks),
      recvTimeUs,
      source: 'reanchor',
    };
    const key = bronzeKey(
      'rest/depth',
      symbol,
      recvTimeUs / 1000,
      snapshot.lastUpdateId,
      snapshot.lastUpdateId,
    );
    this.last.set(symbol, { key, line });
    this.write(key, line, true);
    return snapshot;
  }

  /**
   * Writes the snapshot again (same key: it replaces the first object) with the update id the live
   * book went live at, so that an offline replay syncs it where the re-anchor did.
   */
  anchored(symbol: string, throughUpdateId: number): void {
    const last = this.last.get(symbol);
    if (!last) return;
    this.last.delete(symbol);
    this.write(last.key, { ...last.line, anchoredThroughId: throughUpdateId }, false);
  }

  /** Waits for the snapshots handed out so far to be written (or reported as failed). */
  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  private write(key: string, line: DepthLine, counted: boolean): void {
    // After the first write of the same key: S3 keeps the last PUT, and the object must end anchored.
    const previous = [...this.pending].at(-1);
    const write = (previous ?? Promise.resolve())
      .then(() => this.writer.write(key, [line]))
      .then(
        () => {
          if (counted) this.archived++;
        },
        (error: unknown) => {
          this.failures++;
          this.onError(error, key);
        },
      );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }
}
