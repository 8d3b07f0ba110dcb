/**
 * Continuity of an id sequence carried in ranges: depth diffs carry update ids [U, u], trade frames
 * trade ids [first, last]. Binance's rule for diffs (web-socket-streams.md, "How to manage a local
 * order book correctly"): "If the event's U is not equal to the previous event's u + 1, something
 * went wrong" (spot: each new event's U should be the previous event's u + 1). Trade ids are
 * contiguous the same way.
 *
 * Every range gets a verdict: forward it or not, and what (if anything) was wrong:
 * - missing:   U > previous u + 1; the skipped ids are remembered as a hole;
 * - reordered: a range arriving late that falls in a remembered hole (forwarded: never seen before);
 * - duplicate: a range at or below the previous u that fills no hole (not forwarded: seen before,
 *              e.g. the overlap of two connections during a make-before-break rotation).
 * Pure: no clock, no I/O.
 */

export type ContinuityIssue = 'missing' | 'duplicate' | 'reordered';

export interface ContinuityVerdict {
  forward: boolean;
  issue?: ContinuityIssue;
  /** For `missing`: the first id not received and how many ids are absent. */
  missingFrom?: number;
  missingCount?: number;
}

const OK: ContinuityVerdict = { forward: true };
const DUPLICATE: ContinuityVerdict = { forward: false, issue: 'duplicate' };
const REORDERED: ContinuityVerdict = { forward: true, issue: 'reordered' };

/** Holes kept for reorder detection; older holes count as lost for good. */
const MAX_HOLES = 64;

interface Hole {
  from: number;
  to: number;
}

/** JSON form of an IdContinuity (persisted between Lambda invocations): holes oldest first. */
export interface IdContinuitySnapshot {
  last: number | null;
  holes: [from: number, to: number][];
}

export class IdContinuitySnapshotError extends Error {
  override readonly name = 'IdContinuitySnapshotError';
  constructor(reason: string) {
    super(`Cannot restore an IdContinuity from this snapshot: ${reason}.`);
  }
}

const isSafeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export class IdContinuity {
  private last: number | undefined;
  private readonly holes: Hole[] = [];

  /** The last id forwarded, undefined before the first range. */
  get lastId(): number | undefined {
    return this.last;
  }

  accept(first: number, last: number): ContinuityVerdict {
    if (this.last === undefined) {
      this.last = last;
      return OK;
    }
    const expected = this.last + 1;
    if (first === expected) {
      this.last = last;
      return OK;
    }
    if (first > expected) {
      this.holes.push({ from: expected, to: first - 1 });
      if (this.holes.length > MAX_HOLES) this.holes.shift();
      this.last = last;
      return { forward: true, issue: 'missing', missingFrom: expected, missingCount: first - expected };
    }
    if (last > this.last) {
      // Overlaps the end of what was forwarded and carries newer ids: forward it; the book's own
      // rule (U <= lastUpdateId + 1 <= u) applies the new part.
      this.last = last;
      return OK;
    }
    return this.fillHole(first, last) ? REORDERED : DUPLICATE;
  }

  toJSON(): IdContinuitySnapshot {
    return { last: this.last ?? null, holes: this.holes.map((h) => [h.from, h.to]) };
  }

  /** Restores exactly what toJSON saved; the restored instance gives the same verdicts. */
  static fromJSON(snapshot: unknown): IdContinuity {
    const s = snapshot as Partial<IdContinuitySnapshot> | null;
    if (typeof s !== 'object' || s === null) throw new IdContinuitySnapshotError('not an object');
    if (s.last !== null && !isSafeInt(s.last)) throw new IdContinuitySnapshotError('`last` is not an id');
    if (!Array.isArray(s.holes) || s.holes.length > MAX_HOLES)
      throw new IdContinuitySnapshotError(`\`holes\` is not an array of at most ${MAX_HOLES}`);
    const restored = new IdContinuity();
    restored.last = s.last ?? undefined;
    for (const hole of s.holes) {
      const [from, to] = Array.isArray(hole) ? hole : [];
      if (
        !isSafeInt(from) ||
        !isSafeInt(to) ||
        from > to ||
        restored.last === undefined ||
        to >= restored.last
      )
        throw new IdContinuitySnapshotError(`hole ${JSON.stringify(hole)} is not a range below \`last\``);
      restored.holes.push({ from, to });
    }
    return restored;
  }

  /** Forgets the position (a new session, e.g. after a re-anchor); holes are forgotten too. */
  reset(): void {
    this.last = undefined;
    this.holes.length = 0;
  }

  private fillHole(first: number, last: number): boolean {
    const index = this.holes.findIndex((h) => first >= h.from && last <= h.to);
    if (index < 0) return false;
    const hole = this.holes[index] as Hole;
    const rest: Hole[] = [];
    if (hole.from < first) rest.push({ from: hole.from, to: first - 1 });
    if (last < hole.to) rest.push({ from: last + 1, to: hole.to });
    this.holes.splice(index, 1, ...rest);
    return true;
  }
}

/**
 * Ids that only need to increase (bestBidAsk, whose ids jump by design as Binance culls stale
 * events, and depth20 snapshots): a repeat or an older id is a duplicate, never a gap.
 */
export class MonotonicIds {
  private last = Number.NEGATIVE_INFINITY;

  accept(id: number): ContinuityVerdict {
    if (id <= this.last) return DUPLICATE;
    this.last = id;
    return OK;
  }
}
