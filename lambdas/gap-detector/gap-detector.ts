/**
 * The gap detector's logic, one run per symbol (EventBridge every minute, or a hot-path signal):
 * (a) sequence gaps: the re-anchor requests the aggregator logged since the last run, and a book
 *     still marked stale in Redis (its re-anchor is requested again);
 * (b) time gaps: the depth stream silent for more than `depthSilenceMs` of exchange time while
 *     bestBidAsk moved on (a re-anchor is requested once per episode);
 * (c) trade-id gaps: ids REST aggTrades cover that the archived trade stream lacks; the missing
 *     trades are back-filled from REST by aggregate id into `rest/aggTrades_backfill`;
 * (d) volume: each minute's streamed volume against REST's kline volume.
 * It reads bronze incrementally (objects it has not seen, from one hour before the newest it has),
 * keeps its state in a checkpoint written after its data (back-fills, ledgers), and rewrites the
 * day's completeness ledger each run. A crashed run is redone from the previous checkpoint: the
 * back-fill and ledger keys are the same, so it overwrites. A back-fill REST refuses to serve now
 * (the IP's shared budget is spent, or Binance said back off) stays pending in the state and is
 * fetched by a later run: the other checks go on meanwhile.
 */

import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import {
  type BronzeDataset,
  bronzeKey,
  checkpointKey,
  datasetPrefix,
  parseBronzeKey,
  utcDay,
} from '../../core/bronze/bronze-keys.ts';
import type { AggTradeLine, KlineLine, StreamFrameLine } from '../../core/bronze/bronze-lines.ts';
import type { BronzeReader, BronzeWriter, CheckpointStore } from '../../core/bronze/bronze-store.ts';
import {
  addGap,
  dayLines,
  type LedgerStream,
  type Ledgers,
  ledgerLine,
  pruneLedgers,
} from '../../core/gaps/completeness-ledger.ts';
import {
  countByReason,
  type GapFinding,
  type GapReason,
  reasonOfStale,
} from '../../core/gaps/gap-findings.ts';
import { IdIntervals, type IdRange } from '../../core/gaps/id-intervals.ts';
import { type AggRef, findTradeIdGaps } from '../../core/gaps/trade-id-gaps.ts';
import { compareMinuteVolumes } from '../../core/gaps/volume-check.ts';
import { missingIds } from '../../core/hot-state/reanchor-request.ts';
import { STREAM_KINDS, STREAM_TABLE } from '../../core/market/streams.ts';
import { RequestDeferredError } from '../../core/rate-limit/rest-limiter.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';
import { RateLimitedError } from '../shared/binance/binance-rest-client.ts';
import type { AggTradesById, GapSignals, ReanchorTrigger } from './ports.ts';

export const DETECTOR_JOB = 'gap-detector';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Binance's largest aggTrades page. */
const PAGE_LIMIT = 1000;
const EXPONENT = -8;

export interface GapDetectorOptions {
  /** Exchange-time silence of the depth stream that is a gap. @default 5_000 (the 5 s) */
  depthSilenceMs?: number;
  /** Relative volume tolerance per minute. @default 0 (exact: see core/gaps/volume-check.ts) */
  volumeTolerance?: number;
  /** Days of ledger kept in the state (older ones are final in bronze). @default 2 */
  ledgerDays?: number;
}

export interface GapDetectorDeps {
  reader: BronzeReader;
  writer: BronzeWriter;
  checkpoints: CheckpointStore;
  signals: GapSignals;
  reanchor: ReanchorTrigger;
  rest: AggTradesById;
  decoder: SbeBatchDecoder;
  /** Wall clock (ms): snapshot ages, durations of open gaps. */
  nowMs(): number;
}

export interface DetectionResult {
  symbol: string;
  findings: GapFinding[];
  counts: Record<GapReason, number>;
  backfill: {
    objects: string[];
    tradeIds: IdRange[];
    /** Aggregate-id ranges still to fetch (REST asked to wait), fetched by a later run. */
    pending: IdRange[];
  };
  reanchorsRequested: string[];
  messages: Record<LedgerStream, number>;
  ledgerKeys: string[];
}

