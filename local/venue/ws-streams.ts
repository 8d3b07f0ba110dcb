/**
 * The SBE market-data WebSocket endpoint, as sbe-market-data-streams.md describes it:
 * - `/ws/<stream>` and `/stream?streams=<a>/<b>/<c>`; stream names are lower case except the
 *   `bestBidAsk` suffix: `<s>@trade`, `<s>@bestBidAsk`, `<s>@depth`, `<s>@depth20`;
 * - "An API Key is necessary for access … put your API Key in the X-MBX-APIKEY header when opening
 *   the connection" (refused here with HTTP 401);
 * - market events in binary frames (SBE); subscription requests, their responses and the
 *   `serverShutdown` event in JSON text frames;
 * - "The server sends a ping frame every 20 seconds. If the server does not receive a pong frame
 *   back from you within a minute, the connection will be closed";
 * - "A single connection … is only valid for 24 hours";
 * - "WebSocket connections have a rate limit of 5 requests per second" (ping, pong and JSON control
 *   frames count) and "Connections that go beyond the limit will be closed"; at most 1024 streams
 *   per connection; at most 300 connection attempts every 5 minutes per IP;
 * - bestBidAsk "auto-culling": a connection that has fallen behind skips stale bestBidAsk events.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  encodeBestBidAsk,
  encodeDepthDiff,
  encodeDepthSnapshot,
  encodeTrades,
} from '../../core/sbe/encoder.ts';
import type { DepthSnapshotEvent } from '../../core/sbe/messages.ts';
import { decodePathSegment, requestUrl } from '../../lambdas/shared/http/request-url.ts';
import type { FaultInjector, FrameInfo, OutgoingFrame } from './fault-injector.ts';
import type { StreamKind, TimedFaultRule } from './fault-spec.ts';
import type { MarketEvent } from './market-events.ts';
import type { MarketSink } from './market-pump.ts';

export interface WsStreamsOptions {
  /** Accepted X-MBX-APIKEY values. @default any non-empty key */
  apiKeys?: readonly string[];
  /** @default 20_000 */
  pingIntervalMs?: number;
  /** @default 60_000 */
  pongTimeoutMs?: number;
  /** @default 86_400_000 (24 h) */
  connectionLifetimeMs?: number;
  /** Client messages (ping, pong, text) per second before the connection is closed. @default 5 */
  maxMessagesPerS?: number;
  /** @default 1024 */
  maxStreamsPerConnection?: number;
  /** @default 300 per 5 minutes per IP */
  maxConnectionAttemptsPer5Min?: number;
  /** Unsent bytes beyond which a connection skips bestBidAsk events. @default 1 MiB */
  cullBestBidAskAboveBytes?: number;
  /** Unsent bytes beyond which a slow connection is dropped (at 1x/Nx). @default 64 MiB */
  dropConnectionAboveBytes?: number;
}

export interface WsStats {
  connectionsOpen: number;
  connectionsAccepted: number;
  upgradesRejected: number;
  framesPublished: Record<StreamKind, number>;
  framesSent: number;
  bytesSent: number;
  bestBidAskCulled: number;
  controlMessages: number;
  closedForRate: number;
  closedForLifetime: number;
  closedForPongTimeout: number;
  closedAsSlow: number;
}

interface Connection {
  id: number;
  ws: WebSocket;
  /** The TCP socket under `ws`, corked while a market batch is written (one write per batch). */
  socket: Duplex;
  ip: string;
  combined: boolean;
  streams: Set<string>;
  lastPongMs: number;
  messageTimes: number[];
  timers: NodeJS.Timeout[];
}

const STREAM_NAME = /^([a-z0-9]+)@(trade|bestBidAsk|depth|depth20)$/;

/** Binance's documented control-message errors (web-socket-streams.md, "Error Messages"). */
const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];

export function parseStreamName(name: string): { symbol: string; kind: StreamKind } | undefined {
  const m = STREAM_NAME.exec(name);
  return m ? { symbol: (m[1] as string).toUpperCase(), kind: m[2] as StreamKind } : undefined;
}

