/** Factories for labelled rows: features from a seeded generator, labels with a chosen signal. */
import { FEATURE_COUNT, FEATURE_INDEX } from '../../core/features/feature-names.ts';
import type { Dataset, LabelledRow } from '../../core/model/dataset.ts';
import { Rng } from '../../core/random/rng.ts';

export const T0 = 1_723_161_300_000_000;

/**
 * `n` rows on the 2 s grid. label (log return) = 1e-4 * (signal * imbalance_l5 * 3 + noise), so with
 * signal 0 the labels are pure noise and with signal 1 most of the variance is predictable.
 */
export function syntheticRows(n: number, signal: number, seed = 1): LabelledRow[] {
  const rng = new Rng(seed);
  const normal = () => rng.normal();
  return Array.from({ length: n }, (_, i) => {
    const x = new Float64Array(FEATURE_COUNT);
    for (let j = 0; j < FEATURE_COUNT; j++) x[j] = normal();
    x[FEATURE_INDEX.rv_60s_bp] = Math.abs(x[FEATURE_INDEX.rv_60s_bp] as number) * 3;
    x[FEATURE_INDEX.trade_count_60s] = Math.round(Math.abs(x[FEATURE_INDEX.trade_count_60s] as number) * 500);
    const imb = Math.tanh(x[FEATURE_INDEX.imbalance_l5] as number);
    x[FEATURE_INDEX.imbalance_l5] = imb;
    const label = 1e-4 * (signal * 3 * imb + normal());
    return { eventTimeUs: T0 + i * 2_000_000, x, label };
  });
}

export function syntheticDataset(n: number, signal: number, seed = 1): Dataset {
  return {
    featureVersion: 1,
    featureNames: [],
    horizonUs: 10_000_000,
    rows: syntheticRows(n, signal, seed),
    source: `synthetic:signal=${signal}:seed=${seed}`,
  };
}