interface DetectorState {
  /** dataset → keys already read (in the partitions still listed). */
  seen: Record<string, string[]>;
  streamed: IdRange[];
  streamStartId: number | null;
  streamFirstTimeMs: number | null;
  streamNewestTimeMs: number | null;
  /** minute open time → streamed volume mantissa (minutes not yet compared). */
  streamVolume: Record<string, number>;
  /** REST aggregates not yet decided. */
  rest: AggRef[];
  /** minute open time → REST kline volume mantissa (not yet compared). */
  klines: Record<string, number>;
  checkedThroughTradeId: number | null;
  requestsCursor: string;
  reanchorsSeen: number;
  depthSilence: { sinceUs: number; day: string; index: number } | null;
  ledgers: Ledgers;
  /** Aggregate-id ranges found missing whose back-fill REST deferred (absent in older states). */
  pendingBackfill?: IdRange[];
}

const freshState = (): DetectorState => ({
  seen: {},
  streamed: [],
  streamStartId: null,
  streamFirstTimeMs: null,
  streamNewestTimeMs: null,
  streamVolume: {},
  rest: [],
  klines: {},
  checkedThroughTradeId: null,
  requestsCursor: '0-0',
  reanchorsSeen: 0,
  depthSilence: null,
  ledgers: {},
});

const STREAMS = Object.fromEntries(
  STREAM_KINDS.map((kind) => [kind, STREAM_TABLE[kind].bronzeDataset as BronzeDataset]),
) as Record<LedgerStream, BronzeDataset>;

export class GapDetector {
  private readonly depthSilenceMs: number;
  private readonly volumeTolerance: number;
  private readonly ledgerDays: number;

  constructor(
    private readonly deps: GapDetectorDeps,
    options: GapDetectorOptions = {},
  ) {
    this.depthSilenceMs = options.depthSilenceMs ?? 5_000;
    this.volumeTolerance = options.volumeTolerance ?? 0;
    this.ledgerDays = options.ledgerDays ?? 2;
  }

