/** compareWithReplay: bit-for-bit comparison, and what it calls trades in flight. */
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX, type FeatureVector } from '../../core/features/feature-names.ts';
import { compareWithReplay } from '../../core/model/feature-parity.ts';

const T = 1_723_161_300_000_000;
const vector = (eventTimeUs: number, set: Record<string, number> = {}): FeatureVector => {
  const values = Array.from({ length: FEATURE_COUNT }, (_, i) => (i === 0 ? Number.NaN : i / 10));
  for (const [name, value] of Object.entries(set))
    values[FEATURE_INDEX[name as keyof typeof FEATURE_INDEX]] = value;
  return { eventTimeUs, values };
};

describe('compareWithReplay', () => {
  it('counts identical (NaN equal to NaN), trades in flight, other differences and missing instants', () => {
    const offline = [
      vector(T),
      vector(T + 1e5),
      vector(T + 2e5),
      vector(T + 3e5),
      vector(T + 4e5, { ofi_1s: 0 }),
    ];
    const countOffline = offline[1]?.values[FEATURE_INDEX.trade_count_1s] as number;
    const report = compareWithReplay(
      [
        vector(T),
        // Two fewer trades live in the last second: they had not arrived when inference served.
        vector(T + 1e5, { trade_count_1s: countOffline - 2, tfi_1s: 0.5 }),
        // More trades live than offline: not an arrival delay.
        vector(T + 2e5, { trade_count_1s: 99 }),
        // A book feature differs.
        vector(T + 3e5, { spread_bp: 1.25 }),
        // -0 is not 0, bit for bit.
        vector(T + 4e5, { ofi_1s: -0 }),
        vector(T + 9e5),
      ],
      offline,
    );
    expect(report).toMatchObject({
      served: 6,
      compared: 5,
      identical: 1,
      tradesInFlight: 1,
      other: 3,
      missingOffline: 1,
      differingByFeature: { trade_count_1s: 2, tfi_1s: 1, spread_bp: 1, ofi_1s: 1 },
    });
    expect(report.examples).toContain(
      `${T + 3e5} spread_bp: live 1.25, offline ${FEATURE_INDEX.spread_bp / 10}`,
    );
  });
});
