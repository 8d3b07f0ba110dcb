/**
 * When a newly trained model replaces the served one (`models/current`). It must beat, on the same
 * held-out rows, both the random walk and the current champion (re-scored on those rows, not compared
 * through metrics measured on some other span). Ties lose: a model that does not win is not promoted.
 * A champion that cannot read the current features (another FEATURE_VERSION) cannot be served by this
 * code anyway, so it is not a bar; that is stated in the reasons. Too few held-out rows refuse. Pure.
 */

export interface PromotionInput {
  /** Held-out rows both were scored on. */
  n: number;
  candidateRmseBp: number;
  randomWalkRmseBp: number;
  /** The current champion: its RMSE on the same rows, or why it could not be scored; absent if none. */
  champion?: { version: string; rmseBp: number } | { version: string; incompatible: string };
  /** Fewer held-out rows than this is no evidence. Default 30. */
  minRows?: number;
}

export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
}

export const DEFAULT_MIN_HELD_OUT_ROWS = 30;

export function decidePromotion(input: PromotionInput): PromotionDecision {
  const reasons: string[] = [];
  let promote = true;
  const minRows = input.minRows ?? DEFAULT_MIN_HELD_OUT_ROWS;
  const fmt = (x: number) => `${x.toFixed(4)} bp`;
  if (!(input.n >= minRows)) {
    promote = false;
    reasons.push(`only ${input.n} held-out rows (at least ${minRows} needed)`);
  }
  if (!Number.isFinite(input.candidateRmseBp)) {
    promote = false;
    reasons.push('the candidate RMSE is not finite');
  }
  if (input.candidateRmseBp < input.randomWalkRmseBp)
    reasons.push(`beats the random walk: ${fmt(input.candidateRmseBp)} < ${fmt(input.randomWalkRmseBp)}`);
  else {
    promote = false;
    reasons.push(
      `does not beat the random walk: ${fmt(input.candidateRmseBp)} >= ${fmt(input.randomWalkRmseBp)}`,
    );
  }
  const c = input.champion;
  if (!c) reasons.push('no current champion');
  else if ('incompatible' in c)
    reasons.push(`champion ${c.version} cannot be served by this code: ${c.incompatible}`);
  else if (input.candidateRmseBp < c.rmseBp)
    reasons.push(`beats champion ${c.version}: ${fmt(input.candidateRmseBp)} < ${fmt(c.rmseBp)}`);
  else {
    promote = false;
    reasons.push(`does not beat champion ${c.version}: ${fmt(input.candidateRmseBp)} >= ${fmt(c.rmseBp)}`);
  }
  return { promote, reasons };
}
