/**
 * The ingestor's Prometheus metrics (served at /metrics, names as in the seeds), one registry per
 * ingestor instance so that tests and the local runtime can run several side by side. Hot-path
 * counters are resolved to their labelled children once.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StreamKind } from '../../core/market/streams.ts';

export class IngestorMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  readonly messages = new Counter({
    name: 'ingestor_sbe_messages_total',
    help: 'SBE frames received and decoded, per Kinesis stream',
    labelNames: ['stream'],
    registers: this.r,
  });
  readonly sequenceGaps = new Counter({
    name: 'ingestor_sbe_sequence_gaps_total',
    help: 'Sequence anomalies per stream and reason (missing, duplicate, reordered, overflow)',
    labelNames: ['stream', 'reason'],
    registers: this.r,
  });
  readonly decodeErrors = new Counter({
    name: 'ingestor_sbe_decode_errors_total',
    help: 'Frames that failed to decode, skipped, per error',
    labelNames: ['error'],
    registers: this.r,
  });
  readonly unknownTemplates = new Counter({
    name: 'ingestor_sbe_unknown_templates_total',
    help: 'Frames of templates this version does not know, skipped by design',
    registers: this.r,
  });
  readonly controlMessages = new Counter({
    name: 'ingestor_ws_control_messages_total',
    help: 'JSON text frames received, per type',
    labelNames: ['type'],
    registers: this.r,
  });
  readonly reconnects = new Counter({
    name: 'ingestor_ws_reconnects_total',
    help: 'New connections opened, per reason (initial, closed, stale, rotation, shutdown)',
    labelNames: ['reason'],
    registers: this.r,
  });
  readonly connections = new Gauge({
    name: 'ingestor_ws_connections',
    help: 'Open market-data connections (2 during a make-before-break rotation)',
    registers: this.r,
  });
  readonly exchangeLag = new Histogram({
    name: 'ingestor_exchange_lag_seconds',
    help: 'Receive time minus exchange event time',
    labelNames: ['stream'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: this.r,
  });
  readonly recordsPut = new Counter({
    name: 'ingestor_kinesis_records_put_total',
    help: 'Kinesis records written, per stream',
    labelNames: ['stream'],
    registers: this.r,
  });
  readonly framesPut = new Counter({
    name: 'ingestor_kinesis_frames_put_total',
    help: 'SBE frames written to Kinesis inside records, per stream',
    labelNames: ['stream'],
    registers: this.r,
  });
  readonly putFailures = new Counter({
    name: 'ingestor_kinesis_put_failures_total',
    help: 'Kinesis records that failed and were retried, per stream and error code',
    labelNames: ['stream', 'error'],
    registers: this.r,
  });
  readonly putDuration = new Histogram({
    name: 'ingestor_kinesis_put_duration_seconds',
    help: 'PutRecords call duration',
    labelNames: ['stream'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: this.r,
  });
  readonly bufferedBytes = new Gauge({
    name: 'ingestor_buffer_bytes',
    help: 'Bytes waiting to be written to Kinesis',
    registers: this.r,
  });
  readonly overflowFrames = new Counter({
    name: 'ingestor_buffer_overflow_frames_total',
    help: 'Frames refused because the buffer was full (each episode also signals a gap)',
    labelNames: ['stream'],
    registers: this.r,
  });

  /** The number a counter or gauge holds for the given labels (0 if never set). */
  async value(metric: Counter | Gauge, labels: Record<string, string> = {}): Promise<number> {
    const { values } = await metric.get();
    const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return match?.value ?? 0;
  }

  /** Sum over every label set. */
  async total(metric: Counter | Gauge): Promise<number> {
    const { values } = await metric.get();
    return values.reduce((sum, v) => sum + v.value, 0);
  }
}

export type { StreamKind };