  async run(symbol: string): Promise<DetectionResult> {
    const stateKey = checkpointKey(DETECTOR_JOB, 'state', symbol);
    const state = (await this.deps.checkpoints.get<DetectorState>(stateKey)) ?? freshState();
    const nowMs = this.deps.nowMs();
    const findings: GapFinding[] = [];
    const touchedDays = new Set<string>();
    const messages = Object.fromEntries(STREAM_KINDS.map((kind) => [kind, 0])) as Record<
      LedgerStream,
      number
    >;
    const streamed = new IdIntervals(state.streamed);

    // Bronze read incrementally: the archive's frames, REST's aggregates and klines.
    for (const [stream, dataset] of Object.entries(STREAMS) as [LedgerStream, BronzeDataset][]) {
      for (const key of await this.newKeys(state, dataset, symbol)) {
        const lines = await this.deps.reader.read<StreamFrameLine>(key);
        for (const line of lines) {
          const day = utcDay(Math.floor(line.eventTimeUs / 1000));
          ledgerLine(state.ledgers, day, stream).messages++;
          touchedDays.add(day);
          messages[stream]++;
          if (stream === 'trade') this.addStreamedTrades(state, streamed, line);
        }
      }
    }
    for (const key of await this.newKeys(state, 'rest/aggTrades', symbol)) {
      for (const a of await this.deps.reader.read<AggTradeLine>(key)) state.rest.push([a.a, a.f, a.l, a.T]);
    }
    for (const key of await this.newKeys(state, 'rest/klines_1m', symbol)) {
      for (const k of await this.deps.reader.read<KlineLine>(key)) {
        state.klines[k.openTimeMs] = parseDecimalMantissa(k.volume, EXPONENT);
      }
    }

    // (c) trade-id gaps, back-filled from REST.
    const check = findTradeIdGaps(
      state.rest,
      streamed,
      state.checkedThroughTradeId ?? undefined,
      state.streamStartId ?? undefined,
    );
    const pending: IdRange[] = state.pendingBackfill ?? [];
    const backfill = { objects: [] as string[], tradeIds: [] as IdRange[], pending };
    for (const gap of check.gaps) {
      const finding: GapFinding = {
        criterion: 'trade-id',
        reason: 'trade-id-gap',
        stream: 'trade',
        symbol,
        fromId: gap.fromId,
        toId: gap.toId,
        durationMs: gap.toTimeMs - gap.fromTimeMs,
        detail: `trade ids ${gap.fromId}-${gap.toId} (aggregates ${gap.fromAggId}-${gap.toAggId}) are in REST aggTrades, not in the trade stream`,
      };
      findings.push(finding);
      const day = utcDay(gap.fromTimeMs);
      addGap(state.ledgers, day, 'trade', {
        cause: finding.reason,
        fromId: gap.fromId,
        toId: gap.toId,
        durationMs: finding.durationMs,
      });
      touchedDays.add(day);
      pending.push([gap.fromAggId, gap.toAggId]);
      backfill.tradeIds.push([gap.fromId, gap.toId]);
    }
    await this.backfillPending(symbol, pending, backfill.objects);
    state.pendingBackfill = pending;
    if (check.checkedThrough !== undefined) {
      const through = check.checkedThrough;
      state.checkedThroughTradeId = through;
      state.rest = state.rest.filter((a) => a[2] > through);
      streamed.pruneBelow(through);
    }
    state.streamed = streamed.toJSON();

    // (d) volume per minute, on the minutes the stream covers whole.
    if (state.streamFirstTimeMs !== null && state.streamNewestTimeMs !== null) {
      const firstFullMinute = Math.ceil(state.streamFirstTimeMs / MINUTE_MS) * MINUTE_MS;
      const volumes = compareMinuteVolumes(
        new Map(Object.entries(state.klines).map(([m, v]) => [Number(m), v])),
        new Map(Object.entries(state.streamVolume).map(([m, v]) => [Number(m), v])),
        firstFullMinute,
        state.streamNewestTimeMs,
        this.volumeTolerance,
      );
      for (const m of volumes.mismatches) {
        const finding: GapFinding = {
          criterion: 'volume',
          reason: 'volume-mismatch',
          stream: 'trade',
          symbol,
          fromId: null,
          toId: null,
          durationMs: MINUTE_MS,
          detail: `minute ${new Date(m.openTimeMs).toISOString()}: kline volume ${m.restVolumeMantissa}e-8, streamed ${m.streamVolumeMantissa}e-8`,
        };
        findings.push(finding);
        const day = utcDay(m.openTimeMs);
        addGap(state.ledgers, day, 'trade', {
          cause: finding.reason,
          fromId: null,
          toId: null,
          durationMs: MINUTE_MS,
        });
        touchedDays.add(day);
      }
      for (const minute of volumes.compared) {
        delete state.klines[minute];
        delete state.streamVolume[minute];
      }
    }

    // (a) and (b): the hot path's signals.
    const reanchorsRequested = await this.hotPathChecks(symbol, state, nowMs, findings, touchedDays);

    pruneLedgers(state.ledgers, this.ledgerDays);
    const ledgerKeys: string[] = [];
    for (const day of [...touchedDays].sort()) {
      if (!state.ledgers[day]) continue;
      const key = bronzeKey('ledger/completeness', symbol, Date.parse(`${day}T00:00:00Z`), day, day);
      await this.deps.writer.write(key, dayLines(state.ledgers, day));
      ledgerKeys.push(key);
    }
    await this.deps.checkpoints.put(stateKey, state);
    return {
      symbol,
      findings,
      counts: countByReason(findings),
      backfill,
      reanchorsRequested,
      messages,
      ledgerKeys,
    };
  }

