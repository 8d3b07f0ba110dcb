/**
 * Training rows: one feature vector and its label, on the 2 s prediction grid, in time order.
 *
 * Two ways to label, one definition (label.ts: ln(mid(t + 10 s) / mid(t)), mid after the last update
 * at or before the instant):
 * - from a replay, with `pairWithLabels` over the mid series of applied diffs;
 * - from served vectors alone (Postgres, bronze `features/served`): for t on the 100 ms grid,
 *   ret_10s_bp at t + 10 s is 1e4 * ln(M(t + 10 s) / M(t)) where M(k) is the mid after the last update
 *   at or before k: the same quantity, so label(t) = ret_10s_bp(t + 10 s) / 1e4. (Tested against
 *   pairWithLabels on the 2024 recording.)
 *
 * NaN handling is explicit: rows keep NaN features; `completeRows` drops them and says how many.
 * Pure.
 */
import {
  FEATURE_INDEX,
  FEATURE_NAMES,
  FEATURE_VERSION,
  type FeatureVector,
} from '../features/feature-names.ts';
import { LABEL_HORIZON_US, type MidPoint, pairWithLabels } from '../features/label.ts';

export interface LabelledRow {
  /** The grid instant the features describe (exchange time, µs). */
  eventTimeUs: number;
  /** FEATURE_NAMES order; may hold NaN. */
  x: Float64Array;
  /** ln(mid(t + horizon) / mid(t)). */
  label: number;
}

export interface Dataset {
  featureVersion: number;
  featureNames: readonly string[];
  horizonUs: number;
  /** Sorted by eventTimeUs, no two rows at the same instant. */
  rows: LabelledRow[];
  /** Where the rows came from, for the artifact's provenance. */
  source: string;
}

const BP = 1e4;

function toRow(v: FeatureVector, label: number): LabelledRow {
  return { eventTimeUs: v.eventTimeUs, x: Float64Array.from(v.values), label };
}

/** Rows from replayed vectors and the replay's mid series (pairWithLabels, exact on event time). */
export function datasetFromReplay(
  vectors: readonly FeatureVector[],
  mids: readonly MidPoint[],
  source: string,
  horizonUs: number = LABEL_HORIZON_US,
): Dataset {
  const rows = pairWithLabels(vectors, mids, horizonUs).map((p) => toRow(p.sample, p.label));
  return {
    featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES,
    horizonUs,
    rows: dedupe(rows),
    source,
  };
}

/**
 * Rows from served vectors only: the label of the vector at t is ret_10s_bp of the vector at
 * t + 10 s / 1e4. Vectors without a successor exactly 10 s later are left out.
 */
export function datasetFromServedVectors(vectors: readonly FeatureVector[], source: string): Dataset {
  const byTime = new Map<number, FeatureVector>();
  for (const v of vectors) byTime.set(v.eventTimeUs, v);
  const rows: LabelledRow[] = [];
  for (const v of byTime.values()) {
    const ahead = byTime.get(v.eventTimeUs + LABEL_HORIZON_US);
    if (!ahead) continue;
    const label = (ahead.values[FEATURE_INDEX.ret_10s_bp] as number) / BP;
    if (Number.isFinite(label)) rows.push(toRow(v, label));
  }
  rows.sort((a, b) => a.eventTimeUs - b.eventTimeUs);
  return {
    featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES,
    horizonUs: LABEL_HORIZON_US,
    rows,
    source,
  };
}

function dedupe(rows: LabelledRow[]): LabelledRow[] {
  rows.sort((a, b) => a.eventTimeUs - b.eventTimeUs);
  return rows.filter((r, i) => i === 0 || r.eventTimeUs !== (rows[i - 1] as LabelledRow).eventTimeUs);
}

/** Rows whose every feature is finite, and how many were dropped (warm-up, empty windows). */
export function completeRows(rows: readonly LabelledRow[]): { rows: LabelledRow[]; dropped: number } {
  const kept = rows.filter((r) => r.x.every(Number.isFinite) && Number.isFinite(r.label));
  return { rows: kept, dropped: rows.length - kept.length };
}
