/**
 * The ingestor service: connection supervisor → frame router → Kinesis publisher, plus health.
 * Built by main.ts in AWS and by the local runtime and tests with the same options.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { binanceStreamNames, type StreamKind } from '../../core/market/streams.ts';
import type { BackoffPolicy } from '../../core/retry/backoff.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { type Clock, systemClock } from './clock.ts';
import { ConnectionSupervisor } from './connection-supervisor.ts';
import { FrameRouter, type SequenceGapEvent } from './frame-router.ts';
import { IngestorMetrics } from './ingestor-metrics.ts';
import { KinesisPublisher } from './kinesis-publisher.ts';
import type { ControlMessage } from './market-connection.ts';
import { MAX_MESSAGE_BYTES } from './market-connection.ts';

export type LogFn = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface IngestorOptions {
  /** `wss://stream-sbe.binance.com:9443` or the local venue's `ws://127.0.0.1:<port>`. */
  wsBaseUrl: string;
  apiKey: string;
  symbols: string[];
  kinesis: KinesisClient;
  streamNames: Record<StreamKind, string>;
  /** @default 23.5 h: inside Binance's 24 h connection limit, with room for the overlap */
  rotateAfterMs?: number;
  /** @default 10 s: depth diffs come every 20 ms, so 10 s without newer exchange time is a stall */
  staleAfterMs?: number;
  /** @default { baseMs: 500, capMs: 30000 } */
  reconnect?: BackoffPolicy;
  lingerMs?: number;
  maxBufferedBytes?: number;
  /** Called for every sequence anomaly and buffer overflow; wired to the gap detector. */
  onGap?(event: IngestorGapEvent): void;
  decoder?: SbeBatchDecoder;
  clock?: Clock;
  log?: LogFn;
  random?: () => number;
}

export type IngestorGapEvent =
  | ({ kind: 'sequence' } & SequenceGapEvent)
  | { kind: 'overflow'; stream: StreamKind; symbol: string; atUs: number };

export type ComponentStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface IngestorHealth {
  status: ComponentStatus;
  service: 'sbe-ingestor';
  timestamp: string;
  components: {
    websocket: {
      status: ComponentStatus;
      connected: boolean;
      connections: number;
      lastFrameAgeMs: number;
      rotations: number;
    };
    kinesis: {
      status: ComponentStatus;
      bufferedBytes: number;
      consecutiveFailures: number;
      recordsPut: number;
      recordsFailed: number;
    };
    decoder: {
      status: ComponentStatus;
      frames: number;
      decoded: number;
      errors: number;
      unknownTemplates: number;
    };
  };
}

const worst = (statuses: ComponentStatus[]): ComponentStatus =>
  statuses.includes('unhealthy') ? 'unhealthy' : statuses.includes('degraded') ? 'degraded' : 'healthy';

export class SbeIngestor {
  readonly metrics = new IngestorMetrics();
  readonly publisher: KinesisPublisher;
  readonly router: FrameRouter;
  readonly supervisor: ConnectionSupervisor;
  readonly decoder: SbeBatchDecoder;
  private readonly clock: Clock;
  private readonly staleAfterMs: number;
  private readonly maxBufferedBytes: number;
  readonly controlMessages: ControlMessage[] = [];