  /** Keys of `dataset` not read yet, from one hour before the newest partition read. */
  private async newKeys(state: DetectorState, dataset: BronzeDataset, symbol: string): Promise<string[]> {
    const prefix = datasetPrefix(dataset, symbol);
    const seen = state.seen[dataset] ?? [];
    const newest = seen.reduce<string | undefined>(
      (max, k) => (max === undefined || k > max ? k : max),
      undefined,
    );
    const parsed = newest ? parseBronzeKey(newest) : undefined;
    let startAfter: string | undefined;
    if (parsed) {
      const fromMs = Date.parse(`${parsed.day}T00:00:00Z`) + (parsed.hour - 1) * HOUR_MS;
      const d = new Date(fromMs);
      startAfter = `${prefix}dt=${d.toISOString().slice(0, 10)}/hour=${String(d.getUTCHours()).padStart(2, '0')}`;
    }
    const listed = await this.deps.reader.list(prefix, startAfter);
    const seenSet = new Set(seen);
    const fresh = listed.filter((k) => !seenSet.has(k));
    // Remember only keys still listed: older partitions are never listed again.
    state.seen[dataset] = listed;
    return fresh;
  }

  private addStreamedTrades(state: DetectorState, streamed: IdIntervals, line: StreamFrameLine): void {
    if (line.templateId !== TemplateId.Trades || line.firstId === null) return;
    const message = this.deps.decoder.decode(Buffer.from(line.sbe, 'base64'));
    if (message?.templateId !== TemplateId.Trades) return;
    const timeMs = Math.floor(message.transactTimeUs / 1000);
    const minute = Math.floor(timeMs / MINUTE_MS) * MINUTE_MS;
    for (const t of message.trades) {
      streamed.add(t.id, t.id);
      if (state.streamStartId === null || t.id < state.streamStartId) state.streamStartId = t.id;
      state.streamVolume[minute] = (state.streamVolume[minute] ?? 0) + t.qtyMantissa;
    }
    if (state.streamFirstTimeMs === null || timeMs < state.streamFirstTimeMs)
      state.streamFirstTimeMs = timeMs;
    if (state.streamNewestTimeMs === null || timeMs > state.streamNewestTimeMs)
      state.streamNewestTimeMs = timeMs;
  }

  /**
   * Back-fills the pending ranges in order, shrinking each as its pages are written; stops at the
   * first one REST will not serve now (it stays pending, with what is left of it).
   */
  private async backfillPending(symbol: string, pending: IdRange[], objects: string[]): Promise<void> {
    while (pending.length > 0) {
      const range = pending[0] as IdRange;
      try {
        await this.backfill(symbol, range, objects);
      } catch (error) {
        if (error instanceof RequestDeferredError || error instanceof RateLimitedError) return;
        throw error;
      }
      pending.shift();
    }
  }

  /** Fetches aggregates range[0]..range[1] by id as their own objects, moving range[0] past each page. */
  private async backfill(symbol: string, range: IdRange, objects: string[]): Promise<void> {
    const toAggId = range[1];
    for (let from = range[0]; from <= toAggId; ) {
      const limit = Math.min(PAGE_LIMIT, toAggId - from + 1);
      const page = (await this.deps.rest.aggTrades(symbol, { fromId: from, limit })).filter(
        (a) => a.a <= toAggId,
      );
      if (page.length === 0) break;
      const recvTimeUs = Math.round(this.deps.nowMs() * 1000);
      const first = page[0] as AggTradeLine;
      const last = page[page.length - 1] as AggTradeLine;
      const key = bronzeKey('rest/aggTrades_backfill', symbol, first.T, first.a, last.a);
      await this.deps.writer.write(
        key,
        page.map((a) => ({ ...a, recvTimeUs })),
      );
      objects.push(key);
      from = last.a + 1;
      range[0] = from;
    }
  }

