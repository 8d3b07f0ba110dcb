/**
 * Which candidate inference serves, and at what scale, from the rolling scorecard
 * (docs/adr/0086-champion-and-challengers.md, docs/adr/0120-served-at-a-proven-scale.md):
 *
 * - a candidate is eligible once it has `minScored` scored ticks in the window and its calibration
 *   slope b (label on forecast, Newey–West) is more than `enterT` standard errors above zero;
 * - it is served at the scale c = min(1, b, 2·b_lo), b_lo = b − enterT·se the slope's lower
 *   confidence bound: serving c·f beats the random walk in expectation whenever 0 < c < 2b, and
 *   c ≤ 2·b_lo < 2b with the confidence of the entry test, so what is served beats the random walk
 *   beyond noise, as the full-scale test ensured; within that, b is the scale of the largest expected
 *   gain. The slope's t grows twice as fast as the t of the full-scale loss difference (which asks
 *   b > 1/2), so a skilled candidate is served sooner, shrunk while its record is short;
 * - the served candidate is the random walk until one is eligible, then the eligible one with the
 *   largest expected gain of its scaled forecast, c·(2b − c)·mean(f²);
 * - hysteresis: the served candidate keeps its place while its slope's t stays above `exitT`
 *   (< enterT; its scale is 0 below enterT), and another replaces it only after `minDwellTicks` and
 *   only when it beats the served one directly, both at the scales they would be served at (paired t
 *   above `switchT`); falling back to the random walk is never delayed.
 *
 * The oracle and the served forecast itself are never candidates. Pure.
 */
import { type CandidateScore, RANDOM_WALK, type RollingScorecard } from './rolling-scorecard.ts';

export interface ChampionRuleOptions {
  minScored: number;
  enterT: number;
  exitT: number;
  switchT: number;
  minDwellTicks: number;
}

export const CHAMPION_RULE_DEFAULTS: ChampionRuleOptions = {
  /** 5 minutes of 2 s ticks: ~30 independent 10 s labels at least before a t-statistic means much. */
  minScored: 150,
  /** About a one-sided 2.3 % false-entry rate per look for a candidate with no skill. */
  enterT: 2,
  exitT: 1,
  /** A challenger must beat the served candidate itself beyond noise, as one must beat the random walk. */
  switchT: 2,
  /** Five minutes between switches among non-random-walk candidates. */
  minDwellTicks: 150,
};

export interface ServingDecision {
  served: string;
  /** The factor the served candidate's forecast is multiplied by (1 for the random walk). */
  scale: number;
  switched: boolean;
  reason: string;
}

/**
 * The proven scale: the slope's point estimate within twice its lower confidence bound (every
 * scale below 2b beats the random walk), capped at 1 (never amplified); 0 when the bound is not > 0.
 */
export function provenScale(score: CandidateScore | null, enterT: number): number {
  if (!score) return 0;
  const { b, se } = score.slope;
  const lower = b - enterT * se;
  return lower > 0 ? Math.min(1, b, 2 * lower) : 0;
}

/** Expected MSE gain over the random walk of the forecast served at its proven scale, bp². */
function expectedGain(score: CandidateScore, enterT: number): number {
  const c = provenScale(score, enterT);
  return c * (2 * score.slope.b - c) * score.slope.meanF2Bp2;
}

const f2 = (x: number) => x.toFixed(2);

export function decideServed(
  current: string,
  ticksSinceSwitch: number,
  scorecard: RollingScorecard,
  candidates: readonly string[],
  options: ChampionRuleOptions = CHAMPION_RULE_DEFAULTS,
): ServingDecision {
  const scores = new Map(
    candidates.filter((c) => c !== RANDOM_WALK).map((c) => [c, scorecard.score(c)] as const),
  );
  const tOf = (c: string) => {
    const s = scores.get(c);
    return s && s.n >= options.minScored ? s.slope.t : Number.NEGATIVE_INFINITY;
  };
  const gainOf = (c: string) => expectedGain(scores.get(c) as CandidateScore, options.enterT);
  const eligible = [...scores.keys()]
    .filter((c) => tOf(c) > options.enterT)
    .sort((a, b) => gainOf(b) - gainOf(a));
  const best = eligible[0];
  const scaleOf = (c: string) => (c === RANDOM_WALK ? 1 : provenScale(scores.get(c) ?? null, options.enterT));
  const describe = (c: string) => {
    const s = scores.get(c);
    return s
      ? `${c}: slope ${f2(s.slope.b)} ± ${f2(s.slope.se)} (t ${f2(s.slope.t)}), served × ${f2(scaleOf(c))}, RMSE ratio ${f2(s.rmseRatioVsRandomWalk)} (t ${f2(s.vsRandomWalk.t)}) over ${s.n} ticks`
      : c;
  };
  const decide = (served: string, switched: boolean, reason: string): ServingDecision => ({
    served,
    scale: scaleOf(served),
    switched,
    reason,
  });
  if (current === RANDOM_WALK || !scores.has(current)) {
    if (best) return decide(best, true, `${describe(best)} (enter above ${options.enterT})`);
    if (current !== RANDOM_WALK) return decide(RANDOM_WALK, true, `${current} is no longer a candidate`);
    return decide(RANDOM_WALK, false, 'no candidate beats the random walk beyond noise');
  }
  if (!(tOf(current) > options.exitT)) {
    const to = best ?? RANDOM_WALK;
    return decide(
      to,
      to !== current,
      `${describe(current)} fell below ${options.exitT}${best ? `; ${describe(best)}` : ''}`,
    );
  }
  if (best && best !== current && ticksSinceSwitch >= options.minDwellTicks) {
    // At the scales each would be served at: a candidate served at a small proven scale must not
    // keep out one that does better at its own.
    const paired = scorecard.lossDifference(current, best, scaleOf(current), scaleOf(best));
    if (paired && paired.t > options.switchT)
      return decide(
        best,
        true,
        `${describe(best)} beats ${current} directly: t ${f2(paired.t)} over ${paired.n} ticks`,
      );
  }
  return decide(current, false, `${describe(current)}`);
}
