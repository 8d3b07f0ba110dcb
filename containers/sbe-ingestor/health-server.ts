/**
 * The ingestor's HTTP endpoints: `/health` (the seeds' shape; 503 when unhealthy, for the ECS and
 * load-balancer health checks), `/health/detailed` (plus decode errors by type and recent control
 * messages), `/stats` (counters as JSON) and `/metrics` (Prometheus text).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SbeIngestor } from './sbe-ingestor.ts';

export async function startHealthServer(
  ingestor: SbeIngestor,
  port: number,
  /** Loopback by default: the ECS health check runs inside the task (HTTP_HOST to widen). */
  host = '127.0.0.1',
): Promise<Server> {
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const path = (request.url ?? '/').split('?')[0];
    void (async () => {
      switch (path) {
        case '/health': {
          const health = ingestor.health();
          return send(health.status === 'unhealthy' ? 503 : 200, health);
        }
        case '/health/detailed':
          return send(200, {
            ...ingestor.health(),
            decodeErrorsByType: ingestor.decoder.stats.errorsByName,
            recentControlMessages: ingestor.controlMessages.slice(-20),
          });
        case '/stats': {
          const metrics = await ingestor.metrics.registry.getMetricsAsJSON();
          return send(
            200,
            Object.fromEntries(
              metrics
                .filter((m) => String(m.type) === 'counter' || String(m.type) === 'gauge')
                .map((m) => [m.name, m.values.map((v) => ({ labels: v.labels, value: v.value }))]),
            ),
          );
        }
        case '/metrics':
          return send(200, await ingestor.metrics.registry.metrics(), ingestor.metrics.registry.contentType);
        default:
          return send(404, { error: `No route ${path}` });
      }
    })().catch((error) => send(500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
