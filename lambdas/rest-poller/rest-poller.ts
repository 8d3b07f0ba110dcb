/**
 * The REST poller's logic (one run per EventBridge tick), per symbol:
 * - `/api/v3/aggTrades` from the checkpointed `fromId`, pages of 1000 until caught up or the run's
 *   budget is spent: each page is one bronze object named by its first and last aggregate id, then
 *   the checkpoint moves past it (data first, checkpoint second);
 * - `/api/v3/klines` 1m from the checkpointed open time, closed candles only (close time before the
 *   exchange's clock, `/api/v3/time`);
 * - `/api/v3/depth` every `depthEveryRuns` runs, one snapshot per object.
 * A run that crashed between an object and its checkpoint is resumed by adopting that object
 * (core/bronze/resume-point.ts), so nothing is fetched twice under another key: no gap, no duplicate.
 * Every request goes through GuardedRest (weight budget, Retry-After, circuit breaker).
 */
import { bronzeKey, checkpointKey, datasetPrefix, partitionPrefix } from '../../core/bronze/bronze-keys.ts';
import {
  type AggTradeLine,
  type DepthLine,
  type KlineLine,
  klineLine,
} from '../../core/bronze/bronze-lines.ts';
import type { BronzeReader, BronzeWriter, CheckpointStore } from '../../core/bronze/bronze-store.ts';
import { resumePoint } from '../../core/bronze/resume-point.ts';
import type { WeightBudget } from '../../core/rate-limit/weight-budget.ts';
import {
  AGG_TRADES_WEIGHT,
  type BinanceRestClient,
  depthWeight,
  KLINES_WEIGHT,
  TIME_WEIGHT,
} from '../shared/binance/binance-rest-client.ts';
import {
  type Clock,
  type GuardCounters,
  GuardedRest,
  type GuardState,
  RunStoppedError,
  type StopReason,
} from './guarded-rest.ts';

export const POLLER_JOB = 'rest-poller';
/** Binance's largest aggTrades and klines page. */
export const PAGE_LIMIT = 1000;
const MINUTE_MS = 60_000;

export type RestSource = Pick<
  BinanceRestClient,
  'aggTrades' | 'klines' | 'depthRaw' | 'serverTime' | 'usedWeight1m'
>;

export interface RestPollerOptions {
  symbols: readonly string[];
  /** A depth snapshot every N runs. @default 5 */
  depthEveryRuns?: number;
  /** @default 1000 (weight 50) */
  depthLimit?: number;
  /** Where a symbol without a checkpoint starts. @default 3_600_000 (1 h) */
  initialLookbackMs?: number;
  /** Wall time one run may take (the schedule is one minute). @default 45_000 */
  runBudgetMs?: number;
  /** Pages per dataset and run (catching up after an outage takes several runs). @default 60 */
  maxPagesPerRun?: number;
  breaker?: { failureThreshold?: number; coolDownMs?: number };
}

export interface RestPollerDeps {
  rest: RestSource;
  writer: BronzeWriter;
  reader: BronzeReader;
  checkpoints: CheckpointStore;
  /** Shared by the runs of one process: Binance's window is a calendar minute, not a run. */
  budget: WeightBudget;
  clock: Clock;
}

interface AggTradesCheckpoint {
  nextFromId: number;
  lastTradeTimeMs: number;
}
interface KlinesCheckpoint {
  nextOpenTimeMs: number;
}
interface DepthCheckpoint {
  runsSinceSnapshot: number;
  lastUpdateId: number | null;
  lastSnapshotAtMs: number | null;
}

export interface SymbolPollResult {
  symbol: string;
  aggTrades: {
    pages: number;
    trades: number;
    objects: string[];
    caughtUp: boolean;
    adopted: number;
    restGaps: [number, number][];
  };
  klines: { candles: number; objects: string[]; adopted: number };
  depth: { objects: string[] };
}

/** A run's outcome, with the guard's request counters for the run. */
export interface PollRunResult extends GuardCounters {
  stoppedBy?: StopReason;
  resumeAtMs?: number;
  symbols: SymbolPollResult[];
  circuit: string;
}

const GUARD_KEY = checkpointKey(POLLER_JOB, 'guard', 'ALL');

export class RestPoller {
  private readonly o: Required<Omit<RestPollerOptions, 'breaker'>> & Pick<RestPollerOptions, 'breaker'>;

