/**
 * Every 2 s (on the wall-clock grid): read the top of book and the latest feature vector (one Redis
 * round trip), let every candidate forecaster make its shadow forecast of the mid's log return 10 s
 * ahead and serve the one the champion rule picks (core/scoring/candidate-arena.ts), write the served
 * prediction with the exact feature vector and its age to `pred:{S}` (a capped stream) and the
 * running score to `pred:{S}:score` (one round trip). Then, off the latency path: score earlier
 * ticks of every candidate against the realised mid, let the online learner learn the matured labels
 * (its state saved through the OnlineStateStore port), log any switch of the served candidate to
 * `pred:{S}:switches` and `onSwitch`, rewrite `pred:{S}:candidates` (every rolling scorecard), and
 * ask the oracle, when there is one, for this tick. A stale or missing book or stale features give a
 * flagged record, not a prediction; so do features whose state was lost (a Redis restart: book-history
 * windows missing after the symbol had them). Latency is measured from the tick to the prediction
 * written.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { withTradeFeatures } from '../../core/features/compute-features.ts';
import {
  type FeatureVector,
  featureVectorFromJSON,
  featureVectorToJSON,
  lacksBookHistory,
} from '../../core/features/feature-names.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import type { Forecaster } from '../../core/model/forecaster.ts';
import { OnlineLearner } from '../../core/model/online-learner.ts';
import type { OnlineStateStore } from '../../core/model/online-state-store.ts';
import {
  type ArenaOptions,
  type ArenaReport,
  CandidateArena,
  type SwitchEvent,
} from '../../core/scoring/candidate-arena.ts';
import type { OracleSource } from '../../core/scoring/oracle-source.ts';
import {
  PredictionScorer,
  type ScoredPrediction,
  type ScoreSummary,
} from '../../core/scoring/prediction-scorer.ts';
import { TradeWindows } from '../../core/trades/trade-windows.ts';
import type { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';

export interface ServedPrediction {
  symbol: string;
  eventTimeUs: number;
  mid: number;
  /** Set when no prediction was served, with the reason (stale book, stale or missing features). */
  flag?: string;
  predictedLogReturn?: number;
  predictedMid?: number;
  /** The candidate served (random-walk, momentum, microprice, online, champion). */
  candidate?: string;
  modelVersion: string;
  /** Wall clock minus the features' exchange time. */
  featureAgeMs: number;
  featuresJson?: string;
  latencyMs: number;
}

const LATENCIES_KEPT = 10_000;

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

