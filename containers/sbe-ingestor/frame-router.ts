/**
 * Per frame: read the header and ids through the WASM decoder (allocation-free), check continuity
 * per symbol and stream, and hand every frame that carries something new to the publisher exactly
 * as received. Stateless apart from the continuity trackers; the connection it came from does not
 * matter, which is what makes a make-before-break rotation lossless and duplicate-free.
 */

import { STREAM_KINDS, type StreamKind, streamKindOf } from '../../core/market/streams.ts';
import { Field, Status, TemplateId, TRADE_STRIDE } from '../../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { type DecodedBatch, field, SymbolCache, symbolAt } from '../../core/sbe/decoded-batch.ts';
import { errorForStatus } from '../../core/sbe/errors.ts';
import { type ContinuityVerdict, IdContinuity, MonotonicIds } from '../../core/sequence/id-continuity.ts';
import type { IngestorMetrics } from './ingestor-metrics.ts';

/** A sequence anomaly the ingestor saw: the gap detector and the book re-anchor act on these. */
export interface SequenceGapEvent {
  symbol: string;
  /** `depth` (diff update ids), `trade` (trade ids), `depth20` or `bestBidAsk` (duplicates only). */
  sequence: 'depth' | 'trade' | 'depth20' | 'bestBidAsk';
  reason: 'missing' | 'duplicate' | 'reordered';
  firstId: number;
  lastId: number;
  missingFrom?: number;
  missingCount?: number;
  eventTimeUs: number;
}

export interface FrameSink {
  /** False when the frame could not be buffered (overflow, already signalled by the sink). */
  add(kind: StreamKind, symbol: string, frame: Uint8Array, receiveTimeUs: number): boolean;
}

interface SymbolSequences {
  depth: IdContinuity;
  trade: IdContinuity;
  /** Keyed by event time (see check()). */
  depth20: MonotonicIds;
  bestBidAsk: MonotonicIds;
}

export class FrameRouter {
  /** Newest exchange event time seen, and the local time (ms) when it last moved forward. */
  maxEventTimeUs = 0;
  eventTimeAdvancedAtMs = 0;
  private readonly sequences = new Map<string, SymbolSequences>();
  private readonly symbols = new SymbolCache();
  private readonly messagesByKind: Record<StreamKind, { inc(): void }>;
  private readonly lagByKind: Record<StreamKind, { observe(v: number): void }>;

  constructor(
    private readonly decoder: SbeBatchDecoder,
    private readonly sink: FrameSink,
    private readonly metrics: IngestorMetrics,
    private readonly onGap: (event: SequenceGapEvent) => void,
    private readonly onDecodeError: (error: Error, frame: Uint8Array) => void = () => {},
    private readonly nowMs: () => number = Date.now,
  ) {
    const byKind = <T>(make: (kind: StreamKind) => T) =>
      Object.fromEntries(STREAM_KINDS.map((k) => [k, make(k)])) as Record<StreamKind, T>;
    this.messagesByKind = byKind((stream) => metrics.messages.labels({ stream }));
    this.lagByKind = byKind((stream) => metrics.exchangeLag.labels({ stream }));
  }

  handle(frame: Uint8Array, receiveTimeUs: number): void {
    const batch = this.decoder.decodeFrame(frame);
    const status = field(batch, 0, Field.Status);
    if (status !== Status.Ok) {
      if (status === Status.UnknownTemplate) {
        this.metrics.unknownTemplates.inc();
        return;
      }
      const error = errorForStatus(status, field(batch, 0, Field.ErrorDetail)) as Error;
      this.metrics.decodeErrors.inc({ error: error.name });
      this.onDecodeError(error, frame);
      return;
    }
    const templateId = field(batch, 0, Field.TemplateId);
    const kind = streamKindOf(templateId) as StreamKind;
    const symbol = symbolAt(batch, 0, this.symbols);
    const eventTimeUs = field(batch, 0, Field.EventTimeUs);
    if (eventTimeUs > this.maxEventTimeUs) {
      this.maxEventTimeUs = eventTimeUs;
      this.eventTimeAdvancedAtMs = this.nowMs();
    }
    this.messagesByKind[kind].inc();
    this.lagByKind[kind].observe(Math.max(0, receiveTimeUs - eventTimeUs) / 1e6);
    const { sequence, verdict, firstId, lastId } = this.check(batch, templateId, this.sequencesOf(symbol));
    if (verdict.issue) {
      this.metrics.sequenceGaps.inc({ stream: kind, reason: verdict.issue });
      this.onGap({
        symbol,
        sequence,
        reason: verdict.issue,
        firstId,
        lastId,
        missingFrom: verdict.missingFrom,
        missingCount: verdict.missingCount,
        eventTimeUs,
      });
    }
    if (verdict.forward) this.sink.add(kind, symbol, frame, receiveTimeUs);
  }

  /** The last depth update id forwarded for a symbol (for health and tests). */
  lastDepthUpdateId(symbol: string): number | undefined {
    return this.sequences.get(symbol)?.depth.lastId;
  }

  private check(batch: DecodedBatch, templateId: number, s: SymbolSequences) {
    const firstUpdateId = field(batch, 0, Field.FirstUpdateId);
    const lastUpdateId = field(batch, 0, Field.LastUpdateId);
    switch (templateId) {
      case TemplateId.DepthDiff:
        return {
          sequence: 'depth' as const,
          verdict: s.depth.accept(firstUpdateId, lastUpdateId),
          firstId: firstUpdateId,
          lastId: lastUpdateId,
        };
      case TemplateId.DepthSnapshot: {
        // depth20 repeats its bookUpdateId while the book stands still (every 50 ms regardless), so
        // a new snapshot is told from a repeat by its event time, not its id.
        const eventTimeUs = field(batch, 0, Field.EventTimeUs);
        return {
          sequence: 'depth20' as const,
          verdict: s.depth20.accept(eventTimeUs),
          firstId: lastUpdateId,
          lastId: lastUpdateId,
        };
      }
      case TemplateId.BestBidAsk:
        return {
          sequence: 'bestBidAsk' as const,
          verdict: s.bestBidAsk.accept(lastUpdateId),
          firstId: lastUpdateId,
          lastId: lastUpdateId,
        };
      default: {
        const start = field(batch, 0, Field.EntryStart);
        const count = field(batch, 0, Field.BidCount);
        if (count === 0)
          return {
            sequence: 'trade' as const,
            verdict: { forward: true } as ContinuityVerdict,
            firstId: 0,
            lastId: 0,
          };
        const firstId = batch.trades[start * TRADE_STRIDE] as number;
        const lastId = batch.trades[(start + count - 1) * TRADE_STRIDE] as number;
        return { sequence: 'trade' as const, verdict: s.trade.accept(firstId, lastId), firstId, lastId };
      }
    }
  }

  private sequencesOf(symbol: string): SymbolSequences {
    let s = this.sequences.get(symbol);
    if (!s) {
      s = {
        depth: new IdContinuity(),
        trade: new IdContinuity(),
        depth20: new MonotonicIds(),
        bestBidAsk: new MonotonicIds(),
      };
      this.sequences.set(symbol, s);
    }
    return s;
  }
}
