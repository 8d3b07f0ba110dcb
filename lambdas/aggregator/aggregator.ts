/**
 * The aggregator's logic behind the Lambda handler: Kinesis records (frame envelopes) → WASM batch
 * decode → core planners on the warm in-memory mirror → one Redis pipeline per batch. On a
 * compare-and-set conflict (another invocation or a re-anchor moved Redis on) the symbol is reloaded
 * and its frames planned again: a second round trip, only then.
 *
 * Records are processed in order; a record that cannot be read (not an envelope) stops the batch
 * there and is reported, so Lambda retries from it, bisects, and finally dead-letters it.
 */
import { DepthBatch, type SymbolDepthState } from '../../core/aggregation/depth-batch.ts';
import { type SymbolTradeState, TradeBatch } from '../../core/aggregation/trade-batch.ts';
import { OrderBook } from '../../core/book/order-book.ts';
import {
  allocateEnvelopeFrames,
  EnvelopeFormatError,
  type EnvelopeFrames,
  readEnvelope,
} from '../../core/envelope/frame-envelope.ts';
import { computeFeatures } from '../../core/features/compute-features.ts';
import { featureVectorToJSON } from '../../core/features/feature-names.ts';
import { FeatureState } from '../../core/features/feature-state.ts';
import { describeSequenceGap } from '../../core/hot-state/reanchor-request.ts';
import { Field, Status, TemplateId } from '../../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { field, SymbolCache, symbolAt } from '../../core/sbe/decoded-batch.ts';
import { TradeWindows } from '../../core/trades/trade-windows.ts';
import type {
  BestBidAskWrite,
  DepthScriptWrite,
  LoadedDepthState,
  RedisHotState,
} from '../shared/redis/redis-hot-state.ts';

export interface AggregatorRecord {
  data: Uint8Array;
  sequenceNumber: string;
}

export interface ReanchorRequest {
  symbol: string;
  reason: string;
  detail: string;
}

export interface BatchOutcome {
  /** Sequence number of the first record not processed (undefined: all were). */
  failedSequenceNumber?: string;
  failure?: Error;
  frames: number;
  decodeErrors: number;
  diffsApplied: number;
  diffsOld: number;
  trades: number;
  tradeDuplicates: number;
  /** Trades no window can hold (e.g. zero quantity): counted and skipped, never failing the batch. */
  invalidTrades: number;
  bestBidAsk: number;
  checks: number;
  mismatches: number;
  conflicts: number;
  /** Writes plus the state loads of cold starts and conflicts. */
  redisRoundTrips: number;
  reanchorRequests: ReanchorRequest[];
  /** Exchange event time → confirmed in Redis, one entry per event written (ms). */
  latenciesMs: number[];
  /** Received by the ingestor → confirmed in Redis (ms): our own path, whatever the exchange's clock. */
  receiveLatenciesMs: number[];
}

/** Compare-and-set rounds before the batch is failed (Lambda then retries it). */
const MAX_ATTEMPTS = 8;
const CONFLICT_PAUSE_MS = 3;

interface DepthMirror extends SymbolDepthState {
  version: number;
  tradeVersion: number;
  tradeWindows: TradeWindows;
}

const freshOutcome = (): BatchOutcome => ({
  frames: 0,
  decodeErrors: 0,
  diffsApplied: 0,
  diffsOld: 0,
  trades: 0,
  tradeDuplicates: 0,
  invalidTrades: 0,
  bestBidAsk: 0,
  checks: 0,
  mismatches: 0,
  conflicts: 0,
  redisRoundTrips: 0,
  reanchorRequests: [],
  latenciesMs: [],
  receiveLatenciesMs: [],
});

export class Aggregator {
  private readonly depth = new Map<string, DepthMirror>();
  private readonly trades = new Map<string, SymbolTradeState>();
  private readonly frames: EnvelopeFrames = allocateEnvelopeFrames();
  private readonly symbols = new SymbolCache();

  constructor(
    private readonly store: RedisHotState,
    private readonly decoder: SbeBatchDecoder,
    /** Wall clock in µs (latency and stale timestamps only, never market logic). */
    private readonly nowUs: () => number,
  ) {}

