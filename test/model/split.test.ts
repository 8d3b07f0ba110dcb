import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { purgedSegments, SplitError, walkForwardFolds, walkForwardSplit } from '../../core/model/split.ts';

const H = 10_000_000;

/** Strictly increasing times with gaps from 100 ms to 30 s (irregular, like dropped warm-up rows). */
const times = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 40, maxLength: 400 }).map((steps) => {
  let t = 1_723_161_300_000_000;
  return steps.map((s) => (t += s * 100_000));
});

/** No label window (t, t + H] of an earlier segment reaches the first row of a later one. */
function expectPurged(ts: number[], earlier: number[], later: number[], purge: number) {
  if (earlier.length === 0 || later.length === 0) return;
  const lastEarlier = Math.max(...earlier.map((i) => ts[i] as number));
  const firstLater = Math.min(...later.map((i) => ts[i] as number));
  expect(lastEarlier + H).toBeLessThanOrEqual(firstLater);
  expect(firstLater - lastEarlier).toBeGreaterThanOrEqual(purge);
}

describe('walk-forward split', () => {
  it('never lets a training or validation label window reach a later segment (property)', () => {
    fc.assert(
      fc.property(
        times,
        fc.integer({ min: H, max: 4 * H }),
        fc.double({ min: 0.3, max: 0.7, noNaN: true }),
        (ts, purge, trainFraction) => {
          let split: ReturnType<typeof walkForwardSplit>;
          try {
            split = walkForwardSplit(ts, {
              horizonUs: H,
              purgeUs: purge,
              trainFraction,
              validationFraction: 0.15,
            });
          } catch (error) {
            expect(error).toBeInstanceOf(SplitError); // too few rows left after purging: refused, not leaked
            return;
          }
          const all = [...split.train, ...split.validation, ...split.test];
          expect(new Set(all).size).toBe(all.length);
          expectPurged(ts, split.train, split.validation, purge);
          expectPurged(ts, split.validation, split.test, purge);
          expectPurged(ts, split.train, split.test, purge);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('walk-forward folds: purged, test blocks tile the later rows exactly once (property)', () => {
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 5 }), (ts, folds) => {
        let splits: ReturnType<typeof walkForwardFolds>;
        try {
          splits = walkForwardFolds(ts, { horizonUs: H, folds });
        } catch (error) {
          expect(error).toBeInstanceOf(SplitError);
          return;
        }
        const tested = splits.flatMap((s) => s.test);
        expect(tested).toEqual(
          Array.from({ length: tested.length }, (_, k) => ts.length - tested.length + k),
        );
        for (const s of splits) {
          expectPurged(ts, s.train, s.validation, H);
          expectPurged(ts, s.validation, s.test, H);
          expectPurged(ts, s.train, s.test, H);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a purge shorter than the label horizon', () => {
    const ts = Array.from({ length: 100 }, (_, i) => i * 2_000_000);
    expect(() => walkForwardSplit(ts, { horizonUs: H, purgeUs: H - 1 })).toThrow(SplitError);
    expect(() => walkForwardFolds(ts, { horizonUs: H, purgeUs: 0 })).toThrow(SplitError);
  });

  it('drops exactly the rows inside the gap on a regular 2 s grid', () => {
    const ts = Array.from({ length: 100 }, (_, i) => i * 2_000_000);
    const s = walkForwardSplit(ts, { horizonUs: H });
    // Cuts at 60 and 80; rows 56…59 and 76…79 lie less than 10 s before the next segment's first
    // row. Row 55 (110 s) stays: its label window (110 s, 120 s] ends where validation starts.
    expect(s.train).toEqual(Array.from({ length: 56 }, (_, i) => i));
    expect(s.validation).toEqual(Array.from({ length: 16 }, (_, i) => 60 + i));
    expect(s.test).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect(purgedSegments(ts, [0, 50, 100], H)[0]).toHaveLength(46);
  });
});
