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

  it('says why a served instant has no offline twin, and leaves instants after the tape uncompared', () => {
    const report = compareWithReplay(
      [vector(T), vector(T + 6e5), vector(T + 7e5), vector(T + 9e5)],
      [vector(T)],
      {
        // The replay lost its book after a gap at T + 5e5 and had none through T + 7e5; its tape ends at T + 8e5.
        unsynced: [{ fromUs: T + 5e5, toUs: T + 7e5 }],
        lastTickUs: T + 8e5,
      },
    );
    expect(report).toMatchObject({
      served: 4,
      compared: 1,
      identical: 1,
      missingOffline: 2,
      afterTapeEnd: 1,
    });
    expect(report.examples).toEqual([
      `${T + 6e5}: no offline vector (the replay had no trusted book from ${T + 5e5} to ${T + 7e5})`,
      `${T + 7e5}: no offline vector (the replay had no trusted book from ${T + 5e5} to ${T + 7e5})`,
    ]);
  });
});