  /** Forgets the mirror (tests; a real reload happens on conflicts and cold starts). */
  reset(): void {
    this.depth.clear();
    this.trades.clear();
  }

  async process(records: readonly AggregatorRecord[]): Promise<BatchOutcome> {
    const outcome = freshOutcome();
    // Readable records first: the batch stops at the first one that is not an envelope.
    let usable = records.length;
    for (let r = 0; r < records.length; r++) {
      try {
        readEnvelope((records[r] as AggregatorRecord).data, this.frames);
      } catch (error) {
        if (!(error instanceof EnvelopeFormatError)) throw error;
        usable = r;
        outcome.failedSequenceNumber = records[r]?.sequenceNumber;
        outcome.failure = error;
        break;
      }
    }
    const batch = records.slice(0, usable);
    let retry: Set<string> | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const conflicted = await this.plan(batch, outcome, retry, attempt === 0);
      if (conflicted.size === 0) return outcome;
      outcome.conflicts += conflicted.size;
      for (const symbol of conflicted) {
        this.depth.delete(symbol);
        this.trades.delete(symbol);
      }
      retry = conflicted;
      // Overlapping writers on one symbol: a short random pause lets one of them win the next round.
      await new Promise((r) => setTimeout(r, Math.random() * CONFLICT_PAUSE_MS * (attempt + 1)));
    }
    throw new Error(`Redis state kept changing under the batch for ${[...(retry ?? [])].join(', ')}.`);
  }

  /** Plans and writes the batch (only `only` symbols on a retry); returns the symbols in conflict. */
  private async plan(
    records: readonly AggregatorRecord[],
    outcome: BatchOutcome,
    only: Set<string> | undefined,
    firstAttempt: boolean,
  ): Promise<Set<string>> {
    // Another invocation on this instance may drop a mirror (its conflict) while this one awaits, so
    // the check that every mirror is there runs with no await between it and the planning below.
    for (let needed = await this.loadMissing(records, only, outcome); !this.mirrored(needed); )
      needed = await this.loadMissing(records, only, outcome);
    // From here to the write nothing awaits: the decoder's records and the envelope scratch area are
    // shared, and another invocation in this process (the local runtime runs three) may decode as
    // soon as this one yields.
    const depthBatches = new Map<string, DepthBatch>();
    const tradeBatches = new Map<string, TradeBatch>();
    const bestBidAsk = new Map<string, BestBidAskWrite>();
    for (const record of records) {
      const count = readEnvelope(record.data, this.frames);
      const decoded = this.decoder.decodeBatch(record.data, this.frames.offsets, this.frames.lengths, count);
      for (let i = 0; i < count; i++) {
        const status = field(decoded, i, Field.Status);
        if (status !== Status.Ok) {
          if (firstAttempt && status < 0) outcome.decodeErrors++;
          continue;
        }
        const symbol = symbolAt(decoded, i, this.symbols);
        if (only && !only.has(symbol)) continue;
        if (firstAttempt) outcome.frames++;
        const templateId = field(decoded, i, Field.TemplateId);
        const eventTimeUs = field(decoded, i, Field.EventTimeUs);
        const start = field(decoded, i, Field.EntryStart);
        const bidCount = field(decoded, i, Field.BidCount);
        const askCount = field(decoded, i, Field.AskCount);
        if (templateId === TemplateId.DepthDiff || templateId === TemplateId.DepthSnapshot) {
          let b = depthBatches.get(symbol);
          if (!b) {
            b = new DepthBatch(this.depth.get(symbol) as DepthMirror, firstAttempt);
            depthBatches.set(symbol, b);
          }
          if (templateId === TemplateId.DepthDiff) {
            const at = this.frames.offsets[i] as number;
            const frame = record.data.subarray(at, at + (this.frames.lengths[i] as number));
            const first = field(decoded, i, Field.FirstUpdateId);
            const last = field(decoded, i, Field.LastUpdateId);
            const received = this.frames.receiveTimesUs[i] as number;
            b.diff(first, last, eventTimeUs, decoded.levels, start, bidCount, askCount, frame, received);
          } else {
            b.snapshot(field(decoded, i, Field.LastUpdateId), decoded.levels, start, bidCount, askCount);
          }
        } else if (templateId === TemplateId.Trades) {
          let b = tradeBatches.get(symbol);
          if (!b) {
            b = new TradeBatch(this.trades.get(symbol) as SymbolTradeState);
            tradeBatches.set(symbol, b);
          }
          b.frame(
            field(decoded, i, Field.TransactTimeUs),
            eventTimeUs,
            field(decoded, i, Field.PriceExponent),
            field(decoded, i, Field.QtyExponent),
            decoded.trades,
            start,
            bidCount,
            this.frames.receiveTimesUs[i] as number,
          );
        } else if (templateId === TemplateId.BestBidAsk) {
          const id = field(decoded, i, Field.LastUpdateId);
          const current = bestBidAsk.get(symbol);
          if (!current || id > current.bookUpdateId) {
            bestBidAsk.set(symbol, {
              symbol,
              bookUpdateId: id,
              eventTimeUs,
              bidPrice: field(decoded, i, Field.BidPrice),
              bidQty: field(decoded, i, Field.BidQty),
              askPrice: field(decoded, i, Field.AskPrice),
              askQty: field(decoded, i, Field.AskQty),
              priceExponent: field(decoded, i, Field.PriceExponent),
              qtyExponent: field(decoded, i, Field.QtyExponent),
            });
          }
          if (firstAttempt) outcome.bestBidAsk++;
        }
      }
    }
    return this.write(depthBatches, tradeBatches, [...bestBidAsk.values()], outcome);
  }

  /**
   * Loads the state of every symbol the batch touches that is not mirrored yet (cold start, or after
   * a conflict): a first pass over the records collects them, then the loads run with no decoded
   * record held across them.
   */
  private async loadMissing(
    records: readonly AggregatorRecord[],
    only: Set<string> | undefined,
    outcome: BatchOutcome,
  ): Promise<{ depth: Set<string>; trades: Set<string> }> {
    const needed = { depth: new Set<string>(), trades: new Set<string>() };
    const depth = new Map<string, { priceExponent: number; qtyExponent: number }>();
    const trades = new Set<string>();
    for (const record of records) {
      const count = readEnvelope(record.data, this.frames);
      const decoded = this.decoder.decodeBatch(record.data, this.frames.offsets, this.frames.lengths, count);
      for (let i = 0; i < count; i++) {
        if (field(decoded, i, Field.Status) !== Status.Ok) continue;
        const symbol = symbolAt(decoded, i, this.symbols);
        if (only && !only.has(symbol)) continue;
        const templateId = field(decoded, i, Field.TemplateId);
        if (templateId === TemplateId.DepthDiff || templateId === TemplateId.DepthSnapshot) {
          needed.depth.add(symbol);
          if (!this.depth.has(symbol) && !depth.has(symbol)) {
            depth.set(symbol, {
              priceExponent: field(decoded, i, Field.PriceExponent),
              qtyExponent: field(decoded, i, Field.QtyExponent),
            });
          }
        } else if (templateId === TemplateId.Trades) {
          needed.trades.add(symbol);
          if (!this.trades.has(symbol)) trades.add(symbol);
        }
      }
    }
    for (const [symbol, e] of depth) {
      await this.loadDepth(symbol, e.priceExponent, e.qtyExponent);
      outcome.redisRoundTrips++;
    }
    for (const symbol of trades) {
      await this.loadTrades(symbol);
      outcome.redisRoundTrips++;
    }
    return needed;
  }

  private mirrored(needed: { depth: Set<string>; trades: Set<string> }): boolean {
    for (const symbol of needed.depth) if (!this.depth.has(symbol)) return false;
    for (const symbol of needed.trades) if (!this.trades.has(symbol)) return false;
    return true;
  }

  private async write(
    depthBatches: Map<string, DepthBatch>,
    tradeBatches: Map<string, TradeBatch>,
    bestBidAsk: BestBidAskWrite[],
    outcome: BatchOutcome,
  ): Promise<Set<string>> {
    const depth: DepthScriptWrite[] = [];
    for (const batch of depthBatches.values()) {
      const mirror = batch.state as DepthMirror;
      const plan = batch.finish();
      let featuresJson: string | undefined;
      if (mirror.book && !mirror.stale && plan.featureTop && plan.featureTimeUs !== undefined) {
        featuresJson = JSON.stringify(
          featureVectorToJSON(
            computeFeatures(mirror.features, plan.featureTop, mirror.tradeWindows, plan.featureTimeUs),
          ),
        );
      }
      depth.push({
        plan,
        expectedVersion: mirror.version,
        featuresJson,
        featureStateJson: plan.applied > 0 ? JSON.stringify(mirror.features.toJSON()) : undefined,
        cachedTradeVersion: mirror.tradeVersion,
      });
    }
    const tradeWrites = [];
    for (const b of tradeBatches.values()) {
      const w = b.finish();
      // A batch of nothing but duplicates writes nothing.
      outcome.invalidTrades += b.counts.invalid;
      if (w) tradeWrites.push(w);
      else outcome.tradeDuplicates += b.counts.duplicates;
    }
    if (depth.length + tradeWrites.length + bestBidAsk.length === 0) return new Set();
    const results = await this.store.write({ depth, trades: tradeWrites, bestBidAsk }, this.nowUs());
    outcome.redisRoundTrips++;
    const writtenAtUs = this.nowUs();
    const conflicted = new Set<string>();
    depth.forEach((w, k) => {
      const r = results.depth[k];
      const mirror = depthBatches.get(w.plan.symbol)?.state as DepthMirror;
      if (!r?.applied) {
        conflicted.add(w.plan.symbol);
        return;
      }
      mirror.version = r.version;
      if (r.tradeState !== undefined) {
        mirror.tradeWindows = TradeWindows.fromJSON(r.tradeState);
        mirror.tradeVersion = r.tradeVersion;
      }
      const p = w.plan;
      outcome.diffsApplied += p.applied;
      outcome.diffsOld += p.old;
      outcome.checks += p.checks;
      outcome.mismatches += p.mismatches;
      for (const t of p.appliedEventTimesUs) outcome.latenciesMs.push((writtenAtUs - t) / 1000);
      for (const t of p.appliedReceiveTimesUs) outcome.receiveLatenciesMs.push((writtenAtUs - t) / 1000);
      if (p.markStale) {
        outcome.reanchorRequests.push({
          symbol: p.symbol,
          reason: p.markStale.reason,
          detail: describeSequenceGap(p.markStale),
        });
      }
    });
    tradeWrites.forEach((w, k) => {
      const r = results.trades[k];
      if (!r?.applied) {
        conflicted.add(w.symbol);
        return;
      }
      outcome.trades += w.added;
      outcome.tradeDuplicates += w.duplicates;
      for (const t of w.eventTimesUs) outcome.latenciesMs.push((writtenAtUs - t) / 1000);
      for (const t of w.receiveTimesUs) outcome.receiveLatenciesMs.push((writtenAtUs - t) / 1000);
    });
    for (const w of bestBidAsk) outcome.latenciesMs.push((writtenAtUs - w.eventTimeUs) / 1000);
    return conflicted;
  }

  private async loadDepth(symbol: string, priceExponent: number, qtyExponent: number): Promise<DepthMirror> {
    const loaded: LoadedDepthState = await this.store.loadDepth(symbol);
    const mirror: DepthMirror = {
      symbol,
      book: loaded.epoch > 0 ? OrderBook.fromSnapshot(loaded.updateId, loaded.bids, loaded.asks) : undefined,
      epoch: loaded.epoch,
      stale: loaded.stale,
      priceExponent,
      qtyExponent,
      features: loaded.featureState ? FeatureState.fromJSON(loaded.featureState) : new FeatureState(),
      version: loaded.version,
      tradeVersion: loaded.tradeVersion,
      tradeWindows: loaded.tradeState ? TradeWindows.fromJSON(loaded.tradeState) : new TradeWindows(),
    };
    this.depth.set(symbol, mirror);
    return mirror;
  }

  private async loadTrades(symbol: string): Promise<SymbolTradeState> {
    const loaded = await this.store.loadTrades(symbol);
    const state = {
      symbol,
      version: loaded.version,
      windows: loaded.state ? TradeWindows.fromJSON(loaded.state) : new TradeWindows(),
    };
    this.trades.set(symbol, state);
    return state;
  }
}
