/**
 * Latency per hop as the dashboard draws it: fixed buckets with counts, P50 and P99. Built from kept
 * samples, or from a prom-client histogram (the ingestor's, which keeps counts only), in the thread
 * that owns the figures, so that only the buckets cross to the dashboard.
 */
import type { Histogram } from 'prom-client';

export interface HopLatency {
  name: string;
  /** Upper bound (ms) and count per bucket; the last bucket is everything above. */
  buckets: { leMs: number; count: number }[];
  p50Ms: number | null;
  p99Ms: number | null;
  samples: number;
}

const BUCKETS_MS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500];

export function histogram(name: string, samples: number[]): HopLatency {
  const counts = new Array(BUCKETS_MS.length + 1).fill(0) as number[];
  for (const s of samples) {
    const i = BUCKETS_MS.findIndex((le) => s <= le);
    const at = i < 0 ? BUCKETS_MS.length : i;
    counts[at] = (counts[at] ?? 0) + 1;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) : null;
  return {
    name,
    buckets: counts.map((count, i) => ({ leMs: BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY, count })),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    samples: samples.length,
  };
}

/** A prom-client histogram (seconds) turned into the same buckets: counts only, no samples kept. */
export async function promHistogram(name: string, metric: Histogram): Promise<HopLatency> {
  const { values } = await metric.get();
  const cumulative = new Map<number, number>();
  for (const v of values) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le) * 1000;
    cumulative.set(le, (cumulative.get(le) ?? 0) + v.value);
  }
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  let previous = 0;
  const buckets = bounds.map((le) => {
    const total = cumulative.get(le) ?? 0;
    const count = total - previous;
    previous = total;
    return { leMs: le, count };
  });
  const n = previous;
  const quantile = (p: number) => {
    if (n === 0) return null;
    let seen = 0;
    for (const b of buckets) {
      seen += b.count;
      if (seen >= p * n) return b.leMs;
    }
    return null;
  };
  return { name, buckets, p50Ms: quantile(0.5), p99Ms: quantile(0.99), samples: n };
}
