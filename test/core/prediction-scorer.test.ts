import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PredictionScorer } from '../../core/scoring/prediction-scorer.ts';

const S = 1_000_000;

describe('PredictionScorer', () => {
  it('scores with the mid as of t + 10 s, only once that value is final', () => {
    const scorer = new PredictionScorer(10 * S);
    scorer.add({ eventTimeUs: 0, midAtPrediction: 100, predictedLogReturn: 0.001, modelVersion: 'm' });
    expect(scorer.observe(4 * S, 100.05)).toEqual([]);
    expect(scorer.observe(8 * S, 100.2)).toEqual([]);
    // At 12 s the mid as of 10 s is the 8 s sample: 100.2.
    const [scored] = scorer.observe(12 * S, 99);
    expect(scored?.realizedLogReturn).toBeCloseTo(Math.log(100.2 / 100), 12);
    expect(scored?.error).toBeCloseTo(Math.log(100.2 / 100) - 0.001, 12);
  });

  it('reports the RMSE ratio to a random walk and the hit rate on directional moves', () => {
    const scorer = new PredictionScorer(10 * S);
    const mids = [100, 101, 100, 100, 102];
    const predictions = [0.005, -0.002, 0, 0.01, 0.003];
    mids.forEach((mid, i) => {
      scorer.observe(i * 10 * S, mid);
      scorer.add({
        eventTimeUs: i * 10 * S,
        midAtPrediction: mid,
        predictedLogReturn: predictions[i] as number,
        modelVersion: 'm',
      });
    });
    scorer.observe(50 * S, 101);
    const r = mids.map((m, i) => Math.log((mids[i + 1] ?? 101) / m));
    const e = r.map((x, i) => x - (predictions[i] as number));
    const rmse = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    const s = scorer.summary();
    expect(s).toMatchObject({ count: 5, scored: 5 });
    expect(s.rmseRatioVsRandomWalk).toBeCloseTo(rmse(e) / rmse(r), 12);
    // Directional: 100→101 up/up hit, 101→100 down/down hit, 100→100 flat skipped,
    // 100→102 up/up hit, 102→101 down/up miss.
    expect(s.hitRate).toBeCloseTo(3 / 4, 12);
  });

  it('scores a zero prediction exactly like the random walk (ratio 1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 90, max: 110, noNaN: true }), { minLength: 7, maxLength: 40 }),
        (mids) => {
          const scorer = new PredictionScorer(2 * S);
          mids.forEach((mid, i) => {
            scorer.observe(i * S, mid);
            scorer.add({
              eventTimeUs: i * S,
              midAtPrediction: mid,
              predictedLogReturn: 0,
              modelVersion: 'rw',
            });
          });
          const s = scorer.summary();
          if (s.rmseRandomWalk) expect(s.rmseRatioVsRandomWalk).toBeCloseTo(1, 12);
          expect(s.scored).toBe(mids.length - 2);
        },
      ),
    );
  });
});