  constructor(o: IngestorOptions) {
    this.clock = o.clock ?? systemClock;
    this.decoder = o.decoder ?? new WasmSbeDecoder();
    this.staleAfterMs = o.staleAfterMs ?? 10_000;
    this.maxBufferedBytes = o.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.publisher = new KinesisPublisher({
      client: o.kinesis,
      streamNames: o.streamNames,
      lingerMs: o.lingerMs,
      maxBufferedBytes: this.maxBufferedBytes,
      metrics: this.metrics,
      log: o.log,
      random: o.random,
      onPressure: (high) => (high ? this.supervisor.pause() : this.supervisor.resume()),
      onOverflow: (stream, symbol) => {
        this.metrics.sequenceGaps.inc({ stream, reason: 'overflow' });
        o.onGap?.({ kind: 'overflow', stream, symbol, atUs: this.clock.nowUs() });
      },
    });
    this.router = new FrameRouter(
      this.decoder,
      this.publisher,
      this.metrics,
      (event) => {
        if (event.reason !== 'duplicate') o.log?.('warn', 'sequence gap', { ...event });
        o.onGap?.({ kind: 'sequence', ...event });
      },
      (error) =>
        o.log?.('warn', 'frame skipped: decode error', { error: error.name, message: error.message }),
      // The same clock as the stale check that reads eventTimeAdvancedAtMs.
      () => this.clock.nowMs(),
    );
    const streams = o.symbols.flatMap(binanceStreamNames).join('/');
    this.supervisor = new ConnectionSupervisor({
      url: `${o.wsBaseUrl.replace(/\/$/, '')}/stream?streams=${streams}`,
      apiKey: o.apiKey,
      rotateAfterMs: o.rotateAfterMs ?? 23.5 * 3600_000,
      staleAfterMs: this.staleAfterMs,
      lastProgressAtMs: () => this.router.eventTimeAdvancedAtMs,
      reconnect: o.reconnect ?? { baseMs: 500, capMs: 30_000 },
      onFrame: (frame, receiveTimeUs) => this.router.handle(frame, receiveTimeUs),
      onFrameTooLarge: () => {
        this.decoder.stats.recordRefused('FrameTooLarge');
        this.metrics.decodeErrors.inc({ error: 'FrameTooLargeError' });
        o.log?.('warn', 'frame skipped: decode error', {
          error: 'FrameTooLargeError',
          message: `A WebSocket message over ${MAX_MESSAGE_BYTES} bytes closed the connection.`,
        });
      },
      onControl: (message) => {
        this.metrics.controlMessages.inc({ type: message.type });
        if (this.controlMessages.length < 1000) this.controlMessages.push(message);
      },
      log: o.log,
      clock: this.clock,
      metrics: this.metrics,
      random: o.random,
    });
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  /** SIGTERM path: stop reading, flush what is buffered, report whether everything was written. */
  async stop(flushTimeoutMs = 20_000): Promise<boolean> {
    this.supervisor.stop();
    return this.publisher.close(flushTimeoutMs);
  }

  health(): IngestorHealth {
    const lastFrameAgeMs = this.supervisor.lastFrameAtMs
      ? this.clock.nowMs() - this.supervisor.lastFrameAtMs
      : -1;
    const websocket: ComponentStatus = !this.supervisor.connected
      ? 'unhealthy'
      : lastFrameAgeMs > this.staleAfterMs / 2
        ? 'degraded'
        : 'healthy';
    const p = this.publisher;
    const kinesis: ComponentStatus =
      p.bufferedBytes > this.maxBufferedBytes * 0.9
        ? 'unhealthy'
        : p.consecutiveFailures > 0 || p.bufferedBytes > this.maxBufferedBytes * 0.5
          ? 'degraded'
          : 'healthy';
    const s = this.decoder.stats;
    // Decode errors are counted and skipped; a steady share of them means a schema change.
    const decoder: ComponentStatus = s.frames > 100 && s.errors / s.frames > 0.01 ? 'degraded' : 'healthy';
    return {
      status: worst([websocket, kinesis, decoder]),
      service: 'sbe-ingestor',
      timestamp: new Date(this.clock.nowMs()).toISOString(),
      components: {
        websocket: {
          status: websocket,
          connected: this.supervisor.connected,
          connections: this.supervisor.connectionCount,
          lastFrameAgeMs,
          rotations: this.supervisor.rotations,
        },
        kinesis: {
          status: kinesis,
          bufferedBytes: p.bufferedBytes,
          consecutiveFailures: p.consecutiveFailures,
          recordsPut: p.recordsPut,
          recordsFailed: p.recordsFailed,
        },
        decoder: {
          status: decoder,
          frames: s.frames,
          decoded: s.decoded,
          errors: s.errors,
          unknownTemplates: s.unknownTemplates,
        },
      },
    };
  }
}
