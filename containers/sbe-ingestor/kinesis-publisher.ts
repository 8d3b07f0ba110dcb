/**
 * Packs frames into Kinesis records (the frame envelope, core/envelope) and writes them with
 * PutRecords, one stream per StreamKind, partition key = symbol.
 *
 * Order: Kinesis orders records per shard by arrival, so a record that fails while a later one
 * succeeds would be reordered by a naive retry. Each partition key therefore has at most one record
 * in flight; a failed record stays at the head of its lane and is retried (only the failed entries,
 * with exponential backoff and full jitter) before anything behind it. Frames that arrive meanwhile
 * accumulate into the next record, so batching adapts to the round-trip time.
 *
 * Memory is bounded: above the high watermark the publisher asks for backpressure (the supervisor
 * pauses the sockets); if the buffer is full anyway, frames are refused, counted, and the overflow
 * is signalled as a gap so the book gets re-anchored. Nothing is dropped silently.
 */
import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { EnvelopeBuilder, MAX_RECORD_BYTES } from '../../core/envelope/frame-envelope.ts';
import { STREAM_KINDS, type StreamKind } from '../../core/market/streams.ts';
import { type BackoffPolicy, backoffDelayMs } from '../../core/retry/backoff.ts';
import type { IngestorMetrics } from './ingestor-metrics.ts';

/** PutRecords accepts at most 500 entries and 5 MiB per call. */
const MAX_ENTRIES_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

export interface KinesisPublisherOptions {
  client: KinesisClient;
  streamNames: Record<StreamKind, string>;
  /** How long a lone frame may wait for company before its record is sent. @default 2 */
  lingerMs?: number;
  /** Buffer bound across all streams. @default 64 MiB */
  maxBufferedBytes?: number;
  /** @default MAX_RECORD_BYTES (1 MiB less the partition key) */
  maxRecordBytes?: number;
  /** @default { baseMs: 50, capMs: 5000 } */
  retry?: BackoffPolicy;
  metrics: IngestorMetrics;
  /** Called with true above 75% of the buffer bound, false again below 50%. */
  onPressure?(high: boolean): void;
  /** Called once per overflow episode per lane: frames are being refused. */
  onOverflow?(kind: StreamKind, symbol: string): void;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  random?: () => number;
}

interface SealedRecord {
  data: Uint8Array;
  frames: number;
}

/** One partition key of one stream: an open record being filled and sealed records in order. */
interface Lane {
  symbol: string;
  open: EnvelopeBuilder;
  sealed: SealedRecord[];
  overflowing: boolean;
}

interface StreamState {
  kind: StreamKind;
  name: string;
  lanes: Map<string, Lane>;
  inFlight: boolean;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
}

export class KinesisPublisher {
  private readonly streams: Record<StreamKind, StreamState>;
  private readonly lingerMs: number;
  private readonly maxBufferedBytes: number;
  private readonly maxRecordBytes: number;
  private readonly retry: BackoffPolicy;
  private buffered = 0;
  private pressure = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Consecutive failed calls across streams, for health. */
  consecutiveFailures = 0;
  recordsPut = 0;
  recordsFailed = 0;
  framesPut = 0;
  /** Record payload bytes written (what Kinesis' per-shard 1 MB/s write limit counts). */
  bytesPut = 0;
  framesRefused = 0;

