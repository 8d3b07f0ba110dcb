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
  const timeline: string[] = [];
  const switches: { t: number; to: string }[] = [];
  for (let t = 0; t < ticks; t++) {
    const signal = rng.normal();
    const label = (0.3 * signal + rng.normal()) * BP;
    const f = forecasts(t, signal, rng);
    card.add({ timeUs: t, label, forecasts: { [RANDOM_WALK]: 0, ...f } });
    since++;
    const d = decideServed(served, since, card, [RANDOM_WALK, ...Object.keys(f)], options);
    if (d.switched) {
      served = d.served;
      since = 0;
      switches.push({ t, to: served });
    }
    if (served !== RANDOM_WALK) {
      const s = card.score(served);
      // Never serves a candidate that does not beat the random walk beyond noise.
      expect(s?.n).toBeGreaterThanOrEqual(options.minScored);
      expect(s?.vsRandomWalk.t).toBeGreaterThan(options.exitT);
    }
    timeline.push(served);
  }
  return { timeline, switches };
}

describe('champion rule', () => {
  it('serves a skilled candidate once it has earned it, drops it when it turns bad, never serves noise', () => {
    const { timeline, switches } = run(2400, (t, signal, rng) => ({
      // Right for 1200 ticks, then the relation reverses (a regime change it was not trained on).
      skilled: (t < 1200 ? 0.27 : -0.27) * signal * BP,
      noise: 0.3 * rng.normal() * BP,
    }));
    expect(timeline.slice(0, CHAMPION_RULE_DEFAULTS.minScored).every((s) => s === RANDOM_WALK)).toBe(true);
    expect(timeline.slice(800, 1200).every((s) => s === 'skilled')).toBe(true);
    expect(timeline.at(-1)).toBe(RANDOM_WALK);
    expect(timeline).not.toContain('noise');
    expect(switches.map((s) => s.to)).toEqual(['skilled', RANDOM_WALK]);
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
