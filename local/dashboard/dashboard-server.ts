/**
 * The local dashboard: a static page (public/), lightweight-charts from node_modules, and one
 * server-sent-events stream that pushes a DashboardSnapshot every second. Loopback only.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseChannel } from '../../lambdas/shared/http/sse-channel.ts';
import type { LocalPipeline } from '../local-pipeline.ts';
import { dashboardSnapshot } from './dashboard-snapshot.ts';

const here = dirname(fileURLToPath(import.meta.url));
const chartsDist = join(
  dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')),
  'dist/lightweight-charts.standalone.production.js',
);
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: join(here, 'public/index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(here, 'public/app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: join(here, 'public/style.css'), type: 'text/css; charset=utf-8' },
  '/lightweight-charts.js': { file: chartsDist, type: 'text/javascript; charset=utf-8' },
};

/** A stable URL for users; if it is taken (and no port was asked for), any free port. */
const DEFAULT_PORT = 8787;
/** Open event streams: each holds a socket and its buffers; a page needs one. */
const MAX_EVENT_STREAMS = 20;

export class DashboardPortError extends Error {
  override readonly name = 'DashboardPortError';
}

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The default port falls back to any free one; a port the user asked for is theirs or an error. */
async function listen(server: Server, port: number | undefined): Promise<void> {
  try {
    await listenOn(server, port ?? DEFAULT_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (port !== undefined) {
      throw new DashboardPortError(
        `DASHBOARD_PORT ${port} is taken by another process: free it or pick another port.`,
      );
    }
    await listenOn(server, 0);
  }
}

/** Fails with DashboardPortError when `port` is taken: checked before the heavy start-up. */
export async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  await listen(probe, port);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(
  pipeline: LocalPipeline,
  options: { symbol: string; source: string; port?: number; intervalMs?: number },
): Promise<Dashboard> {
  const events = new SseChannel(MAX_EVENT_STREAMS);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    const asset = STATIC[path];
    if (asset) {
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      response.end(readFileSync(asset.file));
      return;
    }
    if (path === '/events') {
      events.attach(request, response);
      return;
    }
    if (path === '/state') {
      dashboardSnapshot(pipeline, options.symbol, options.source).then(
        (s) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(s));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: `State not readable: ${(error as Error).message}` }));
        },
      );
      return;
    }
    response.writeHead(404).end();
  });
  await listen(server, options.port);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || events.size === 0) return;
    busy = true;
    try {
      events.send(await dashboardSnapshot(pipeline, options.symbol, options.source));
    } catch {
      // Redis away for a moment: the next second's snapshot tries again.
    } finally {
      busy = false;
    }
  }, options.intervalMs ?? 1000);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      clearInterval(timer);
      events.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