  constructor(private readonly o: KinesisPublisherOptions) {
    this.lingerMs = o.lingerMs ?? 2;
    this.maxBufferedBytes = o.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.maxRecordBytes = o.maxRecordBytes ?? MAX_RECORD_BYTES;
    this.retry = o.retry ?? { baseMs: 50, capMs: 5000 };
    this.streams = Object.fromEntries(
      STREAM_KINDS.map((kind) => [
        kind,
        { kind, name: o.streamNames[kind], lanes: new Map(), inFlight: false, attempt: 0, timer: undefined },
      ]),
    ) as Record<StreamKind, StreamState>;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  add(kind: StreamKind, symbol: string, frame: Uint8Array, receiveTimeUs: number): boolean {
    const stream = this.streams[kind];
    const lane = this.laneOf(stream, symbol);
    const cost = EnvelopeBuilder.costOf(frame.length);
    if (this.closed || this.buffered + cost > this.maxBufferedBytes) {
      this.refuse(stream, lane);
      return false;
    }
    if (!lane.open.tryAdd(frame, receiveTimeUs)) {
      this.seal(lane);
      if (!lane.open.tryAdd(frame, receiveTimeUs)) {
        // Only a frame larger than a whole record gets here; Binance frames are far smaller.
        this.refuse(stream, lane);
        return false;
      }
    }
    this.buffered += cost;
    if (lane.overflowing && this.buffered < this.maxBufferedBytes / 2) lane.overflowing = false;
    this.updatePressure();
    this.schedule(stream);
    return true;
  }

  /** Resolves once every frame added so far is in Kinesis (or the timeout passes: false). */
  flush(timeoutMs = 30_000): Promise<boolean> {
    for (const stream of Object.values(this.streams)) this.pump(stream);
    if (this.buffered === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Refuses new frames and flushes what is buffered. */
  async close(timeoutMs?: number): Promise<boolean> {
    this.closed = true;
    const flushed = await this.flush(timeoutMs);
    for (const stream of Object.values(this.streams)) clearTimeout(stream.timer);
    return flushed;
  }

  private laneOf(stream: StreamState, symbol: string): Lane {
    let lane = stream.lanes.get(symbol);
    if (!lane) {
      lane = { symbol, open: new EnvelopeBuilder(this.maxRecordBytes), sealed: [], overflowing: false };
      stream.lanes.set(symbol, lane);
    }
    return lane;
  }

  private refuse(stream: StreamState, lane: Lane): void {
    this.framesRefused++;
    this.o.metrics.overflowFrames.inc({ stream: stream.kind });
    if (!lane.overflowing) {
      lane.overflowing = true;
      this.o.log?.('error', 'Kinesis buffer full: refusing frames', {
        stream: stream.kind,
        symbol: lane.symbol,
      });
      this.o.onOverflow?.(stream.kind, lane.symbol);
    }
  }

  private seal(lane: Lane): void {
    if (lane.open.frameCount === 0) return;
    lane.sealed.push({ data: lane.open.finish(), frames: lane.open.frameCount });
    lane.open.reset();
  }

  private schedule(stream: StreamState): void {
    if (stream.inFlight || stream.timer) return;
    stream.timer = setTimeout(() => {
      stream.timer = undefined;
      this.pump(stream);
    }, this.lingerMs);
  }

  /** Sends the head record of every lane of the stream in one PutRecords call. */
  private pump(stream: StreamState): void {
    if (stream.inFlight || stream.timer) return;
    const batch: { lane: Lane; record: SealedRecord }[] = [];
    let bytes = 0;
    for (const lane of stream.lanes.values()) {
      if (lane.sealed.length === 0) this.seal(lane);
      const record = lane.sealed[0];
      if (!record) continue;
      if (batch.length === MAX_ENTRIES_PER_CALL || bytes + record.data.length > MAX_BYTES_PER_CALL) break;
      batch.push({ lane, record });
      bytes += record.data.length;
    }
    if (batch.length === 0) {
      this.notifyIfIdle();
      return;
    }
    stream.inFlight = true;
    void this.put(stream, batch);
  }

  private async put(stream: StreamState, batch: { lane: Lane; record: SealedRecord }[]): Promise<void> {
    const entries: PutRecordsRequestEntry[] = batch.map(({ lane, record }) => ({
      Data: record.data,
      PartitionKey: lane.symbol,
    }));
    const endTimer = this.o.metrics.putDuration.startTimer({ stream: stream.kind });
    let failed = 0;
    try {
      const response = await this.o.client.send(
        new PutRecordsCommand({ StreamName: stream.name, Records: entries }),
      );
      const results = response.Records ?? [];
      batch.forEach(({ lane, record }, i) => {
        const result = results[i];
        if (result && !result.ErrorCode && result.SequenceNumber) {
          lane.sealed.shift();
          this.delivered(stream, record);
        } else {
          failed++;
          this.o.metrics.putFailures.inc({ stream: stream.kind, error: result?.ErrorCode ?? 'NoResult' });
        }
      });
    } catch (error) {
      failed = batch.length;
      const code = (error as { name?: string }).name ?? 'Error';
      this.o.metrics.putFailures.inc({ stream: stream.kind, error: code }, batch.length);
      this.o.log?.('warn', 'PutRecords failed; will retry', { stream: stream.kind, error: String(error) });
    } finally {
      endTimer();
    }
    stream.inFlight = false;
    if (failed > 0) {
      this.recordsFailed += failed;
      this.consecutiveFailures++;
      const delayMs = backoffDelayMs(this.retry, stream.attempt++, this.o.random);
      stream.timer = setTimeout(() => {
        stream.timer = undefined;
        this.pump(stream);
      }, delayMs);
    } else {
      stream.attempt = 0;
      this.consecutiveFailures = 0;
      this.pump(stream);
    }
  }

  private delivered(stream: StreamState, record: SealedRecord): void {
    const frameBytes = record.data.length - 8;
    this.buffered -= frameBytes;
    this.recordsPut++;
    this.framesPut += record.frames;
    this.bytesPut += record.data.length;
    this.o.metrics.recordsPut.inc({ stream: stream.kind });
    this.o.metrics.framesPut.inc({ stream: stream.kind }, record.frames);
    this.updatePressure();
  }

  private updatePressure(): void {
    this.o.metrics.bufferedBytes.set(this.buffered);
    if (!this.pressure && this.buffered > this.maxBufferedBytes * 0.75) {
      this.pressure = true;
      this.o.onPressure?.(true);
    } else if (this.pressure && this.buffered < this.maxBufferedBytes * 0.5) {
      this.pressure = false;
      this.o.onPressure?.(false);
    }
  }

  private notifyIfIdle(): void {
    if (this.buffered !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
