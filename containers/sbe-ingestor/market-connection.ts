/**
 * One WebSocket to Binance's SBE market-data endpoint (or the local venue): the API key goes in the
 * `X-MBX-APIKEY` upgrade header; market events arrive as binary SBE frames, control messages
 * (subscription replies, `serverShutdown`) as JSON text frames. The server pings every 20 s and
 * closes the connection if no pong comes within a minute; `ws` answers pings with the ping's payload
 * automatically, as Binance requires. Lifecycle policy (reconnects, rotation, staleness) lives in
 * ConnectionSupervisor; this class only holds one socket.
 */
import WebSocket from 'ws';
import { INPUT_CAPACITY } from '../../core/sbe/abi.ts';
import type { Clock } from './clock.ts';

/**
 * The largest message `ws` will buffer (its default is 100 MiB). Frames up to this reach the frame
 * router, which counts those beyond the decoder's 1 MiB input area as FrameTooLarge decode errors and
 * keeps the connection; a longer one makes `ws` close the connection (1009) before buffering it, and
 * is counted the same way through onFrameTooLarge.
 */
export const MAX_MESSAGE_BYTES = 4 * INPUT_CAPACITY;

export type ControlMessage =
  | { type: 'serverShutdown'; eventTime: number }
  | { type: 'response'; id: unknown; result: unknown }
  | { type: 'error'; code: unknown; message: unknown }
  | { type: 'unknown'; text: string };

export interface ConnectionHandlers {
  onFrame(frame: Buffer, receiveTimeUs: number, connection: MarketConnection): void;
  onControl(message: ControlMessage, connection: MarketConnection): void;
  onClose(connection: MarketConnection, code: number, reason: string): void;
  /** A message longer than MAX_MESSAGE_BYTES arrived; `ws` closes the connection after this. */
  onFrameTooLarge?(connection: MarketConnection): void;
}

export class ConnectionRefusedError extends Error {
  override readonly name = 'ConnectionRefusedError';
  constructor(
    url: string,
    readonly statusCode: number | undefined,
    cause?: unknown,
  ) {
    super(
      `The market-data endpoint ${url} refused the connection${statusCode ? ` with HTTP ${statusCode}` : ''}.`,
      {
        cause,
      },
    );
  }
  /** 401/403 (a bad API key) will not improve by retrying soon; everything else may. */
  get retryable(): boolean {
    return this.statusCode !== 401 && this.statusCode !== 403;
  }
}

export function parseControl(text: string): ControlMessage {
  try {
    const json = JSON.parse(text);
    if (json?.e === 'serverShutdown') return { type: 'serverShutdown', eventTime: json.E };
    if (json && 'id' in json && 'result' in json)
      return { type: 'response', id: json.id, result: json.result };
    if (json?.error || json?.code)
      return { type: 'error', code: json.error?.code ?? json.code, message: json.error?.msg ?? json.msg };
  } catch {
    // Not JSON: reported as unknown below.
  }
  return { type: 'unknown', text: text.slice(0, 200) };
}

export class MarketConnection {
  private socket: WebSocket | undefined;
  openedAtMs = 0;
  lastFrameAtMs = 0;
  framesReceived = 0;
  closed = false;

  constructor(
    readonly id: number,
    private readonly url: string,
    private readonly apiKey: string,
    private readonly handlers: ConnectionHandlers,
    private readonly clock: Clock,
    private readonly handshakeTimeoutMs = 10_000,
  ) {}

  /** Resolves once the socket is open; rejects with ConnectionRefusedError otherwise. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, {
        headers: { 'X-MBX-APIKEY': this.apiKey },
        handshakeTimeout: this.handshakeTimeoutMs,
        perMessageDeflate: false,
        maxPayload: MAX_MESSAGE_BYTES,
      });
      this.socket = socket;
      let settled = false;
      socket.on('unexpected-response', (_request, response) => {
        settled = true;
        reject(new ConnectionRefusedError(this.url, response.statusCode));
        socket.terminate();
      });
      socket.on('open', () => {
        settled = true;
        this.openedAtMs = this.clock.nowMs();
        this.lastFrameAtMs = this.openedAtMs;
        resolve();
      });
      socket.on('message', (data, isBinary) => {
        // Frames still queued in a socket we closed belong to the connection that replaced it.
        if (this.closed) return;
        const receiveTimeUs = this.clock.nowUs();
        if (isBinary) {
          this.framesReceived++;
          this.lastFrameAtMs = this.clock.nowMs();
          this.handlers.onFrame(data as Buffer, receiveTimeUs, this);
        } else {
          this.handlers.onControl(parseControl(String(data)), this);
        }
      });
      socket.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          this.handlers.onFrameTooLarge?.(this);
        }
        if (!settled) {
          settled = true;
          reject(new ConnectionRefusedError(this.url, undefined, error));
        }
      });
      socket.on('close', (code, reason) => {
        const wasOpen = !this.closed;
        this.closed = true;
        if (settled && wasOpen) this.handlers.onClose(this, code, String(reason));
      });
    });
  }

  /** Sends a JSON control request (counts against Binance's 5 messages/s per connection). */
  send(request: unknown): void {
    this.socket?.send(JSON.stringify(request));
  }

  /** Stops reading (TCP backpressure) while the Kinesis buffer drains. */
  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  /** Closes without notifying onClose: the caller chose to end it. */
  close(code = 1000, reason = 'closing'): void {
    this.closed = true;
    if (!this.socket) return;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code, reason);
    else this.socket.terminate();
  }

  /** Drops the socket at once, as after a stall: no closing handshake with a silent peer. */
  terminate(): void {
    this.closed = true;
    this.socket?.terminate();
  }
}
