/**
 * Which candidate inference serves, from the rolling scorecard (docs/adr/0086-champion-and-challengers.md):
 *
 * - a candidate is eligible once it has `minScored` scored ticks in the window and beats the random
 *   walk beyond noise: the mean paired loss difference (random walk − candidate) is more than
 *   `enterT` Newey–West standard errors above zero;
 * - the served candidate is the random walk until one is eligible, then the eligible one with the
 *   lowest rolling RMSE;
 * - hysteresis: the served candidate keeps its place while its t stays above `exitT` (< enterT),
 *   and another replaces it only after `minDwellTicks` and only when it beats the served one
 *   directly (paired t above `switchT`); falling back to the random walk is never delayed.
 *
 * The oracle and the served forecast itself are never candidates. Pure.
 */
import { RANDOM_WALK, type RollingScorecard } from './rolling-scorecard.ts';

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
  switched: boolean;
  reason: string;
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
    return s && s.n >= options.minScored ? s.vsRandomWalk.t : Number.NEGATIVE_INFINITY;
  };
  const eligible = [...scores.entries()]
    .filter(([c]) => tOf(c) > options.enterT)
    .sort(([, a], [, b]) => (a?.rmseBp as number) - (b?.rmseBp as number))
    .map(([c]) => c);
  const best = eligible[0];
  const describe = (c: string) => {
    const s = scores.get(c);
    return s
      ? `${c}: RMSE ratio ${f2(s.rmseRatioVsRandomWalk)}, t ${f2(s.vsRandomWalk.t)} vs the random walk over ${s.n} ticks`
      : c;
  };
  if (current === RANDOM_WALK || !scores.has(current)) {
    if (best)
      return { served: best, switched: true, reason: `${describe(best)} (enter above ${options.enterT})` };
    if (current !== RANDOM_WALK)
      return { served: RANDOM_WALK, switched: true, reason: `${current} is no longer a candidate` };
    return {
      served: RANDOM_WALK,
      switched: false,
      reason: 'no candidate beats the random walk beyond noise',
    };
  }
  if (!(tOf(current) > options.exitT)) {
    const to = best ?? RANDOM_WALK;
    return {
      served: to,
      switched: to !== current,
      reason: `${describe(current)} fell below ${options.exitT}${best ? `; ${describe(best)}` : ''}`,
    };
  }
  if (best && best !== current && ticksSinceSwitch >= options.minDwellTicks) {
    const paired = scorecard.lossDifference(current, best);
    if (paired && paired.t > options.switchT)
      return {
        served: best,
        switched: true,
        reason: `${describe(best)} beats ${current} directly: t ${f2(paired.t)} over ${paired.n} ticks`,
      };
  }
  return { served: current, switched: false, reason: `${describe(current)}` };
}
