/**
 * A set of integer ids kept as sorted, merged, inclusive intervals: a contiguous trade stream is one
 * interval however long, and only its holes cost memory. Pure.
 */
export type IdRange = [from: number, to: number];

export class IdIntervals {
  private ranges: IdRange[];

  constructor(ranges: readonly IdRange[] = []) {
    this.ranges = [];
    for (const [from, to] of ranges) this.add(from, to);
  }

  toJSON(): IdRange[] {
    return this.ranges.map(([a, b]) => [a, b]);
  }

  get min(): number | undefined {
    return this.ranges[0]?.[0];
  }

  get max(): number | undefined {
    return this.ranges[this.ranges.length - 1]?.[1];
  }

  add(from: number, to: number): void {
    if (to < from) return;
    const out: IdRange[] = [];
    let lo = from;
    let hi = to;
    let placed = false;
    for (const r of this.ranges) {
      if (r[1] < lo - 1) out.push(r);
      else if (r[0] > hi + 1) {
        if (!placed) {
          out.push([lo, hi]);
          placed = true;
        }
        out.push(r);
      } else {
        lo = Math.min(lo, r[0]);
        hi = Math.max(hi, r[1]);
      }
    }
    if (!placed) out.push([lo, hi]);
    this.ranges = out;
  }

  /** The ids of [from, to] not in the set, as ranges. */
  missingIn(from: number, to: number): IdRange[] {
    const out: IdRange[] = [];
    let next = from;
    for (const [a, b] of this.ranges) {
      if (b < next) continue;
      if (a > to) break;
      if (a > next) out.push([next, Math.min(a - 1, to)]);
      next = Math.max(next, b + 1);
      if (next > to) break;
    }
    if (next <= to) out.push([next, to]);
    return out;
  }

  /** Forgets ids below `id` (keeps the set's maximum). */
  pruneBelow(id: number): void {
    this.ranges = this.ranges.filter((r) => r[1] >= id).map((r) => [Math.max(r[0], id), r[1]] as IdRange);
  }
}