function isValidId(id: unknown): boolean {
  return (
    id === null ||
    (typeof id === 'number' && Number.isSafeInteger(id)) ||
    (typeof id === 'string' && /^[A-Za-z0-9-]{1,36}$/.test(id))
  );
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: object): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

export class WsStreams implements MarketSink {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly connections = new Set<Connection>();
  private readonly byStream = new Map<string, Set<Connection>>();
  private readonly attempts = new Map<string, number[]>();
  private readonly subscriberWaiters: (() => void)[] = [];
  private readonly pendingCloses: { atUs: number; conns: Connection[] }[] = [];
  private nextId = 1;
  private readonly o: Required<Omit<WsStreamsOptions, 'apiKeys'>> & {
    apiKeys: readonly string[] | undefined;
  };
  readonly stats: WsStats = {
    connectionsOpen: 0,
    connectionsAccepted: 0,
    upgradesRejected: 0,
    framesPublished: { trade: 0, bestBidAsk: 0, depth: 0, depth20: 0 },
    framesSent: 0,
    bytesSent: 0,
    bestBidAskCulled: 0,
    controlMessages: 0,
    closedForRate: 0,
    closedForLifetime: 0,
    closedForPongTimeout: 0,
    closedAsSlow: 0,
  };

  constructor(
    private readonly injector: FaultInjector,
    /** Market time since the first event and the market clock (µs), from the pump. */
    private readonly clock: { elapsedUs(): number; clockUs(): number },
    options: WsStreamsOptions = {},
  ) {
    this.o = {
      apiKeys: options.apiKeys,
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 60_000,
      connectionLifetimeMs: options.connectionLifetimeMs ?? 86_400_000,
      maxMessagesPerS: options.maxMessagesPerS ?? 5,
      maxStreamsPerConnection: options.maxStreamsPerConnection ?? 1024,
      maxConnectionAttemptsPer5Min: options.maxConnectionAttemptsPer5Min ?? 300,
      cullBestBidAskAboveBytes: options.cullBestBidAskAboveBytes ?? 1024 * 1024,
      dropConnectionAboveBytes: options.dropConnectionAboveBytes ?? 64 * 1024 * 1024,
    };
  }