  constructor(
    private readonly deps: RestPollerDeps,
    options: RestPollerOptions,
  ) {
    this.o = {
      symbols: options.symbols,
      depthEveryRuns: options.depthEveryRuns ?? 5,
      depthLimit: options.depthLimit ?? 1000,
      initialLookbackMs: options.initialLookbackMs ?? 3_600_000,
      runBudgetMs: options.runBudgetMs ?? 45_000,
      maxPagesPerRun: options.maxPagesPerRun ?? 60,
      ...(options.breaker ? { breaker: options.breaker } : {}),
    };
    if (!(Number.isInteger(this.o.depthEveryRuns) && this.o.depthEveryRuns >= 1)) {
      throw new RangeError(`depthEveryRuns ${this.o.depthEveryRuns} must be a whole number >= 1.`);
    }
  }

  async run(): Promise<PollRunResult> {
    const { clock, checkpoints, rest } = this.deps;
    const restored = await checkpoints.get<GuardState>(GUARD_KEY);
    const guard = new GuardedRest({
      budget: this.deps.budget,
      clock,
      deadlineMs: clock.nowMs() + this.o.runBudgetMs,
      usedWeight: () => rest.usedWeight1m,
      ...(restored ? { restored } : {}),
      ...(this.o.breaker ? { breaker: this.o.breaker } : {}),
    });
    const symbols: SymbolPollResult[] = [];
    let stopped: RunStoppedError | undefined;
    try {
      for (const symbol of this.o.symbols) {
        const result = emptyResult(symbol);
        symbols.push(result);
        const serverTimeMs = await guard.call(TIME_WEIGHT, () => rest.serverTime());
        await this.pollAggTrades(guard, symbol, serverTimeMs, result);
        await this.pollKlines(guard, symbol, serverTimeMs, result);
        await this.pollDepth(guard, symbol, serverTimeMs, result);
      }
    } catch (error) {
      if (!(error instanceof RunStoppedError)) {
        await checkpoints.put(GUARD_KEY, guard.state());
        throw error;
      }
      stopped = error;
    }
    await checkpoints.put(GUARD_KEY, guard.state());
    return {
      ...(stopped ? { stoppedBy: stopped.reason, resumeAtMs: stopped.resumeAtMs } : {}),
      symbols,
      ...guard.counters,
      circuit: guard.breaker.state(clock.nowMs()),
    };
  }

  private recvTimeUs(): number {
    return Math.round(this.deps.clock.nowMs() * 1000);
  }

  private async pollAggTrades(
    guard: GuardedRest,
    symbol: string,
    serverTimeMs: number,
    out: SymbolPollResult,
  ): Promise<void> {
    const key = checkpointKey(POLLER_JOB, 'aggTrades', symbol);
    let ck = await this.deps.checkpoints.get<AggTradesCheckpoint>(key);
    // Adopt objects written after the checkpoint by a run that crashed before moving it.
    const listed = await this.deps.reader.list(
      datasetPrefix('rest/aggTrades', symbol),
      ck ? partitionPrefix('rest/aggTrades', symbol, ck.lastTradeTimeMs) : undefined,
    );
    const resume = resumePoint(listed, ck?.nextFromId, 1);
    if (resume.adoptedKey) {
      const lines = await this.deps.reader.read<AggTradeLine>(resume.adoptedKey);
      const last = lines[lines.length - 1] as AggTradeLine;
      ck = { nextFromId: resume.nextId, lastTradeTimeMs: last.T };
      await this.deps.checkpoints.put(key, ck);
      out.aggTrades.adopted = resume.adopted;
    }
    for (let page = 0; page < this.o.maxPagesPerRun; page++) {
      const from = ck;
      const trades = await guard.call(AGG_TRADES_WEIGHT, () =>
        this.deps.rest.aggTrades(
          symbol,
          from
            ? { fromId: from.nextFromId, limit: PAGE_LIMIT }
            : { startTime: serverTimeMs - this.o.initialLookbackMs, limit: PAGE_LIMIT },
        ),
      );
      const recvTimeUs = this.recvTimeUs();
      if (trades.length === 0) {
        out.aggTrades.caughtUp = true;
        return;
      }
      const first = trades[0] as (typeof trades)[number];
      const last = trades[trades.length - 1] as (typeof trades)[number];
      // Binance's aggregate ids are consecutive: a jump means REST itself lost them (never refetchable).
      let expected = from ? from.nextFromId : first.a;
      for (const t of trades) {
        if (t.a !== expected) out.aggTrades.restGaps.push([expected, t.a - 1]);
        expected = t.a + 1;
      }
      const objectKey = bronzeKey('rest/aggTrades', symbol, first.T, first.a, last.a);
      const lines: AggTradeLine[] = trades.map((t) => ({ ...t, recvTimeUs }));
      await this.deps.writer.write(objectKey, lines);
      ck = { nextFromId: last.a + 1, lastTradeTimeMs: last.T };
      await this.deps.checkpoints.put(key, ck);
      out.aggTrades.pages++;
      out.aggTrades.trades += trades.length;
      out.aggTrades.objects.push(objectKey);
      if (trades.length < PAGE_LIMIT) {
        out.aggTrades.caughtUp = true;
        return;
      }
    }
  }

