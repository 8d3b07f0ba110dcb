/**
 * Binance's initial sync of a local book (web-socket-streams.md, "How to manage a local order book
 * correctly"), over a REST snapshot and the diffs buffered meanwhile:
 *   "If the lastUpdateId from the snapshot is strictly less than the U from step 2, go back to step 3"
 *   (the buffered diffs start after the snapshot: a newer snapshot is needed);
 *   "discard any event where u is <= lastUpdateId of the snapshot. The first buffered event should
 *   now have lastUpdateId within its [U;u] range";
 *   then apply the update procedure to every buffered event in order.
 * The re-anchor uses it with the diff log; a gap inside the log also needs a newer snapshot. Pure.
 */
import { type BookDiff, type Level, OrderBook } from './order-book.ts';

export type SyncOutcome =
  /** The book is at the snapshot, advanced through every usable diff. */
  | { status: 'synced'; book: OrderBook; applied: number; discarded: number }
  /** The diffs begin after the snapshot's id: some updates are in neither. Fetch a newer snapshot. */
  | { status: 'snapshot-too-old'; snapshotId: number; firstDiffId: number }
  /** A diff is missing after the snapshot: the book cannot be brought past it. Fetch a newer snapshot. */
  | { status: 'gap'; expectedId: number; receivedId: number };

export function syncFromSnapshot(
  snapshot: { lastUpdateId: number; bids: readonly Level[]; asks: readonly Level[] },
  diffs: readonly BookDiff[],
  /** Called after each diff applied, with the book as it then is and the diff's index. */
  onApplied?: (book: OrderBook, index: number) => void,
): SyncOutcome {
  const first = diffs[0];
  if (first && snapshot.lastUpdateId < first.firstUpdateId - 1) {
    return {
      status: 'snapshot-too-old',
      snapshotId: snapshot.lastUpdateId,
      firstDiffId: first.firstUpdateId,
    };
  }
  const book = OrderBook.fromSnapshot(snapshot.lastUpdateId, snapshot.bids, snapshot.asks);
  let applied = 0;
  let discarded = 0;
  for (const [index, diff] of diffs.entries()) {
    const verdict = book.apply(diff);
    if (verdict === 'old') discarded++;
    else if (verdict === 'apply') {
      applied++;
      onApplied?.(book, index);
    } else return { status: 'gap', expectedId: book.updateId + 1, receivedId: diff.firstUpdateId };
  }
  return { status: 'synced', book, applied, discarded };
}