  /** The http server's 'upgrade' handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets mid-handshake must not raise an unhandled 'error' on the raw socket.
    socket.on('error', () => socket.destroy());
    const ip = req.socket.remoteAddress ?? 'unknown';
    const reject = (status: number, reason: string, body: object) => {
      this.stats.upgradesRejected++;
      rejectUpgrade(socket, status, reason, body);
    };
    const url = requestUrl(req.url);
    if (!url) {
      reject(400, 'Bad Request', { code: -1, msg: `Malformed request target '${req.url}'.` });
      return;
    }
    const now = Date.now();
    const attempts = (this.attempts.get(ip) ?? []).filter((t) => now - t < 300_000);
    attempts.push(now);
    this.attempts.set(ip, attempts);
    if (attempts.length > this.o.maxConnectionAttemptsPer5Min) {
      reject(429, 'Too Many Requests', { code: -1003, msg: 'Too many connection attempts.' });
      return;
    }
    let streams: string[];
    if (url.pathname === '/ws' || url.pathname === '/ws/') streams = [];
    else if (url.pathname.startsWith('/ws/')) {
      const name = decodePathSegment(url.pathname.slice(4));
      if (name === undefined) {
        reject(400, 'Bad Request', { code: -1, msg: `Malformed stream name '${url.pathname.slice(4)}'.` });
        return;
      }
      streams = [name];
    } else if (url.pathname === '/stream')
      streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
    else {
      reject(404, 'Not Found', { code: -1, msg: `No stream endpoint at ${url.pathname}.` });
      return;
    }
    const bad = streams.find((s) => !parseStreamName(s));
    if (bad !== undefined) {
      reject(400, 'Bad Request', { code: -1, msg: `Invalid stream name '${bad}'.` });
      return;
    }
    if (streams.length > this.o.maxStreamsPerConnection) {
      reject(400, 'Bad Request', { code: -1, msg: 'Too many streams.' });
      return;
    }
    const key = req.headers['x-mbx-apikey'];
    if (typeof key !== 'string' || key === '') {
      reject(401, 'Unauthorized', { code: -2014, msg: 'API-key format invalid.' });
      return;
    }
    if (this.o.apiKeys && !this.o.apiKeys.includes(key)) {
      reject(401, 'Unauthorized', {
        code: -2015,
        msg: 'Invalid API-key, IP, or permissions for action.',
      });
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.accept(ws, socket, ip, streams, url.pathname === '/stream'),
    );
  }

  private accept(ws: WebSocket, socket: Duplex, ip: string, streams: string[], combined: boolean): void {
    const c: Connection = {
      id: this.nextId++,
      ws,
      socket,
      ip,
      combined,
      streams: new Set(),
      lastPongMs: Date.now(),
      messageTimes: [],
      timers: [],
    };
    this.connections.add(c);
    this.stats.connectionsAccepted++;
    this.stats.connectionsOpen = this.connections.size;
    for (const s of streams) this.subscribe(c, s);
    const ping = setInterval(() => {
      if (Date.now() - c.lastPongMs > this.o.pongTimeoutMs) {
        this.stats.closedForPongTimeout++;
        ws.terminate();
        return;
      }
      // A stalled venue is silent, pings included.
      if (!this.injector.isStalled(this.clock.elapsedUs())) ws.ping(Buffer.from(String(Date.now())));
    }, this.o.pingIntervalMs);
    const lifetime = setTimeout(() => {
      this.stats.closedForLifetime++;
      ws.close(1000, 'Connection lifetime exceeded.');
    }, this.o.connectionLifetimeMs);
    ping.unref();
    lifetime.unref();
    c.timers.push(ping, lifetime);
    ws.on('pong', () => {
      c.lastPongMs = Date.now();
      this.countMessage(c);
    });
    ws.on('ping', () => this.countMessage(c));
    ws.on('message', (data, isBinary) => {
      if (!this.countMessage(c)) return;
      if (!isBinary) this.control(c, data);
    });
    ws.on('close', () => this.drop(c));
    ws.on('error', () => this.drop(c));
  }

  private drop(c: Connection): void {
    if (!this.connections.delete(c)) return;
    for (const t of c.timers) clearTimeout(t);
    for (const s of c.streams) this.byStream.get(s)?.delete(c);
    this.stats.connectionsOpen = this.connections.size;
  }

  /** False (and the connection closed) once the client exceeds its message rate. */
  private countMessage(c: Connection): boolean {
    if (c.ws.readyState !== WebSocket.OPEN) return false;
    const now = Date.now();
    c.messageTimes = c.messageTimes.filter((t) => now - t < 1000);
    c.messageTimes.push(now);
    if (c.messageTimes.length > this.o.maxMessagesPerS) {
      this.stats.closedForRate++;
      c.ws.close(1008, 'Too many requests.');
      return false;
    }
    return true;
  }

  private subscribe(c: Connection, stream: string): void {
    c.streams.add(stream);
    let set = this.byStream.get(stream);
    if (!set) {
      set = new Set();
      this.byStream.set(stream, set);
    }
    set.add(c);
    const waiters = this.subscriberWaiters.splice(0);
    for (const w of waiters) w();
  }

  private unsubscribe(c: Connection, stream: string): void {
    c.streams.delete(stream);
    this.byStream.get(stream)?.delete(c);
  }

