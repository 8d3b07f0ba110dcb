/**
 * The inference service's HTTP side: `GET /predictions/latest?symbol=`, `GET /predictions?symbol=&since=<ms>`
 * (from the capped Redis stream), `GET /predictions/stream` (server-sent events, one per served or
 * flagged prediction), `/health` (the seeds' shape) and Prometheus `/metrics`.
 * Every request is parsed and validated before it reaches Redis: a malformed target or parameter is
 * answered 400 and counted (inference_http_rejected_total), past MAX_SSE_CLIENTS streams 503; no
 * request can end the process.
 */
import { createServer, type Server } from 'node:http';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import type { ArenaReport } from '../../core/scoring/candidate-arena.ts';
import type { EmfMapping } from '../../lambdas/shared/emf/prometheus-emf-bridge.ts';
import { integerParam, parseQuery } from '../../lambdas/shared/http/query-params.ts';
import { requestUrl } from '../../lambdas/shared/http/request-url.ts';
import { SseChannel } from '../../lambdas/shared/http/sse-channel.ts';
import type { InferenceService, ServedPrediction } from './inference-service.ts';

/** Which of InferenceMetrics' series go to CloudWatch as EMF, under which names. */
export const INFERENCE_EMF_MAPPINGS: readonly EmfMapping[] = [
  {
    prometheus: 'inference_predictions_total',
    emf: 'Predictions',
    unit: MetricUnit.Count,
    byLabel: 'flag',
  },
  // Every candidate's rolling score and which one is served (the first symbol's arena).
  {
    prometheus: 'inference_candidate_rmse_ratio',
    emf: 'CandidateRmseRatio',
    unit: MetricUnit.NoUnit,
    byLabel: 'candidate',
  },
  {
    prometheus: 'inference_served_candidate',
    emf: 'ServedCandidate',
    unit: MetricUnit.NoUnit,
    byLabel: 'candidate',
  },
  { prometheus: 'inference_served_scale', emf: 'ServedScale', unit: MetricUnit.NoUnit },
];

