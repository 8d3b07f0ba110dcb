/**
 * The re-anchor's per-symbol lock: one rebuild of a book at a time. Its TTL bounds how long a dead
 * re-anchor keeps the symbol: far above a re-anchor's ~100 ms, short enough that a crashed run frees
 * the symbol soon. The CDK configuration keeps the re-anchor's Lambda timeout below it, so a run
 * never outlives its own lock.
 */
export const REANCHOR_LOCK_TTL_MS = 30_000;