  private reply(c: Connection, body: object): void {
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(body));
  }

  private control(c: Connection, data: RawData): void {
    this.stats.controlMessages++;
    const text = data.toString();
    let req: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      req = parsed as Record<string, unknown>;
    } catch {
      this.reply(c, { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' });
      return;
    }
    const id = req.id;
    if (!('id' in req) || !isValidId(id)) {
      this.reply(c, {
        code: 2,
        msg: 'Invalid request: request ID must be an unsigned integer',
        id: null,
      });
      return;
    }
    const method = req.method;
    if (method === undefined) {
      this.reply(c, {
        code: 2,
        msg: `Invalid request: missing field \`method\` at line 1 column ${text.length}`,
        id,
      });
      return;
    }
    if (typeof method !== 'string' || !METHODS.includes(method)) {
      const expected = METHODS.map((m) => `\`${m}\``).join(', ');
      const msg = `Invalid request: unknown variant \`${String(method)}\`, expected one of ${expected} at line 1 column ${text.length}`;
      this.reply(c, { code: 2, msg, id });
      return;
    }
    const params = req.params;
    if (method === 'SUBSCRIBE' || method === 'UNSUBSCRIBE') {
      if (!Array.isArray(params) || params.some((p) => typeof p !== 'string' || !parseStreamName(p))) {
        this.reply(c, { code: 2, msg: 'Invalid request: invalid stream name', id });
        return;
      }
      if (method === 'SUBSCRIBE') {
        const total = new Set([...c.streams, ...(params as string[])]).size;
        if (total > this.o.maxStreamsPerConnection) {
          this.reply(c, { code: 2, msg: 'Invalid request: too many streams', id });
          return;
        }
        for (const s of params as string[]) this.subscribe(c, s);
      } else {
        for (const s of params as string[]) this.unsubscribe(c, s);
      }
      this.reply(c, { result: null, id });
      return;
    }
    if (method === 'LIST_SUBSCRIPTIONS') {
      this.reply(c, { result: [...c.streams], id });
      return;
    }
    // SET_PROPERTY / GET_PROPERTY: only `combined` exists (SBE frames are never wrapped either way).
    if (!Array.isArray(params) || typeof params[0] !== 'string') {
      this.reply(c, { code: 2, msg: 'Invalid request: property name must be a string', id });
      return;
    }
    if (params[0] !== 'combined') {
      this.reply(c, { code: 0, msg: 'Unknown property', id });
      return;
    }
    if (method === 'GET_PROPERTY') {
      this.reply(c, { result: c.combined, id });
      return;
    }
    if (typeof params[1] !== 'boolean') {
      this.reply(c, { code: 1, msg: 'Invalid value type: expected Boolean', id });
      return;
    }
    c.combined = params[1];
    this.reply(c, { result: null, id });
    return;
  }

  waitForSubscriber(): Promise<void> {
    for (const set of this.byStream.values()) if (set.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.subscriberWaiters.push(resolve));
  }

  maxBufferedBytes(): number {
    let max = 0;
    for (const c of this.connections) max = Math.max(max, c.ws.bufferedAmount);
    return max;
  }

  publish(e: MarketEvent, elapsedUs: number): void {
    const stream = e.symbol.toLowerCase();
    switch (e.type) {
      case 'trades': {
        const first = e.trades[0];
        const last = e.trades[e.trades.length - 1];
        if (!first || !last) return;
        const bytes = encodeTrades({ ...e, priceExponent: -8, qtyExponent: -8 });
        const info: FrameInfo = {
          kind: 'trade',
          streamName: `${stream}@trade`,
          eventTimeUs: e.eventTimeUs,
          firstTradeId: first.id,
          lastTradeId: last.id,
        };
        this.send({ bytes, info }, elapsedUs);
        return;
      }
      case 'depthDiff': {
        const bytes = encodeDepthDiff({
          symbol: e.symbol,
          eventTimeUs: e.eventTimeUs,
          firstBookUpdateId: e.firstUpdateId,
          lastBookUpdateId: e.lastUpdateId,
          priceExponent: -8,
          qtyExponent: -8,
          bids: e.bids,
          asks: e.asks,
        });
        const info: FrameInfo = {
          kind: 'depth',
          streamName: `${stream}@depth`,
          eventTimeUs: e.eventTimeUs,
          firstUpdateId: e.firstUpdateId,
          lastUpdateId: e.lastUpdateId,
        };
        this.send({ bytes, info }, elapsedUs);
        return;
      }
      case 'bestBidAsk': {
        const bytes = encodeBestBidAsk({ ...e, priceExponent: -8, qtyExponent: -8 });
        const info: FrameInfo = {
          kind: 'bestBidAsk',
          streamName: `${stream}@bestBidAsk`,
          eventTimeUs: e.eventTimeUs,
          firstUpdateId: e.bookUpdateId,
          lastUpdateId: e.bookUpdateId,
        };
        this.send({ bytes, info }, elapsedUs);
        return;
      }
      default:
        return;
    }
  }

  publishDepth20(e: Omit<DepthSnapshotEvent, 'templateId'>, elapsedUs: number): void {
    const info: FrameInfo = {
      kind: 'depth20',
      streamName: `${e.symbol.toLowerCase()}@depth20`,
      eventTimeUs: e.eventTimeUs,
      firstUpdateId: e.bookUpdateId,
      lastUpdateId: e.bookUpdateId,
    };
    this.send({ bytes: encodeDepthSnapshot(e), info }, elapsedUs);
  }

  /**
   * Frames written in one turn of the event loop leave in one write per connection instead of one
   * syscall each (as TCP would coalesce them on a real link): corked at the first frame of a turn,
   * uncorked when the turn ends. Per-frame writes cost the venue a third of its time at full speed.
   */
  private corked = false;

  private corkUntilTurnEnds(): void {
    if (this.corked) return;
    this.corked = true;
    for (const c of this.connections) c.socket.cork();
    setImmediate(() => {
      this.corked = false;
      for (const c of this.connections) c.socket.uncork();
    });
  }

  private send(frame: OutgoingFrame, elapsedUs: number): void {
    this.stats.framesPublished[frame.info.kind]++;
    const out = this.injector.onFrame(frame, elapsedUs);
    if (out.length === 0) return;
    const subscribers = this.byStream.get(frame.info.streamName);
    if (!subscribers || subscribers.size === 0) return;
    this.corkUntilTurnEnds();
    for (const f of out) {
      for (const c of subscribers) {
        const buffered = c.ws.bufferedAmount;
        if (f.info.kind === 'bestBidAsk' && buffered > this.o.cullBestBidAskAboveBytes) {
          this.stats.bestBidAskCulled++;
          continue;
        }
        if (buffered > this.o.dropConnectionAboveBytes) {
          this.stats.closedAsSlow++;
          c.ws.terminate();
          continue;
        }
        c.ws.send(f.bytes, { binary: true });
        this.stats.framesSent++;
        this.stats.bytesSent += f.bytes.length;
      }
    }
  }

  timedFault(rule: TimedFaultRule, elapsedUs: number): void {
    const conns = [...this.connections];
    if (rule.kind === 'disconnect') {
      this.injector.recordTimed(rule, elapsedUs, conns.length, 'TCP reset without a close frame');
      for (const c of conns) c.ws.terminate();
    } else if (rule.kind === 'stall') {
      this.injector.recordTimed(
        rule,
        elapsedUs,
        conns.length,
        `silent for ${rule.forUs / 1e6} s of market time`,
      );
    } else {
      this.injector.recordTimed(
        rule,
        elapsedUs,
        conns.length,
        `closing after ${rule.forUs / 1e6} s of market time`,
      );
      // sbe-market-data-streams.md: `{"e":"serverShutdown","E":…}` in a text frame; times are µs.
      const event = JSON.stringify({ e: 'serverShutdown', E: Math.floor(this.clock.clockUs()) });
      for (const c of conns) if (c.ws.readyState === WebSocket.OPEN) c.ws.send(event);
      this.pendingCloses.push({ atUs: elapsedUs + rule.forUs, conns });
    }
  }

  tick(elapsedUs: number): void {
    for (let i = this.pendingCloses.length - 1; i >= 0; i--) {
      const p = this.pendingCloses[i] as { atUs: number; conns: Connection[] };
      if (p.atUs > elapsedUs) continue;
      this.pendingCloses.splice(i, 1);
      for (const c of p.conns) c.ws.close(1001, 'Server shutdown.');
    }
  }

  /** Closes every connection (venue shutdown). */
  async close(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
