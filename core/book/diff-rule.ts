/**
 * Binance's rule for applying a depth diff [U, u] to a book whose update id is L
 * (web-socket-streams.md, "How to manage a local order book correctly"):
 *   "If the event last update ID (u) is less than the update ID of your local order book, ignore
 *    the event." and, after a snapshot, "discard any event where u is <= lastUpdateId".
 *   "If the event first update ID (U) is greater than the update ID of your local order book + 1,
 *    you have missed some events. Discard your local order book and restart the process."
 *   "The first buffered event should now have lastUpdateId within its [U;u] range."
 * One rule covers the first diff after a snapshot (U <= L+1 <= u) and steady state (U = L+1).
 */
export type DiffVerdict = 'apply' | 'old' | 'gap';

export function classifyDiff(bookUpdateId: number, firstUpdateId: number, lastUpdateId: number): DiffVerdict {
  if (lastUpdateId <= bookUpdateId) return 'old';
  if (firstUpdateId > bookUpdateId + 1) return 'gap';
  return 'apply';
}
