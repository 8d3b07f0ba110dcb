/**
 * The inference service's HTTP side: `GET /predictions/latest?symbol=`, `GET /predictions?symbol=&since=<ms>`
 * (from the capped Redis stream), `GET /predictions/stream` (server-sent events, one per served or
 * flagged prediction), `/health` (the seeds' shape) and Prometheus `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { SseChannel } from '../../lambdas/shared/http/sse-channel.ts';
import type { InferenceService, ServedPrediction } from './inference-service.ts';

export class InferenceMetrics {
  readonly registry = new Registry();
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
  readonly hitRate = new Gauge({
    name: 'inference_hit_rate',
    help: 'Directional hit rate on non-zero moves',
    labelNames: ['symbol'],
    registers: [this.registry],
  });
}

function parseStreamEntry([id, fields]: [string, string[]]): Record<string, string> {
  const out: Record<string, string> = { id };
  for (let i = 0; i < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}

export async function startInferenceHttp(
  service: InferenceService,
  redis: Redis,
  metrics: InferenceMetrics,
  port: number,
  host = '0.0.0.0',
): Promise<{ server: Server; publish(p: ServedPrediction): void; close(): Promise<void> }> {
  const predictions = new SseChannel();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const symbol = (url.searchParams.get('symbol') ?? service.symbols[0] ?? 'BTCUSDT').toUpperCase();
    const send = (status: number, body: unknown, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    void (async () => {
      switch (url.pathname) {
        case '/predictions/latest': {
          const [entry] = await redis.xrevrange(symbolKeys(symbol).predictions, '+', '-', 'COUNT', 1);
          return entry
            ? send(200, parseStreamEntry(entry))
            : send(404, { error: `No prediction for ${symbol} yet.` });
        }
        case '/predictions': {
          const since = Number(url.searchParams.get('since') ?? 0);
          if (!Number.isFinite(since)) return send(400, { error: 'since must be a time in ms' });
          const entries = await redis.xrange(symbolKeys(symbol).predictions, `${since}`, '+', 'COUNT', 1000);
          return send(200, entries.map(parseStreamEntry));
        }
        case '/predictions/stream':
          return predictions.attach(request, response);
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
    })().catch((error) => send(500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
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