  private async hotPathChecks(
    symbol: string,
    state: DetectorState,
    nowMs: number,
    findings: GapFinding[],
    touchedDays: Set<string>,
  ): Promise<string[]> {
    const signals = await this.deps.signals.read(symbol, state.requestsCursor);
    const { meta } = signals;
    const today = utcDay(nowMs);
    const depthLedger = () => {
      touchedDays.add(today);
      return ledgerLine(state.ledgers, today, 'depth');
    };
    for (const request of signals.requests) {
      const reason = reasonOfStale(request.reason);
      const { fromId, toId } = missingIds(request);
      const endUs =
        meta.reanchoredAtUs !== undefined && meta.reanchoredAtUs >= request.atUs
          ? meta.reanchoredAtUs
          : nowMs * 1000;
      const durationMs = Math.max(0, Math.round((endUs - request.atUs) / 1000));
      findings.push({
        criterion: 'sequence',
        reason,
        stream: 'depth',
        symbol,
        fromId,
        toId,
        durationMs,
        detail: request.detail,
      });
      addGap(state.ledgers, utcDay(Math.floor(request.atUs / 1000)), 'depth', {
        cause: reason,
        fromId,
        toId,
        durationMs,
      });
      touchedDays.add(utcDay(Math.floor(request.atUs / 1000)));
      state.requestsCursor = request.id;
    }
    const reasons: string[] = [];
    if (meta.stale) {
      const sinceUs = meta.staleSinceUs ?? nowMs * 1000;
      findings.push({
        criterion: 'sequence',
        reason: 'book-stale',
        stream: 'depth',
        symbol,
        fromId: meta.updateId ?? null,
        toId: null,
        durationMs: Math.max(0, Math.round(nowMs - sinceUs / 1000)),
        detail: `the book has been stale (${meta.stale}) since ${new Date(sinceUs / 1000).toISOString()}`,
      });
      reasons.push('book-stale');
    }
    // Time gap: the depth stream's exchange time against bestBidAsk's. The newest diff received, not
    // the newest applied: while the book is stale nothing applies, yet the stream is not silent (that
    // is a stale book, reported above, not a gap in the data).
    const depthUs =
      meta.eventTimeUs === undefined && meta.receivedEventTimeUs === undefined
        ? undefined
        : Math.max(meta.eventTimeUs ?? 0, meta.receivedEventTimeUs ?? 0);
    const otherUs = signals.bestBidAskEventTimeUs;
    const silentMs = depthUs !== undefined && otherUs !== undefined ? (otherUs - depthUs) / 1000 : 0;
    if (silentMs > this.depthSilenceMs && depthUs !== undefined) {
      findings.push({
        criterion: 'time',
        reason: 'depth-silent',
        stream: 'depth',
        symbol,
        fromId: meta.updateId ?? null,
        toId: null,
        durationMs: Math.round(silentMs),
        detail: `no depth event for ${Math.round(silentMs)} ms of exchange time (threshold ${this.depthSilenceMs} ms)`,
      });
      const line = depthLedger();
      if (state.depthSilence?.sinceUs === depthUs) {
        const open = state.ledgers[state.depthSilence.day]?.depth?.gaps[state.depthSilence.index];
        if (open) open.durationMs = Math.round(silentMs);
        touchedDays.add(state.depthSilence.day);
      } else {
        line.gaps.push({
          cause: 'depth-silent',
          fromId: meta.updateId ?? null,
          toId: null,
          durationMs: Math.round(silentMs),
        });
        state.depthSilence = { sinceUs: depthUs, day: today, index: line.gaps.length - 1 };
        reasons.push('depth-silent');
      }
    } else {
      state.depthSilence = null;
    }
    // Re-anchors and the age of the book's snapshot, for the ledger.
    const line = depthLedger();
    line.reanchors += Math.max(0, meta.reanchors - state.reanchorsSeen);
    state.reanchorsSeen = meta.reanchors;
    if (meta.reanchoredAtUs !== undefined)
      line.snapshotAgesMs.push(Math.max(0, Math.round(nowMs - meta.reanchoredAtUs / 1000)));
    if (reasons.length > 0) {
      const reason = reasons.join(',');
      // Thrown before the state is saved: the next run sees the same signals and requests again.
      await this.deps.reanchor.trigger({ symbol, reason });
      return [reason];
    }
    return [];
  }
}
