/**
 * Served feature vectors compared with the vectors an offline replay computed for the same instants
 * (core/model/feature-replay.ts): the check that training and serving see identical numbers
 * (docs/adr/0030-features.md). Values are compared bit for bit (NaN equals NaN, 0 differs from -0).
 * Pure.
 */
import { FEATURE_NAMES, type FeatureName, type FeatureVector } from '../features/feature-names.ts';
import type { TickSpan } from './feature-replay.ts';

export interface ParityReport {
  served: number;
  /** Served vectors whose instant the replay also computed. */
  compared: number;
  /** Compared vectors equal in every value. */
  identical: number;
  /**
   * Compared vectors that differ only in trade features, with fewer trades live than offline in
   * every window that differs: trades still on their way (their own stream) when inference served.
   */
  tradesInFlight: number;
  /** Compared vectors that differ otherwise. */
  other: number;
  /** Served vectors at an instant the replay reached but computed nothing for (examples say why). */
  missingOffline: number;
  /** Served vectors after the replay's last tick: the tape ends before them (nothing to compare). */
  afterTapeEnd: number;
  /** For each feature that ever differed, in how many compared vectors. */
  differingByFeature: Partial<Record<FeatureName, number>>;
  /** The first few differences, readable (`<time> <feature>: live x, offline y`). */
  examples: string[];
}

const EXAMPLES = 20;
/** Missing instants lead the examples, so that differences cannot crowd them out. */
const MISSING_EXAMPLES = 5;

/** What the replay covered besides its vectors (core/model/feature-replay.ts `ReplayResult`). */
export interface ReplayCoverage {
  unsynced: readonly TickSpan[];
  lastTickUs: number | undefined;
}

export function compareWithReplay(
  served: readonly FeatureVector[],
  offline: readonly FeatureVector[],
  coverage: ReplayCoverage = { unsynced: [], lastTickUs: Number.POSITIVE_INFINITY },
): ParityReport {
  const byTime = new Map(offline.map((v) => [v.eventTimeUs, v]));
  const report: ParityReport = {
    served: served.length,
    compared: 0,
    identical: 0,
    tradesInFlight: 0,
    other: 0,
    missingOffline: 0,
    afterTapeEnd: 0,
    differingByFeature: {},
    examples: [],
  };
  const missingExamples: string[] = [];
  for (const vector of served) {
    const expected = byTime.get(vector.eventTimeUs);
    if (!expected) {
      if (coverage.lastTickUs === undefined || vector.eventTimeUs > coverage.lastTickUs) {
        report.afterTapeEnd++;
        continue;
      }
      report.missingOffline++;
      if (missingExamples.length < MISSING_EXAMPLES)
        missingExamples.push(
          `${vector.eventTimeUs}: no offline vector (${whyMissing(vector.eventTimeUs, coverage)})`,
        );
      continue;
    }
    report.compared++;
    const differing: FeatureName[] = [];
    FEATURE_NAMES.forEach((name, i) => {
      const live = vector.values[i] as number;
      const replayed = expected.values[i] as number;
      if (Object.is(live, replayed)) return;
      differing.push(name);
      report.differingByFeature[name] = (report.differingByFeature[name] ?? 0) + 1;
      if (report.examples.length < EXAMPLES)
        report.examples.push(`${vector.eventTimeUs} ${name}: live ${live}, offline ${replayed}`);
    });
    if (differing.length === 0) report.identical++;
    else if (tradesInFlight(differing, vector, expected)) report.tradesInFlight++;
    else report.other++;
  }
  report.examples = [...missingExamples, ...report.examples].slice(0, EXAMPLES);
  return report;
}

function whyMissing(timeUs: number, coverage: ReplayCoverage): string {
  const span = coverage.unsynced.find((s) => s.fromUs <= timeUs && timeUs <= s.toUs);
  return span
    ? `the replay had no trusted book from ${span.fromUs} to ${span.toUs}`
    : 'not a tick of the replay';
}

const TRADE_FEATURE = /^(tfi|trade_count)_/;

/** Only trade features differ, and each differing count is lower live: trades not yet arrived. */
function tradesInFlight(differing: FeatureName[], live: FeatureVector, offline: FeatureVector): boolean {
  if (!differing.every((name) => TRADE_FEATURE.test(name))) return false;
  const counts = differing.filter((name) => name.startsWith('trade_count_'));
  if (counts.length === 0) return false;
  return counts.every((name) => {
    const i = FEATURE_NAMES.indexOf(name);
    return (live.values[i] as number) < (offline.values[i] as number);
  });
}
