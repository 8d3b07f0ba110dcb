/**
 * What the dashboard shows, gathered once a second from the running local pipeline: status, the
 * health of each service, the book (top 20) from Redis, recent trades, predictions with their
 * outcomes and score, latency per hop as histograms, and the gap/re-anchor timeline.
 */
import type { Histogram } from 'prom-client';
import type { LocalPipeline, PredictionPoint, RecentTrade, TimelineEvent } from '../local-pipeline.ts';

export type Health = 'healthy' | 'degraded' | 'unhealthy' | 'off';

export interface HopLatency {
  name: string;
  /** Upper bound (ms) and count per bucket; the last bucket is everything above. */
  buckets: { leMs: number; count: number }[];
  p50Ms: number | null;
  p99Ms: number | null;
  samples: number;
}

export interface DashboardSnapshot {
  timeMs: number;
  symbol: string;
  source: string;
  status: Record<string, number | string | null>;
  health: Record<string, { status: Health; detail: string }>;
  book: { updateId: number; stale: string | null; bids: [number, number][]; asks: [number, number][] } | null;
  mid: number | null;
  trades: RecentTrade[];
  predictions: PredictionPoint[];
  score: {
    count: number;
    scored: number;
    rmseRatioVsRandomWalk: number | null;
    hitRate: number | null;
    model: string;
  };
  latency: HopLatency[];
  timeline: TimelineEvent[];
}

const BUCKETS_MS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500];

function histogram(name: string, samples: number[]): HopLatency {
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
async function promHistogram(name: string, metric: Histogram): Promise<HopLatency> {
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

export async function dashboardSnapshot(
  p: LocalPipeline,
  symbol: string,
  source: string,
): Promise<DashboardSnapshot> {
  const top = await p.store?.readBookTop(symbol, 20).catch(() => undefined);
  const scale = 1e-8; // BTCUSDT mantissas at exponent -8
  const book =
    top && top.epoch > 0
      ? {
          updateId: top.updateId,
          stale: top.stale ?? null,
          bids: top.bids.map(([price, qty]) => [price * scale, qty * scale] as [number, number]),
          asks: top.asks.map(([price, qty]) => [price * scale, qty * scale] as [number, number]),
        }
      : null;
  const bid = book?.bids[0]?.[0];
  const ask = book?.asks[0]?.[0];
  const ingestor = p.ingestor;
  const health = ingestor?.health();
  const score = p.inference?.score(symbol);
  const redisUp = (await p.redis?.ping().catch(() => 'down')) === 'PONG';
  const reanchorResults = p.reanchors?.results ?? [];
  const lastReanchor = reanchorResults.at(-1);
  const f = p.figures;
  const venueStats = p.venue?.latestStats;
  return {
    timeMs: Date.now(),
    symbol,
    source,
    status: {
      uptimeS: Math.round(p.elapsedS()),
      frames: ingestor?.decoder.stats.frames ?? 0,
      decodeErrors: ingestor?.decoder.stats.errors ?? 0,
      kinesisRecords: ingestor?.publisher.recordsPut ?? 0,
      diffsApplied: f.diffsApplied,
      gaps: f.gapsDetected,
      reanchors: p.reanchors?.swaps ?? 0,
      checksAgainstVenue: f.checksAgainstVenue,
      venueMismatches: f.venueMismatches.length,
      depth20Checks: f.depth20Checks,
      depth20Mismatches: f.depth20Mismatches,
      bookUpdateId: book?.updateId ?? null,
    },
    health: {
      venue: p.venue
        ? {
            status: venueStats?.market.ended ? 'degraded' : 'healthy',
            detail: `${venueStats?.ws.framesSent ?? 0} frames sent`,
          }
        : { status: 'off', detail: 'live Binance' },
      ingestor: {
        status: health?.status ?? 'unhealthy',
        detail: `ws ${health?.components.websocket.status ?? '?'}, ${health?.components.websocket.connections ?? 0} connection(s)`,
      },
      kinesis: {
        status: health?.components.kinesis.status ?? 'unhealthy',
        detail: `${ingestor?.publisher.recordsPut ?? 0} records, ${ingestor?.publisher.bufferedBytes ?? 0} B buffered`,
      },
      aggregator: {
        status: f.deadLetters > 0 ? 'degraded' : f.aggregatorFailures > 0 ? 'degraded' : 'healthy',
        detail: `${f.diffsApplied} diffs, ${f.trades} trades, ${f.deadLetters} dead letters`,
      },
      redis: {
        status: redisUp ? 'healthy' : 'unhealthy',
        detail: book ? `book at ${book.updateId}` : 'no book yet',
      },
      reanchor: {
        status: book?.stale ? 'degraded' : lastReanchor?.status === 'failed' ? 'degraded' : 'healthy',
        detail: lastReanchor ? `last: ${lastReanchor.status}` : 'none yet',
      },
      inference: {
        status: (p.inference?.failures ?? 0) > 0 ? 'degraded' : p.inference ? 'healthy' : 'off',
        detail: `${score?.count ?? 0} predictions, ${p.inference?.flagged ?? 0} flagged`,
      },
    },
    book,
    mid: bid !== undefined && ask !== undefined ? (bid + ask) / 2 : null,
    trades: [...p.recentTrades].reverse(),
    predictions: p.predictions.slice(-120),
    score: {
      count: score?.count ?? 0,
      scored: score?.scored ?? 0,
      rmseRatioVsRandomWalk: score?.rmseRatioVsRandomWalk ?? null,
      hitRate: score?.hitRate ?? null,
      model: p.servedVersion,
      ...p.candidateSummary(),
    },
    latency: [
      ...(ingestor
        ? [
            await promHistogram('exchange → ingestor', ingestor.metrics.exchangeLag),
            await promHistogram('ingestor → Kinesis (PutRecords)', ingestor.metrics.putDuration),
          ]
        : []),
      histogram('Kinesis → aggregator', f.kinesisToAggregatorMs),
      histogram('exchange → Redis', f.latenciesMs),
      histogram('ingestor → Redis', f.receiveToRedisMs),
      histogram('tick → prediction', p.inference?.latenciesMs.slice(-5000) ?? []),
    ],
    timeline: [...p.timeline].reverse().slice(0, 50),
  };
}
