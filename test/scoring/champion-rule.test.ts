/**
 * The champion rule on a rolling scorecard: what it serves must beat the random walk beyond noise
 * (checked at every tick, through a regime change that turns the best candidate bad), a candidate
 * with no skill is never served, and hysteresis keeps two equally good candidates from flapping.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/random/rng.ts';
import { CHAMPION_RULE_DEFAULTS, decideServed } from '../../core/scoring/champion-rule.ts';
import { neweyWestMean, RANDOM_WALK, RollingScorecard } from '../../core/scoring/rolling-scorecard.ts';

const BP = 1e-4;

function run(
  ticks: number,
  forecasts: (t: number, signal: number, rng: Rng) => Record<string, number>,
  options = CHAMPION_RULE_DEFAULTS,
  seed = 3,
) {
  const rng = new Rng(seed);
  const card = new RollingScorecard(400, 4);
  let served = RANDOM_WALK;
  let since = 0;
  let scale = 1;
  let servedLoss = 0;
  let randomWalkLoss = 0;
  const timeline: string[] = [];
  const switches: { t: number; to: string }[] = [];
  for (let t = 0; t < ticks; t++) {
    const signal = rng.normal();
    const label = (0.3 * signal + rng.normal()) * BP;
    const f = forecasts(t, signal, rng);
    card.add({ timeUs: t, label, forecasts: { [RANDOM_WALK]: 0, ...f } });
    since++;
    // What was served at this tick: the candidate decided at the last tick, at its scale.
    const servedForecast = served === RANDOM_WALK ? 0 : (f[served] as number) * scale;
    servedLoss += ((label - servedForecast) / BP) ** 2;
    randomWalkLoss += (label / BP) ** 2;
    const d = decideServed(served, since, card, [RANDOM_WALK, ...Object.keys(f)], options);
    scale = d.scale;
    if (d.switched) {
      served = d.served;
      since = 0;
      switches.push({ t, to: served });
    }
    if (served !== RANDOM_WALK) {
      const s = card.score(served);
      // Never serves a candidate whose calibration slope is not above zero beyond noise.
      expect(s?.n).toBeGreaterThanOrEqual(options.minScored);
      expect(s?.slope.t).toBeGreaterThan(options.exitT);
      // Within twice the slope's lower confidence bound: a scale at which it beats the random walk.
      const lower = (s?.slope.b ?? 0) - options.enterT * (s?.slope.se ?? 0);
      expect(d.scale).toBeLessThanOrEqual(2 * Math.max(0, lower) + 1e-12);
    }
    timeline.push(served);
  }
  return { timeline, switches, servedLoss, randomWalkLoss };
}

describe('champion rule', () => {
  it('serves a skilled candidate once it has earned it, drops it when it turns bad, never serves noise', () => {
    const { timeline, switches } = run(2400, (t, signal, rng) => ({
      // Right for 1200 ticks, then the relation reverses (a regime change it was not trained on).
      skilled: (t < 1200 ? 0.27 : -0.27) * signal * BP,
      noise: 0.3 * rng.normal() * BP,
    }));
    // The decision after tick t has seen t + 1 scored ticks.
    expect(timeline.slice(0, CHAMPION_RULE_DEFAULTS.minScored - 1).every((s) => s === RANDOM_WALK)).toBe(
      true,
    );
    expect(timeline.slice(800, 1200).every((s) => s === 'skilled')).toBe(true);
    expect(timeline.at(-1)).toBe(RANDOM_WALK);
    expect(timeline).not.toContain('noise');
    expect(switches.map((s) => s.to)).toEqual(['skilled', RANDOM_WALK]);
  });

  it('serves an over-confident candidate at a proven scale: worse than the random walk at full scale, better as served', () => {
    // Three times the right size: full scale loses to the random walk (slope 1/3 < 1/2).
    const { timeline, servedLoss, randomWalkLoss } = run(2400, (_t, signal) => ({ loud: 0.9 * signal * BP }));
    const card = new RollingScorecard(2400, 4);
    const rng = new Rng(3);
    for (let t = 0; t < 2400; t++) {
      const signal = rng.normal();
      const label = (0.3 * signal + rng.normal()) * BP;
      card.add({ timeUs: t, label, forecasts: { loud: 0.9 * signal * BP } });
    }
    expect(card.score('loud')?.rmseRatioVsRandomWalk).toBeGreaterThan(1);
    expect(timeline.filter((s) => s === 'loud').length).toBeGreaterThan(1200);
    expect(servedLoss).toBeLessThan(randomWalkLoss);
  });

  it('enters on the slope before the full-scale loss difference is significant', () => {
    const rng = new Rng(5);
    const card = new RollingScorecard(1800, 4);
    let entered: number | undefined;
    let fullScale: number | undefined;
    for (let t = 0; t < 1800 && (entered === undefined || fullScale === undefined); t++) {
      const signal = rng.normal();
      const label = (0.2 * signal + rng.normal()) * BP;
      card.add({ timeUs: t, label, forecasts: { [RANDOM_WALK]: 0, weak: 0.2 * signal * BP } });
      const s = card.score('weak');
      if (
        fullScale === undefined &&
        (s?.n ?? 0) >= CHAMPION_RULE_DEFAULTS.minScored &&
        (s?.vsRandomWalk.t ?? 0) > 2
      )
        fullScale = t;
      if (
        entered === undefined &&
        decideServed(RANDOM_WALK, t, card, [RANDOM_WALK, 'weak']).served === 'weak'
      )
        entered = t;
    }
    console.info(`[champion-rule] entered at tick ${entered}; full-scale t > 2 at ${fullScale}`);
    expect(entered).toBeDefined();
    expect(entered as number).toBeLessThan(fullScale ?? Number.POSITIVE_INFINITY);
  });

  it('hysteresis: two equally good candidates do not flap, as they would with no margin', () => {
    const twins = (_t: number, signal: number, rng: Rng) => ({
      a: (0.27 * signal + 0.05 * rng.normal()) * BP,
      b: (0.27 * signal + 0.05 * rng.normal()) * BP,
    });
    const ours = run(2400, twins);
    const naive = run(2400, twins, { minScored: 150, enterT: 2, exitT: 2, switchT: 0, minDwellTicks: 0 });
    console.info(
      `[champion-rule] switches: ${ours.switches.length} with hysteresis, ${naive.switches.length} without`,
    );
    expect(ours.switches.length).toBeLessThanOrEqual(3);
    expect(naive.switches.length).toBeGreaterThan(5 * ours.switches.length);
  });

  it('Newey–West widens the standard error of overlapping losses', () => {
    const rng = new Rng(9);
    const e = Array.from({ length: 5000 }, () => rng.normal());
    // A 5-tick moving sum: what overlapping 10 s labels on a 2 s grid look like.
    const d = e.slice(4).map((_, i) => e.slice(i, i + 5).reduce((a, b) => a + b, 0));
    const iid = neweyWestMean(d, 0).se;
    const hac = neweyWestMean(d, 4).se;
    expect(hac / iid).toBeGreaterThan(1.8);
    expect(hac / iid).toBeLessThan(2.4); // √5 ≈ 2.24 for the true long-run variance
  });
});
