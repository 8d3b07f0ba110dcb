/**
 * A re-anchor request as the aggregator appends it to `reanchor:{S}:requests` when it marks a book
 * stale, and as the gap detector reads it back: typed fields, so the sequence gap it records (the
 * update id the book expected, the one that arrived instead: ids `expectedId` to `receivedId - 1`
 * never arrived) is read as numbers, not parsed out of the human-readable `detail`.
 */

export interface ReanchorRequestRecord {
  /** Stream entry id. */
  id: string;
  /** Why the book went stale ('gap', 'checksum', 'no-book'). */
  reason: string;
  /** The first update id the book needed (0 before any book); undefined on an entry without it. */
  expectedId?: number;
  /** The first update id that arrived instead. */
  receivedId?: number;
  /** For people: "expected X, received Y". */
  detail: string;
  /** When the aggregator marked the book stale (µs). */
  atUs: number;
}

/** The sentence the `detail` field carries. */
export function describeSequenceGap(gap: { expectedId: number; receivedId: number }): string {
  return `expected ${gap.expectedId}, received ${gap.receivedId}`;
}

/** The ids that never arrived, or nulls when the entry does not say. */
export function missingIds(request: Pick<ReanchorRequestRecord, 'expectedId' | 'receivedId'>): {
  fromId: number | null;
  toId: number | null;
} {
  const { expectedId, receivedId } = request;
  if (expectedId === undefined || receivedId === undefined) return { fromId: null, toId: null };
  return { fromId: expectedId, toId: receivedId - 1 };
}

/** A stream entry's flat field list (`reason, gap, expectedId, 101, …`) as a record. */
export function reanchorRequestFromFields(id: string, fields: readonly string[]): ReanchorRequestRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  const id_ = (value: string | undefined) => {
    const n = Number(value);
    return value !== undefined && value !== '' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  const record: ReanchorRequestRecord = {
    id,
    reason: f.reason ?? '',
    detail: f.detail ?? '',
    atUs: Number(f.atUs ?? 0),
  };
  const expectedId = id_(f.expectedId);
  const receivedId = id_(f.receivedId);
  if (expectedId !== undefined) record.expectedId = expectedId;
  if (receivedId !== undefined) record.receivedId = receivedId;
  return record;
}
