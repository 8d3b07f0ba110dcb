/**
 * Wiring: one loopback HTTP server carrying the SBE WebSocket streams (upgrade), Binance's REST
 * market data (/api/v3/…) and the venue's ground-truth endpoints (/_venue/…), fed by a market
 * source through the pump. `startVenue` is the programmatic API (tests, `npm start`); main.ts is
 * the CLI.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestUrl } from '../../lambdas/shared/http/request-url.ts';
import { VenueConfigError } from './errors.ts';
import { FaultInjector, type InjectedFault } from './fault-injector.ts';
import { type FaultRule, parseFaultSpec } from './fault-spec.ts';
import type { GroundTruth, SymbolTruthStats } from './ground-truth.ts';
import type { MarketSource } from './market-events.ts';
import { MarketPump, type Speed } from './market-pump.ts';
import { MarketState, type MarketStateOptions } from './market-state.ts';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.ts';
import { RestApi, type RestStats } from './rest-api.ts';
import { createReplaySource } from './sources/replay-source.ts';
import { createSyntheticSource, type SyntheticSourceOptions } from './sources/synthetic-source.ts';
import { TruthApi } from './truth-api.ts';
import { type WsStats, WsStreams, type WsStreamsOptions } from './ws-streams.ts';

export type SourceOptions =
  | ({ kind: 'sim'; seed?: number; speed?: Speed } & Omit<SyntheticSourceOptions, 'seed'>)
  | { kind: 'replay'; path: string | readonly string[]; speed?: Speed; snapshotSymbol?: string };

export interface VenueOptions extends WsStreamsOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default { kind: 'sim', seed: 1, speed: 1 } */
  source?: SourceOptions;
  /** Wait for the first stream subscription before the market starts (replays from their first line). @default 'listen' */
  startOn?: 'listen' | 'first-subscription';
  /** Materialise the whole market source before it starts (benchmarks at speed 'max'). @default false */
  preload?: boolean;
  /** A fault spec (README.md) or parsed rules. @default none */
  faults?: string | readonly FaultRule[];
  /** @default the sim seed, else 1 */
  faultSeed?: number;
  rateLimits?: RateLimiterOptions;
  /** Wall clock (ms) of the REST rate limiter's calendar minutes; tests fix it. @default Date.now */
  rateLimitClockMs?: () => number;
  truth?: MarketStateOptions;
}

export interface VenueStats {
  source: string;
  speed: Speed;
  market: {
    clockUs: number;
    elapsedUs: number;
    batches: number;
    events: number;
    ended: boolean;
    /** Why the source stopped early, if it failed. */
    error?: string;
  };
  symbols: Record<string, SymbolTruthStats>;
  ws: WsStats;
  rest: RestStats;
  faults: Record<string, number>;
}

export interface Venue {
  /** `ws://127.0.0.1:<port>`: append `/ws/<stream>` or `/stream?streams=…`. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port>`: append `/api/v3/…` or `/_venue/…`. */
  readonly restUrl: string;
  readonly port: number;
  readonly symbols: readonly string[];
  /** The true books and trade tapes (read only). */
  readonly truth: GroundTruth;
  /** Every fault injected so far, in order (a live array). */
  readonly injectedFaults: readonly InjectedFault[];
  stats(): VenueStats;
  /** The market clock (µs): what /api/v3/time reports. */
  clockUs(): number;
  /** Resolves when the source is exhausted (a replay's last line, a sim's duration). */
  readonly marketEnded: Promise<void>;
  /**
   * Stops the market (no event after this) and leaves REST and the ground truth up: a run stops
   * its source first, so that its final checks see a market that no longer moves.
   */
  stopMarket(): void;
  close(): Promise<void>;
}

function validate(o: VenueOptions): void {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VenueConfigError(`port ${port} is not a TCP port (0-65535).`);
  }
  const speed = o.source?.speed ?? 1;
  if (speed !== 'max' && !(typeof speed === 'number' && speed > 0 && Number.isFinite(speed))) {
    throw new VenueConfigError(`speed ${String(speed)} must be a positive number or 'max'.`);
  }
  for (const [name, v] of Object.entries({
    pingIntervalMs: o.pingIntervalMs,
    pongTimeoutMs: o.pongTimeoutMs,
    connectionLifetimeMs: o.connectionLifetimeMs,
  })) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new VenueConfigError(`${name} ${v} must be positive.`);
  }
  if (o.apiKeys?.length === 0) throw new VenueConfigError('apiKeys is empty: no client could connect.');
  if (o.source?.kind === 'replay') {
    const paths = typeof o.source.path === 'string' ? [o.source.path] : o.source.path;
    const missing = paths.find((p) => !existsSync(p));
    if (missing !== undefined) throw new VenueConfigError(`recording ${missing} does not exist.`);
  }
}

