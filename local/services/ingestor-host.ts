/**
 * The SBE ingestor in its own worker thread (started by ingestor-thread.ts), composed as on Fargate
 * (containers/sbe-ingestor/compose.ts) and pointed at the local venue and the Kinesis emulator by URL.
 * It reports its counters, health and hop latencies; the runtime turns its connection and gap
 * notices into timeline entries.
 */

import { composeIngestor } from '../../containers/sbe-ingestor/compose.ts';
import type { IngestorHealth } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import type { StreamKind } from '../../core/market/streams.ts';
import { type HopLatency, promHistogram } from '../dashboard/hop-latency.ts';
import { hostService } from '../threads/service-host.ts';

export interface IngestorHostConfig {
  wsBaseUrl: string;
  apiKey: string;
  symbols: string[];
  aws: { region: string; endpoint: string };
  streamNames: Record<StreamKind, string>;
}

export interface IngestorReport {
  frames: { received: number; decoded: number; errors: number };
  publisher: {
    recordsPut: number;
    recordsFailed: number;
    framesPut: number;
    bytesPut: number;
    framesRefused: number;
    bufferedBytes: number;
  };
  health: IngestorHealth;
  /** The last depth update id routed, per symbol. */
  lastDepthUpdateId: Record<string, number | null>;
  /** `<stream>:<reason>` → count. */
  sequenceGaps: Record<string, number>;
  reconnects: Record<string, number>;
  /** exchange → ingestor, ingestor → Kinesis (PutRecords). */
  latency: HopLatency[];
}

/** Notices the runtime turns into timeline entries. */
export type IngestorNotice = { kind: 'reconnect' | 'decode-error' | 'ingestor-gap'; detail: string };

hostService<IngestorHostConfig, IngestorReport>(async ({ config, log, emit }) => {
  const notice = (n: IngestorNotice) => emit('notice', n);
  const ingestor = composeIngestor({
    ...config,
    reconnect: { baseMs: 100, capMs: 2000 },
    staleAfterMs: 3000,
    log: (level, message, fields) => {
      if (level !== 'info') log(level, message, fields);
      if (message.includes('connection closed') || message.includes('stale'))
        notice({ kind: 'reconnect', detail: message });
      if (message.startsWith('frame skipped'))
        notice({ kind: 'decode-error', detail: String(fields?.error ?? message) });
    },
    onGap: (g) => {
      if (g.kind === 'sequence' && g.reason !== 'duplicate') {
        notice({ kind: 'ingestor-gap', detail: `${g.symbol} ${g.sequence} ${g.reason} at ${g.firstId}` });
      }
    },
  });
  const m = ingestor.metrics;
  const byLabel = async (metric: typeof m.sequenceGaps, key: (l: Record<string, unknown>) => string) => {
    const out: Record<string, number> = {};
    for (const v of (await metric.get()).values) out[key(v.labels)] = (out[key(v.labels)] ?? 0) + v.value;
    return out;
  };
  await ingestor.start();
  return {
    ready: {},
    async report(): Promise<IngestorReport> {
      const s = ingestor.decoder.stats;
      const p = ingestor.publisher;
      return {
        frames: { received: s.frames, decoded: s.decoded, errors: s.errors },
        publisher: {
          recordsPut: p.recordsPut,
          recordsFailed: p.recordsFailed,
          framesPut: p.framesPut,
          bytesPut: p.bytesPut,
          framesRefused: p.framesRefused,
          bufferedBytes: p.bufferedBytes,
        },
        health: ingestor.health(),
        lastDepthUpdateId: Object.fromEntries(
          config.symbols.map((symbol) => [symbol, ingestor.router.lastDepthUpdateId(symbol) ?? null]),
        ),
        sequenceGaps: await byLabel(m.sequenceGaps, (l) => `${l.stream}:${l.reason}`),
        reconnects: await byLabel(m.reconnects, (l) => String(l.reason)),
        latency: [
          await promHistogram('exchange → ingestor', m.exchangeLag),
          await promHistogram('ingestor → Kinesis (PutRecords)', m.putDuration),
        ],
      };
    },
    /** Stops reading and flushes what is buffered: true when everything received was written. */
    stop: () => ingestor.stop(10_000),
  };
});