  private async pollKlines(
    guard: GuardedRest,
    symbol: string,
    serverTimeMs: number,
    out: SymbolPollResult,
  ): Promise<void> {
    const key = checkpointKey(POLLER_JOB, 'klines_1m', symbol);
    let ck = await this.deps.checkpoints.get<KlinesCheckpoint>(key);
    const listed = await this.deps.reader.list(
      datasetPrefix('rest/klines_1m', symbol),
      ck ? partitionPrefix('rest/klines_1m', symbol, ck.nextOpenTimeMs - MINUTE_MS) : undefined,
    );
    const resume = resumePoint(listed, ck?.nextOpenTimeMs, MINUTE_MS);
    if (resume.adoptedKey) {
      ck = { nextOpenTimeMs: resume.nextId };
      await this.deps.checkpoints.put(key, ck);
      out.klines.adopted = resume.adopted;
    }
    let next =
      ck?.nextOpenTimeMs ?? Math.floor((serverTimeMs - this.o.initialLookbackMs) / MINUTE_MS) * MINUTE_MS;
    for (let page = 0; page < this.o.maxPagesPerRun; page++) {
      // A candle is closed once its close time (the last ms of its minute) is behind the exchange clock.
      if (next + MINUTE_MS > serverTimeMs) return;
      const startTime = next;
      const rows = await guard.call(KLINES_WEIGHT, () =>
        this.deps.rest.klines(symbol, '1m', { startTime, limit: PAGE_LIMIT }),
      );
      const recvTimeUs = this.recvTimeUs();
      const closed = rows.filter((k) => k[0] >= startTime && k[6] < serverTimeMs);
      if (closed.length === 0) return;
      const lines: KlineLine[] = closed.map((k) => klineLine(k, recvTimeUs));
      const first = lines[0] as KlineLine;
      const last = lines[lines.length - 1] as KlineLine;
      const objectKey = bronzeKey(
        'rest/klines_1m',
        symbol,
        first.openTimeMs,
        first.openTimeMs,
        last.openTimeMs,
      );
      await this.deps.writer.write(objectKey, lines);
      next = last.openTimeMs + MINUTE_MS;
      await this.deps.checkpoints.put(key, { nextOpenTimeMs: next } satisfies KlinesCheckpoint);
      out.klines.candles += lines.length;
      out.klines.objects.push(objectKey);
      if (rows.length < PAGE_LIMIT) return;
    }
  }

  private async pollDepth(
    guard: GuardedRest,
    symbol: string,
    serverTimeMs: number,
    out: SymbolPollResult,
  ): Promise<void> {
    const key = checkpointKey(POLLER_JOB, 'depth', symbol);
    const ck = (await this.deps.checkpoints.get<DepthCheckpoint>(key)) ?? {
      runsSinceSnapshot: Number.POSITIVE_INFINITY,
      lastUpdateId: null,
      lastSnapshotAtMs: null,
    };
    const runs = (Number.isFinite(ck.runsSinceSnapshot) ? ck.runsSinceSnapshot : this.o.depthEveryRuns) + 1;
    if (runs < this.o.depthEveryRuns && ck.lastUpdateId !== null) {
      await this.deps.checkpoints.put(key, { ...ck, runsSinceSnapshot: runs } satisfies DepthCheckpoint);
      return;
    }
    const snapshot = await guard.call(depthWeight(this.o.depthLimit), () =>
      this.deps.rest.depthRaw(symbol, this.o.depthLimit),
    );
    const line: DepthLine = { ...snapshot, recvTimeUs: this.recvTimeUs(), source: 'poller' };
    const objectKey = bronzeKey(
      'rest/depth',
      symbol,
      serverTimeMs,
      snapshot.lastUpdateId,
      snapshot.lastUpdateId,
    );
    await this.deps.writer.write(objectKey, [line]);
    await this.deps.checkpoints.put(key, {
      runsSinceSnapshot: 0,
      lastUpdateId: snapshot.lastUpdateId,
      lastSnapshotAtMs: serverTimeMs,
    } satisfies DepthCheckpoint);
    out.depth.objects.push(objectKey);
  }
}

function emptyResult(symbol: string): SymbolPollResult {
  return {
    symbol,
    aggTrades: { pages: 0, trades: 0, objects: [], caughtUp: false, adopted: 0, restGaps: [] },
    klines: { candles: 0, objects: [], adopted: 0 },
    depth: { objects: [] },
  };
}