async function createSource(o: SourceOptions): Promise<MarketSource> {
  if (o.kind === 'replay') {
    return createReplaySource({
      path: o.path,
      ...(o.snapshotSymbol ? { snapshotSymbol: o.snapshotSymbol } : {}),
    });
  }
  return createSyntheticSource({ ...o, seed: o.seed ?? 1 });
}

export async function startVenue(options: VenueOptions = {}): Promise<Venue> {
  validate(options);
  const sourceOptions: SourceOptions = options.source ?? { kind: 'sim', seed: 1 };
  const speed = sourceOptions.speed ?? 1;
  const rules =
    typeof options.faults === 'string' || options.faults === undefined
      ? parseFaultSpec(options.faults)
      : options.faults;
  const seed = options.faultSeed ?? (sourceOptions.kind === 'sim' ? (sourceOptions.seed ?? 1) : 1);

  const source = await createSource(sourceOptions);
  const state = new MarketState(source.symbols, options.truth);
  const injector = new FaultInjector(rules, seed);
  // The pump is created after the sink; the clock reaches it through this late-bound reference.
  let pump: MarketPump | undefined;
  const clock = {
    clockUs: () => pump?.clockUs() ?? Date.now() * 1000,
    elapsedUs: () => pump?.elapsedUs() ?? 0,
  };
  const ws = new WsStreams(injector, clock, options);
  const rest = new RestApi(
    state,
    new RateLimiter(options.rateLimits),
    injector,
    clock,
    options.rateLimitClockMs,
  );

  const stats = (): VenueStats => {
    const faults: Record<string, number> = {};
    for (const f of injector.injected) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
    const symbols: Record<string, SymbolTruthStats> = {};
    for (const s of state.symbols) symbols[s] = state.truth.stats(s);
    return {
      source: source.kind,
      speed,
      market: {
        clockUs: clock.clockUs(),
        elapsedUs: clock.elapsedUs(),
        batches: pump?.batches ?? 0,
        events: pump?.events ?? 0,
        ended: pump?.hasEnded ?? false,
        ...(marketError === undefined ? {} : { error: marketError }),
      },
      symbols,
      ws: ws.stats,
      rest: rest.stats,
      faults,
    };
  };
  const truthApi = new TruthApi(state, () => injector.injected, stats, source.oracle?.bind(source));

  const server: Server = createServer((req, res) => {
    const url = requestUrl(req.url);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: -1100, msg: `Malformed request target '${req.url}'.` }));
      return;
    }
    const fail = (e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: -1000, msg: `Venue error: ${(e as Error).message}` }));
    };
    if (url.pathname.startsWith('/api/')) {
      rest.handle(req, res, url).catch(fail);
    } else if (url.pathname.startsWith('/_venue/')) {
      try {
        truthApi.handle(req, res, url);
      } catch (e) {
        fail(e);
      }
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: -1000, msg: `Nothing at ${url.pathname}.` }));
    }
  });
  server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  pump = new MarketPump(source, state, ws, injector, {
    speed,
    startOn: options.startOn ?? 'listen',
    preload: options.preload ?? false,
  });
  const running = pump;
  // A source that fails (a malformed recording line) rejects marketEnded; keep it from going unhandled.
  let marketError: string | undefined;
  running.done.catch((e: unknown) => {
    marketError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  });
  let closed = false;

  return {
    wsUrl: `ws://${host}:${address.port}`,
    restUrl: `http://${host}:${address.port}`,
    port: address.port,
    symbols: source.symbols,
    truth: state.truth,
    injectedFaults: injector.injected,
    stats,
    clockUs: clock.clockUs,
    marketEnded: running.done,
    stopMarket(): void {
      running.stop();
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      running.stop();
      // A pump waiting for its first subscriber never returns: do not wait for it.
      // A source that failed has said so through marketEnded and stats(): closing still succeeds.
      await Promise.race([running.done.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 100))]);
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
