/**
 * Keeps market data flowing through connection trouble:
 * - reconnects after a close with exponential backoff and full jitter (Binance allows 300 connection
 *   attempts per 5 minutes per IP, so a tight loop would get the IP banned);
 * - rotates make-before-break before the 24 h connection limit and on `serverShutdown`: a new
 *   connection is opened and the old one is closed only once the new one delivers market data, so
 *   nothing is missed (the FrameRouter de-duplicates the overlap by update id and trade id);
 * - detects a stale connection (silent, or sending nothing newer in exchange time) and replaces it.
 */
import { type BackoffPolicy, backoffDelayMs } from '../../core/retry/backoff.ts';
import type { Clock } from './clock.ts';
import type { IngestorMetrics } from './ingestor-metrics.ts';
import { ConnectionRefusedError, type ControlMessage, MarketConnection } from './market-connection.ts';

export interface SupervisorOptions {
  /** Full URL including `/stream?streams=…`. */
  url: string;
  apiKey: string;
  /** Rotate this long after a connection opens; Binance closes connections at 24 h. */
  rotateAfterMs: number;
  /** No progress in exchange event time for this long means the connection is stale. */
  staleAfterMs: number;
  /**
   * Local time (ms) when the exchange's event time last moved forward. Frames that keep arriving
   * without advancing it (a stuck or replaying server) are as stale as silence.
   */
  lastProgressAtMs(): number;
  reconnect: BackoffPolicy;
  onFrame(frame: Buffer, receiveTimeUs: number, connectionId: number): void;
  onControl?(message: ControlMessage, connectionId: number): void;
  /** A message beyond MAX_MESSAGE_BYTES closed a connection (it reconnects as after any close). */
  onFrameTooLarge?(connectionId: number): void;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  clock: Clock;
  metrics: IngestorMetrics;
  random?: () => number;
}

type ConnectReason = 'initial' | 'closed' | 'stale' | 'rotation' | 'shutdown';

export class ConnectionSupervisor {
  private active: MarketConnection | undefined;
  /** The replacement during a rotation, until it delivers its first frame. */
  private incoming: MarketConnection | undefined;
  private nextId = 1;
  private attempt = 0;
  private stopped = false;
  private paused = false;
  private rotateTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly staleTimer: NodeJS.Timeout;
  rotations = 0;

  constructor(private readonly o: SupervisorOptions) {
    // Checked at a quarter of the stale threshold so a stall is caught within 1.25x of it.
    this.staleTimer = setInterval(() => this.checkStale(), Math.max(50, o.staleAfterMs / 4));
    this.staleTimer.unref();
  }

  get connected(): boolean {
    return this.active !== undefined && !this.active.closed;
  }

  get lastFrameAtMs(): number {
    return this.active?.lastFrameAtMs ?? 0;
  }

  get connectionCount(): number {
    return (this.active && !this.active.closed ? 1 : 0) + (this.incoming && !this.incoming.closed ? 1 : 0);
  }

  async start(): Promise<void> {
    await this.connect('initial');
  }

  /** Opens a replacement and retires the current connection once the new one delivers data. */
  async rotate(reason: 'rotation' | 'shutdown'): Promise<void> {
    if (this.stopped || this.incoming) return;
    await this.connect(reason);
  }

  pause(): void {
    this.paused = true;
    this.active?.pause();
    this.incoming?.pause();
  }

