/**
 * Where a resumable writer continues after a crash. Its checkpoint is written only after the data
 * object, so a crash between the two leaves an object the checkpoint does not cover yet. Pages are
 * not fixed (a page fetched again later may hold more ids), so simply fetching again would write an
 * overlapping object under another key; instead the writer adopts the objects that continue its
 * checkpoint exactly and moves the checkpoint past them. Pure: keys in, resume point out.
 */
import { parseBronzeKey } from './bronze-keys.ts';

export interface ResumePoint {
  /** The next id to fetch. */
  nextId: number;
  /** The last object adopted (its lines give the time of the newest id), if any. */
  adoptedKey?: string;
  adopted: number;
}

/**
 * Follows objects (`<first>-<last>` names with numeric ids) from `nextId`: an object starting at
 * `nextId` is adopted and the chain goes on at `last + step`. With `nextId` undefined (no checkpoint)
 * the chain starts at the object with the highest last id, if any.
 */
export function resumePoint(keys: readonly string[], nextId: number | undefined, step: number): ResumePoint {
  const byFirst = new Map<number, { last: number; key: string }>();
  let newest: { last: number; key: string } | undefined;
  for (const key of keys) {
    const parsed = parseBronzeKey(key);
    if (!parsed) continue;
    const first = Number(parsed.first);
    const last = Number(parsed.last);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) continue;
    const previous = byFirst.get(first);
    if (!previous || previous.last < last) byFirst.set(first, { last, key });
    if (!newest || newest.last < last) newest = { last, key };
  }
  if (nextId === undefined) {
    if (!newest) return { nextId: Number.NaN, adopted: 0 };
    return { nextId: newest.last + step, adoptedKey: newest.key, adopted: 1 };
  }
  let next = nextId;
  let adoptedKey: string | undefined;
  let adopted = 0;
  for (let found = byFirst.get(next); found; found = byFirst.get(next)) {
    next = found.last + step;
    adoptedKey = found.key;
    adopted++;
  }
  return adoptedKey === undefined ? { nextId: next, adopted } : { nextId: next, adoptedKey, adopted };
}
