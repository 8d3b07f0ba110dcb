/**
 * What the dashboard shows, gathered once a second from the running local pipeline: status, the
 * health of each service, the book (top 20) from Redis, recent trades, predictions with their
 * outcomes and score, latency per hop as histograms, and the gap/re-anchor timeline.
 */
import type { LocalPipeline, PredictionPoint, RecentTrade, TimelineEvent } from '../local-pipeline.ts';
import type { HopLatency } from './hop-latency.ts';

export type Health = 'healthy' | 'degraded' | 'unhealthy' | 'off';

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
  const ingestor = p.ingestor?.report;
  const health = ingestor?.health;
  const inference = p.inference?.report;
  const score = inference?.scores[symbol];
  const redisUp = (await p.redis?.ping().catch(() => 'down')) === 'PONG';
  const reanchorResults = p.reanchors?.results ?? [];
  const lastReanchor = reanchorResults.at(-1);
  const f = p.figures;
  const a = p.aggregatorFigures;
  const venueStats = p.venue?.latestStats;
  return {
    timeMs: Date.now(),
    symbol,
    source,
    status: {
      uptimeS: Math.round(p.elapsedS()),
      frames: ingestor?.frames.received ?? 0,
      decodeErrors: ingestor?.frames.errors ?? 0,
      kinesisRecords: ingestor?.publisher.recordsPut ?? 0,
      diffsApplied: a.diffsApplied,
      gaps: a.gapsDetected,
      reanchors: p.reanchors?.swaps ?? 0,
      checksAgainstVenue: f.checksAgainstVenue,
      venueMismatches: f.venueMismatches.length,
      depth20Checks: a.depth20Checks,
      depth20Mismatches: a.depth20Mismatches,
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
        status: a.deadLetters > 0 || a.failedBatches > 0 ? 'degraded' : 'healthy',
        detail: `${a.diffsApplied} diffs, ${a.trades} trades, ${a.deadLetters} dead letters`,
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
        status: (inference?.failures ?? 0) > 0 ? 'degraded' : p.inference ? 'healthy' : 'off',
        detail: `${score?.count ?? 0} predictions, ${inference?.flagged ?? 0} flagged`,
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
    latency: [...(ingestor?.latency ?? []), ...a.latency, ...(inference ? [inference.latency] : [])],
    timeline: [...p.timeline].reverse().slice(0, 50),
  };
}