export interface InferenceOptions {
  redis: Redis;
  store: RedisHotState;
  symbols: string[];
  /** The champion from the model store, when there is one: one of the candidates. */
  champion(): Forecaster | undefined;
  /** Where each symbol's online learner is saved and resumed from. */
  onlineState?: OnlineStateStore;
  /** Save the online learner after this many learned labels. @default 30 (a minute of ticks) */
  saveOnlineEvery?: number;
  /**
   * An online artifact (parsed JSON) a symbol without a saved state starts from instead of a cold
   * learner: a warm start learned offline on the same kind of market. It still earns its place live.
   */
  onlinePrior?: unknown;
  /** The venue's oracle (local runs): scored beside the candidates, never served. */
  oracle?: OracleSource;
  arena?: ArenaOptions;
  onSwitch?(symbol: string, event: SwitchEvent): void;
  /** @default 2000 */
  tickMs?: number;
  /** @default 10 s */
  horizonUs?: number;
  /** Features older than this (exchange time, vs the book) are not served. @default 5 s */
  maxFeatureAgeUs?: number;
  /** Predictions kept in `pred:{S}`: 2 s each, ~5.5 h. @default 10_000 */
  streamMaxLen?: number;
  /** Every served prediction (the bronze `features/served` log, the dashboard). */
  onServed?(p: ServedPrediction): void;
  onScored?(symbol: string, scored: ScoredPrediction[], summary: ScoreSummary): void;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export class InferenceService {
  private timer: NodeJS.Timeout | undefined;
  private readonly scorers = new Map<string, PredictionScorer>();
  private readonly arenas = new Map<string, CandidateArena>();
  private readonly savedAt = new Map<string, number>();
  /** The latest latencies (ms), at most LATENCIES_KEPT. */
  readonly latenciesMs: number[] = [];
  /** Predictions served since start (latenciesMs is a window). */
  servedCount = 0;
  flagged = 0;
  /** Flagged ticks by reason (stale book, stale or missing features). */
  readonly flaggedBy: Record<string, number> = {};
  /** Symbols that have served a vector with every book-history feature (their state was warm). */
  private readonly hadHistory = new Set<string>();
  failures = 0;
  /** Oracle requests that failed (a local run's venue only). */
  oracleFailures = 0;

  constructor(private readonly o: InferenceOptions) {}

  start(): void {
    const tickMs = this.o.tickMs ?? 2000;
    const schedule = () => {
      // Aligned to the wall-clock grid, like the features' event-time grid.
      const delay = tickMs - (Date.now() % tickMs);
      this.timer = setTimeout(() => {
        void this.tick();
        schedule();
      }, delay);
    };
    schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  get symbols(): readonly string[] {
    return this.o.symbols;
  }

  /** Resumes each symbol's online learner from the state store (a bad state is logged and ignored). */
  async init(): Promise<void> {
    for (const symbol of this.o.symbols) {
      const saved = await this.o.onlineState?.load(symbol).catch((error) => {
        this.o.log?.('error', 'could not read the online learner state', { symbol, error: String(error) });
        return undefined;
      });
      const from =
        saved !== undefined ? 'saved state' : this.o.onlinePrior !== undefined ? 'prior' : undefined;
      if (from === undefined) continue;
      try {
        const online = OnlineLearner.fromArtifact(saved ?? this.o.onlinePrior);
        this.arenas.set(symbol, new CandidateArena(this.arenaOptions(), online));
        this.savedAt.set(symbol, online.updates);
        this.o.log?.('info', `online learner resumed from its ${from}`, { symbol, updates: online.updates });
      } catch (error) {
        this.o.log?.('warn', `online learner ${from} not usable; starting afresh`, {
          symbol,
          error: String(error),
        });
      }
    }
  }

  /** The version of the forecast served now for the first symbol. */
  modelVersion(symbol = this.o.symbols[0] as string): string {
    const arena = this.arenaOf(symbol);
    return arena.report().candidates[arena.served]?.version ?? arena.served;
  }

  /** Every candidate's rolling scorecard, and which one is served. */
  candidates(symbol: string): ArenaReport {
    return this.arenaOf(symbol).report();
  }

  /** The served candidate's switches (bounded, oldest first). */
  switches(symbol: string): readonly SwitchEvent[] {
    return this.arenaOf(symbol).switches;
  }

  /** Saves every symbol's online learner now (at shutdown). */
  async saveOnline(): Promise<void> {
    for (const symbol of this.o.symbols) await this.saveOnlineOf(symbol);
  }

  score(symbol: string): ScoreSummary {
    return this.scorerOf(symbol).summary();
  }

  /** One round of predictions for every symbol; public for tests and benchmarks. */
  async tick(): Promise<void> {
    await Promise.all(this.o.symbols.map((s) => this.predict(s).catch((e) => this.failed(s, e))));
  }

  private failed(symbol: string, error: unknown): void {
    this.failures++;
    this.o.log?.('error', 'prediction failed', { symbol, error: String(error) });
  }

  private async predict(symbol: string): Promise<void> {
    const started = performance.now();
    const read = await this.o.store.readForInference(symbol);
    const { top } = read;
    const bid = top.bids[0];
    const ask = top.asks[0];
    // Mantissas at the same exponent: their mean is the mid in the same unit, and returns are ratios.
    const mid = bid && ask ? (bid[0] + ask[0]) / 2 : Number.NaN;
    const scorer = this.scorerOf(symbol);
    const arena = this.arenaOf(symbol);
    arena.setChampion(this.o.champion());
    const bookGood = top.epoch > 0 && !top.stale && Number.isFinite(mid);
    if (bookGood) {
      const scored = scorer.observe(top.eventTimeUs, mid);
      if (scored.length > 0) this.o.onScored?.(symbol, scored, scorer.summary());
    }
    const features = servedVector(read.featuresJson, read.tradeStateJson);
    const featuresJson = features && JSON.stringify(featureVectorToJSON(features));
    const featureAgeMs = features ? (nowUs() - features.eventTimeUs) / 1000 : Number.NaN;
    // A symbol that has had full book-history features and now lacks them lost its feature state
    // (a Redis restart): not served until the state, rebuilt from the next re-anchor, has its windows.
    const historyLost = features !== undefined && this.hadHistory.has(symbol) && lacksBookHistory(features);
    if (features && !lacksBookHistory(features)) this.hadHistory.add(symbol);
    const flag =
      top.epoch === 0 || !Number.isFinite(mid)
        ? 'no-book'
        : top.stale
          ? `book-${top.stale}`
          : !features || historyLost
            ? 'no-features'
            : top.eventTimeUs - features.eventTimeUs > (this.o.maxFeatureAgeUs ?? 5_000_000)
              ? 'stale-features'
              : undefined;
    const k = symbolKeys(symbol);
    const write = this.o.redis.pipeline();
    if (flag) {
      // Not served: recorded with the reason so that nothing goes quiet without a trace.
      this.flagged++;
      this.flaggedBy[flag] = (this.flaggedBy[flag] ?? 0) + 1;
      this.append(write, k.predictions, { eventTimeUs: top.eventTimeUs, flag });
      await execChecked(write);
      this.o.onServed?.({
        symbol,
        eventTimeUs: top.eventTimeUs,
        mid,
        flag,
        featureAgeMs,
        modelVersion: this.modelVersion(symbol),
        latencyMs: performance.now() - started,
      });
      if (bookGood) await this.afterTick(symbol, arena, top.eventTimeUs, mid, false);
      return;
    }
    const tick = arena.predict(top.eventTimeUs, mid, (features as NonNullable<typeof features>).values);
    const predictedLogReturn = tick.forecast;
    scorer.add({
      eventTimeUs: top.eventTimeUs,
      midAtPrediction: mid,
      predictedLogReturn,
      modelVersion: tick.servedVersion,
    });
    const summary = scorer.summary();
    const predictedMid = mid * Math.exp(predictedLogReturn);
    this.append(write, k.predictions, {
      eventTimeUs: top.eventTimeUs,
      mid,
      predictedLogReturn,
      predictedMid,
      horizonUs: scorer.horizonUs,
      candidate: tick.served,
      modelVersion: tick.servedVersion,
      featureAgeMs,
      features: featuresJson as string,
    });
    write.hset(k.predictionScore, {
      count: summary.count,
      scored: summary.scored,
      rmseRatioVsRandomWalk: String(summary.rmseRatioVsRandomWalk),
      hitRate: String(summary.hitRate),
      candidate: tick.served,
      modelVersion: tick.servedVersion,
    });
    await execChecked(write);
    const latencyMs = performance.now() - started;
    this.latenciesMs.push(latencyMs);
    // A long-running service keeps the recent window only (a day of 2 s ticks is 43,200).
    if (this.latenciesMs.length > LATENCIES_KEPT)
      this.latenciesMs.splice(0, this.latenciesMs.length - LATENCIES_KEPT);
    this.servedCount++;
    this.o.onServed?.({
      symbol,
      eventTimeUs: top.eventTimeUs,
      mid,
      predictedLogReturn,
      predictedMid,
      candidate: tick.served,
      modelVersion: tick.servedVersion,
      featureAgeMs,
      featuresJson: featuresJson as string,
      latencyMs,
    });
    await this.afterTick(symbol, arena, top.eventTimeUs, mid, true);
  }

  /**
   * Off the latency path: the oracle for this tick (not awaited: it must never hold a tick), scoring
   * of matured ticks, learning, the champion rule, and what they change in Redis.
   */
  private async afterTick(
    symbol: string,
    arena: CandidateArena,
    timeUs: number,
    mid: number,
    predicted: boolean,
  ): Promise<void> {
    if (predicted && this.o.oracle) {
      this.o.oracle
        .forecast(symbol, timeUs, this.o.horizonUs ?? 10_000_000)
        .then((f) => {
          if (f !== undefined) arena.setOracle(timeUs, f);
        })
        .catch(() => {
          this.oracleFailures++;
        });
    }
    const { scored, switched } = arena.observe(timeUs, mid);
    if (scored.length === 0) return;
    const k = symbolKeys(symbol);
    const write = this.o.redis.pipeline();
    write.set(k.candidateScores, JSON.stringify(arena.report()));
    if (switched) {
      this.append(write, k.servingSwitches, {
        timeUs: switched.timeUs,
        from: switched.from,
        to: switched.to,
        toVersion: switched.toVersion,
        toScale: switched.toScale,
        reason: switched.reason,
        scores: JSON.stringify(switched.scores),
      });
      this.o.log?.('info', 'served candidate switched', { symbol, ...switched });
      this.o.onSwitch?.(symbol, switched);
    }
    await execChecked(write);
    if (arena.online.updates - (this.savedAt.get(symbol) ?? 0) >= (this.o.saveOnlineEvery ?? 30))
      await this.saveOnlineOf(symbol);
  }

  private async saveOnlineOf(symbol: string): Promise<void> {
    const arena = this.arenas.get(symbol);
    const artifact = arena?.online.toArtifact(symbol, new Date().toISOString());
    if (!this.o.onlineState || !artifact || !arena) return;
    this.savedAt.set(symbol, arena.online.updates);
    await this.o.onlineState.save(symbol, artifact);
  }

  private arenaOptions(): ArenaOptions {
    return { horizonUs: this.o.horizonUs ?? 10_000_000, ...this.o.arena };
  }

  private arenaOf(symbol: string): CandidateArena {
    let a = this.arenas.get(symbol);
    if (!a) {
      a = new CandidateArena(this.arenaOptions());
      this.arenas.set(symbol, a);
    }
    return a;
  }

  /** One entry of the capped prediction stream `pred:{S}`, served or flagged. */
  private append(write: ChainableCommander, key: string, fields: Record<string, string | number>): void {
    write.xadd(key, 'MAXLEN', '~', this.o.streamMaxLen ?? 10_000, '*', ...Object.entries(fields).flat());
  }

  private scorerOf(symbol: string): PredictionScorer {
    let s = this.scorers.get(symbol);
    if (!s) {
      s = new PredictionScorer(this.o.horizonUs ?? 10_000_000);
      this.scorers.set(symbol, s);
    }
    return s;
  }
}

/**
 * The depth consumer's vector with its trade features recomputed from the trade windows as they are
 * now: the depth consumer saw them as of its previous write, which may miss trades up to the
 * vector's instant that the trade consumer has written since (ADR 0003).
 */
function servedVector(featuresJson: string | null, tradeStateJson: string | null): FeatureVector | undefined {
  if (!featuresJson) return undefined;
  const vector = featureVectorFromJSON(JSON.parse(featuresJson));
  if (!tradeStateJson) return vector;
  return withTradeFeatures(vector, TradeWindows.fromJSON(JSON.parse(tradeStateJson)));
}

/** Runs the pipeline and throws the first command's error: a write that failed must not pass. */
async function execChecked(write: ChainableCommander): Promise<void> {
  const failed = ((await write.exec()) ?? []).find(([error]) => error);
  if (failed) throw failed[0];
}
