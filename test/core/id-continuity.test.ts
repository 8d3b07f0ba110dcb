import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdContinuity, MonotonicIds } from '../../core/sequence/id-continuity.ts';

/** Consecutive ranges [U, u] like Binance diffs: each starts at the previous end + 1. */
const ranges = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 4, maxLength: 200 }).map((sizes) => {
  let next = 50_093_239_208;
  return sizes.map((size) => {
    const range = [next, next + size - 1] as const;
    next += size;
    return range;
  });
});

describe('IdContinuity', () => {
  it('accepts a contiguous sequence with no issue', () => {
    fc.assert(
      fc.property(ranges, (rs) => {
        const c = new IdContinuity();
        for (const [first, last] of rs) expect(c.accept(first, last)).toEqual({ forward: true });
      }),
    );
  });

  it('reports a dropped range as missing, with the ids that are absent', () => {
    fc.assert(
      fc.property(ranges, fc.nat(), (rs, pick) => {
        const drop = 1 + (pick % (rs.length - 2));
        const c = new IdContinuity();
        const issues = rs.filter((_, i) => i !== drop).map(([f, l]) => c.accept(f, l));
        const [from, to] = rs[drop] as readonly [number, number];
        expect(issues.filter((v) => v.issue)).toEqual([
          { forward: true, issue: 'missing', missingFrom: from, missingCount: to - from + 1 },
        ]);
      }),
    );
  });

  it('reports a duplicate and does not forward it', () => {
    fc.assert(
      fc.property(ranges, fc.nat(), (rs, pick) => {
        const dup = pick % rs.length;
        const c = new IdContinuity();
        const verdicts = rs.flatMap((r, i) => (i === dup ? [r, r] : [r])).map(([f, l]) => c.accept(f, l));
        expect(verdicts.filter((v) => v.issue)).toEqual([{ forward: false, issue: 'duplicate' }]);
        expect(verdicts.filter((v) => v.forward)).toHaveLength(rs.length);
      }),
    );
  });

  it('reports a swapped pair as missing then reordered, forwarding both', () => {
    fc.assert(
      fc.property(ranges, fc.nat(), (rs, pick) => {
        const i = 1 + (pick % (rs.length - 2));
        const swapped = [...rs];
        [swapped[i], swapped[i + 1]] = [
          swapped[i + 1] as (typeof rs)[number],
          swapped[i] as (typeof rs)[number],
        ];
        const c = new IdContinuity();
        const verdicts = swapped.map(([f, l]) => c.accept(f, l));
        expect(verdicts.map((v) => v.issue).filter(Boolean)).toEqual(['missing', 'reordered']);
        expect(verdicts.every((v) => v.forward)).toBe(true);
        // Once the hole is filled, replaying it again is a plain duplicate.
        const [f, l] = rs[i] as readonly [number, number];
        expect(c.accept(f, l)).toEqual({ forward: false, issue: 'duplicate' });
      }),
    );
  });

  it('forgets the position on reset', () => {
    const c = new IdContinuity();
    c.accept(1, 5);
    c.reset();
    expect(c.accept(100, 101)).toEqual({ forward: true });
  });
});

describe('MonotonicIds', () => {
  it('lets ids jump (bestBidAsk culling) and drops repeats and older ids', () => {
    const ids = new MonotonicIds();
    expect([10, 11, 173, 173, 150, 174].map((id) => ids.accept(id).forward)).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
  });
});