export class InferenceMetrics {
  readonly registry = new Registry();
  /** The arena whose candidates the candidate gauges read, when they are read (watchCandidates). */
  private candidatesOf: (() => ArenaReport | undefined) | undefined;
  readonly candidateRmseRatio = new Gauge({
    name: 'inference_candidate_rmse_ratio',
    help: "Each candidate's rolling RMSE ratio to the random walk over the arena's window (the oracle's too, locally)",
    labelNames: ['candidate'],
    registers: [this.registry],
    // Registered before the two gauges below, so reading the registry sets all three first.
    collect: () => this.readCandidates(),
  });
  readonly servedCandidate = new Gauge({
    name: 'inference_served_candidate',
    help: 'The candidate served (1) and the others (0)',
    labelNames: ['candidate'],
    registers: [this.registry],
  });
  readonly servedScale = new Gauge({
    name: 'inference_served_scale',
    help: "The scale the served candidate's forecast is multiplied by (its proven scale; 1 for the random walk)",
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'inference_latency_seconds',
    help: 'From the 2 s tick to the prediction confirmed in Redis',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly predictions = new Counter({
    name: 'inference_predictions_total',
    help: 'Predictions served, and ticks flagged instead (label flag)',
    labelNames: ['symbol', 'flag'],
    registers: [this.registry],
  });
  readonly rmseRatio = new Gauge({
    name: 'inference_rmse_ratio_vs_random_walk',
    help: 'Rolling RMSE of the model over the RMSE of a random walk (below 1 beats it)',
    labelNames: ['symbol'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'inference_http_rejected_total',
    help: 'HTTP requests refused before any work: bad-target, bad-query, too-many-streams, error',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly hitRate = new Gauge({
    name: 'inference_hit_rate',
    help: 'Directional hit rate on non-zero moves',
    labelNames: ['symbol'],
    registers: [this.registry],
  });

  /** The candidate gauges read this arena report each time the registry is read (one symbol's). */
  watchCandidates(report: () => ArenaReport | undefined): void {
    this.candidatesOf = report;
  }

  private readCandidates(): void {
    const report = this.candidatesOf?.();
    if (!report) return;
    this.candidateRmseRatio.reset();
    this.servedCandidate.reset();
    for (const [name, c] of Object.entries(report.candidates)) {
      if (name === 'served') continue;
      if (c.rmseRatioVsRandomWalk !== null)
        this.candidateRmseRatio.set({ candidate: name }, c.rmseRatioVsRandomWalk);
      if (name !== 'oracle') this.servedCandidate.set({ candidate: name }, name === report.served ? 1 : 0);
    }
    this.servedScale.set(report.servedScale);
  }
}

function parseStreamEntry([id, fields]: [string, string[]]): Record<string, string> {
  const out: Record<string, string> = { id };
  for (let i = 0; i < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}

/** Open prediction streams per server: each holds a socket and its buffers (a few hundred KB idle). */
export const MAX_SSE_CLIENTS = 100;

const query = z.object({
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9]{1,20}$/, 'must be a symbol such as BTCUSDT')
    .optional(),
  /** Milliseconds since the epoch: the first id of the Redis stream to return. */
  since: integerParam(0, Number.MAX_SAFE_INTEGER),
});

export async function startInferenceHttp(
  service: InferenceService,
  redis: Redis,
  metrics: InferenceMetrics,
  port: number,
  /** Loopback by default: the ECS health check runs inside the task (HTTP_HOST to widen). */
  host = '127.0.0.1',
  maxStreams = MAX_SSE_CLIENTS,
): Promise<{ server: Server; publish(p: ServedPrediction): void; close(): Promise<void> }> {
  const predictions = new SseChannel(maxStreams);
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      if (response.headersSent) {
        response.end();
        return;
      }
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const url = requestUrl(request.url);
    if (!url) {
      metrics.rejected.inc({ reason: 'bad-target' });
      return send(400, { error: `Malformed request target '${request.url}'.` });
    }
    const q = parseQuery(query, url.searchParams);
    if (!q.ok) {
      metrics.rejected.inc({ reason: 'bad-query' });
      return send(400, { error: q.message });
    }
    const symbol = (q.value.symbol ?? service.symbols[0] ?? 'BTCUSDT').toUpperCase();
    void (async () => {
      switch (url.pathname) {
        case '/predictions/latest': {
          const [entry] = await redis.xrevrange(symbolKeys(symbol).predictions, '+', '-', 'COUNT', 1);
          return entry
            ? send(200, parseStreamEntry(entry))
            : send(404, { error: `No prediction for ${symbol} yet.` });
        }
        case '/predictions': {
          const since = q.value.since ?? 0;
          const entries = await redis.xrange(symbolKeys(symbol).predictions, `${since}`, '+', 'COUNT', 1000);
          return send(200, entries.map(parseStreamEntry));
        }
        case '/predictions/stream':
          if (!predictions.attach(request, response)) metrics.rejected.inc({ reason: 'too-many-streams' });
          return;
        case '/health': {
          const redisOk = (await redis.ping().catch(() => 'down')) === 'PONG';
          const score = service.score(symbol);
          const status = redisOk ? (service.failures > 0 ? 'degraded' : 'healthy') : 'unhealthy';
          return send(status === 'unhealthy' ? 503 : 200, {
            status,
            service: 'inference',
            timestamp: new Date().toISOString(),
            components: {
              redis: { status: redisOk ? 'healthy' : 'unhealthy' },
              model: { status: 'healthy', version: service.modelVersion() },
              predictions: {
                status: 'healthy',
                ...score,
                flagged: service.flagged,
                failures: service.failures,
              },
            },
          });
        }
        case '/metrics':
          return send(200, await metrics.registry.metrics(), metrics.registry.contentType);
        default:
          return send(404, { error: `No route ${url.pathname}` });
      }
    })().catch((error: unknown) => {
      // Redis away or a bug: counted and answered, never echoed raw to the client.
      metrics.rejected.inc({ reason: 'error' });
      send(500, { error: `Internal error (${(error as Error).name ?? 'Error'}).` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    publish(p) {
      metrics.predictions.inc({ symbol: p.symbol, flag: p.flag ?? 'served' });
      if (!p.flag) metrics.latency.observe(p.latencyMs / 1000);
      const score = service.score(p.symbol);
      if (score.rmseRatioVsRandomWalk !== null)
        metrics.rmseRatio.set({ symbol: p.symbol }, score.rmseRatioVsRandomWalk);
      if (score.hitRate !== null) metrics.hitRate.set({ symbol: p.symbol }, score.hitRate);
      const { featuresJson: _, ...event } = p;
      predictions.send(event);
    },
    close() {
      predictions.close();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