  resume(): void {
    this.paused = false;
    this.active?.resume();
    this.incoming?.resume();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.staleTimer);
    clearTimeout(this.rotateTimer);
    clearTimeout(this.retryTimer);
    this.active?.close(1000, 'ingestor stopping');
    this.incoming?.close(1000, 'ingestor stopping');
    this.o.metrics.connections.set(0);
  }

  private async connect(reason: ConnectReason): Promise<void> {
    if (this.stopped) return;
    const connection = new MarketConnection(
      this.nextId++,
      this.o.url,
      this.o.apiKey,
      {
        onFrame: (frame, receiveTimeUs, c) => this.onFrame(frame, receiveTimeUs, c),
        onControl: (message, c) => this.onControl(message, c),
        onClose: (c, code, why) => this.onClose(c, code, why),
        onFrameTooLarge: (c) => this.o.onFrameTooLarge?.(c.id),
      },
      this.o.clock,
    );
    const makeBeforeBreak = reason === 'rotation' || reason === 'shutdown';
    if (makeBeforeBreak) this.incoming = connection;
    this.o.metrics.reconnects.inc({ reason });
    try {
      await connection.open();
    } catch (error) {
      if (makeBeforeBreak) this.incoming = undefined;
      const refused = error instanceof ConnectionRefusedError ? error : undefined;
      this.o.log?.('warn', 'market-data connection failed', {
        reason,
        statusCode: refused?.statusCode,
        error: String(error),
      });
      this.scheduleRetry(makeBeforeBreak ? reason : 'closed', refused?.retryable === false);
      return;
    }
    if (this.stopped) {
      connection.close();
      return;
    }
    if (this.paused) connection.pause();
    if (!makeBeforeBreak) {
      this.active = connection;
      this.armRotation(connection);
    }
    this.o.metrics.connections.set(this.connectionCount);
    this.o.log?.('info', 'market-data connection open', { connectionId: connection.id, reason });
  }

  private onFrame(frame: Buffer, receiveTimeUs: number, connection: MarketConnection): void {
    if (connection === this.incoming) this.promote(connection);
    this.o.onFrame(frame, receiveTimeUs, connection.id);
  }

  /** The replacement is live: it becomes active, the old connection is closed. */
  private promote(connection: MarketConnection): void {
    const old = this.active;
    this.active = connection;
    this.incoming = undefined;
    this.rotations++;
    this.armRotation(connection);
    old?.close(1000, 'rotated');
    this.o.metrics.connections.set(this.connectionCount);
    this.o.log?.('info', 'market-data connection rotated', { from: old?.id, to: connection.id });
  }

  private onControl(message: ControlMessage, connection: MarketConnection): void {
    this.o.onControl?.(message, connection.id);
    if (message.type === 'serverShutdown' && connection === this.active) void this.rotate('shutdown');
  }

  private onClose(connection: MarketConnection, code: number, reason: string): void {
    this.o.metrics.connections.set(this.connectionCount);
    if (this.stopped) return;
    if (connection === this.incoming) {
      this.incoming = undefined;
      this.scheduleRetry('rotation', false);
      return;
    }
    if (connection !== this.active) return;
    this.o.log?.('warn', 'market-data connection closed', { connectionId: connection.id, code, reason });
    clearTimeout(this.rotateTimer);
    // A rotation in progress takes over at once rather than waiting for its first frame.
    if (this.incoming) {
      this.promote(this.incoming);
      return;
    }
    this.active = undefined;
    this.scheduleRetry('closed', false);
  }

  private checkStale(): void {
    const connection = this.active;
    if (this.stopped || this.paused || !connection || connection.closed) return;
    // Measured from the connection's opening at the earliest, so a fresh connection gets its chance.
    const since = Math.max(this.o.lastProgressAtMs(), connection.openedAtMs);
    const staleMs = this.o.clock.nowMs() - since;
    if (staleMs <= this.o.staleAfterMs) return;
    this.o.log?.('warn', 'market-data connection stale', { connectionId: connection.id, staleMs });
    this.active = undefined;
    clearTimeout(this.rotateTimer);
    connection.terminate();
    this.attempt = 0;
    void this.connect('stale');
  }

  private armRotation(connection: MarketConnection): void {
    clearTimeout(this.rotateTimer);
    this.attempt = 0;
    this.rotateTimer = setTimeout(() => {
      if (connection === this.active) void this.rotate('rotation');
    }, this.o.rotateAfterMs);
    this.rotateTimer.unref();
  }

  private scheduleRetry(reason: ConnectReason, slow: boolean): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    // A refused API key will not fix itself quickly: wait the longest delay.
    const delayMs = slow
      ? this.o.reconnect.capMs
      : backoffDelayMs(this.o.reconnect, this.attempt++, this.o.random);
    this.retryTimer = setTimeout(() => void this.connect(reason), delayMs);
  }
}
