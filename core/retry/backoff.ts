/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the delay before attempt n is uniform in [0, min(cap, base * 2^n)], which spreads retries of
 * many clients apart instead of synchronising them. Pure: randomness comes in as a function.
 */
export interface BackoffPolicy {
  /** Delay scale of the first retry. */
  baseMs: number;
  /** Largest delay ever returned. */
  capMs: number;
}

export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
