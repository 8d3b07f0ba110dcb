/**
 * Every 2 s (on the wall-clock grid): read the top of book and the latest feature vector (one Redis
 * round trip), predict the mid's log return 10 s ahead, write the prediction with the exact feature
 * vector served and its age to `pred:{S}` (a capped stream) and the running score to
 * `pred:{S}:score` (one round trip), and score earlier predictions against the realised mid and a
 * random walk. A stale or missing book or stale features give a flagged record, not a prediction.
 * Latency is measured from the tick to the prediction confirmed written.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { withTradeFeatures } from '../../core/features/compute-features.ts';
import {
  type FeatureVector,
  featureVectorFromJSON,
  featureVectorToJSON,
} from '../../core/features/feature-names.ts';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import {
  PredictionScorer,
  type ScoredPrediction,
  type ScoreSummary,
} from '../../core/scoring/prediction-scorer.ts';
import { TradeWindows } from '../../core/trades/trade-windows.ts';
import type { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import type { ReturnModel } from './return-model.ts';

export interface ServedPrediction {
  symbol: string;
  eventTimeUs: number;
  mid: number;
  /** Set when no prediction was served, with the reason (stale book, stale or missing features). */
  flag?: string;
  predictedLogReturn?: number;
  predictedMid?: number;
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
  model(): ReturnModel;
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
  /** The latest latencies (ms), at most LATENCIES_KEPT. */
  readonly latenciesMs: number[] = [];
  /** Predictions served since start (latenciesMs is a window). */
  servedCount = 0;
  flagged = 0;
  /** Flagged ticks by reason (stale book, stale or missing features). */
  readonly flaggedBy: Record<string, number> = {};
  failures = 0;

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

  modelVersion(): string {
    return this.o.model().version;
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
    if (top.epoch > 0 && !top.stale && Number.isFinite(mid)) {
      const scored = scorer.observe(top.eventTimeUs, mid);
      if (scored.length > 0) this.o.onScored?.(symbol, scored, scorer.summary());
    }
    const features = servedVector(read.featuresJson, read.tradeStateJson);
    const featuresJson = features && JSON.stringify(featureVectorToJSON(features));
    const featureAgeMs = features ? (nowUs() - features.eventTimeUs) / 1000 : Number.NaN;
    const flag =
      top.epoch === 0 || !Number.isFinite(mid)
        ? 'no-book'
        : top.stale
          ? `book-${top.stale}`
          : !features
            ? 'no-features'
            : top.eventTimeUs - features.eventTimeUs > (this.o.maxFeatureAgeUs ?? 5_000_000)
              ? 'stale-features'
              : undefined;
    const k = symbolKeys(symbol);
    const write = this.o.redis.pipeline();
    const model = this.o.model();
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
        modelVersion: model.version,
        latencyMs: performance.now() - started,
      });
      return;
    }
    const predictedLogReturn = model.predictLogReturn((features as NonNullable<typeof features>).values);
    scorer.add({
      eventTimeUs: top.eventTimeUs,
      midAtPrediction: mid,
      predictedLogReturn,
      modelVersion: model.version,
    });
    const summary = scorer.summary();
    const predictedMid = mid * Math.exp(predictedLogReturn);
    this.append(write, k.predictions, {
      eventTimeUs: top.eventTimeUs,
      mid,
      predictedLogReturn,
      predictedMid,
      horizonUs: scorer.horizonUs,
      modelVersion: model.version,
      featureAgeMs,
      features: featuresJson as string,
    });
    write.hset(`${k.predictions}:score`, {
      count: summary.count,
      scored: summary.scored,
      rmseRatioVsRandomWalk: String(summary.rmseRatioVsRandomWalk),
      hitRate: String(summary.hitRate),
      modelVersion: model.version,
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
      modelVersion: model.version,
      featureAgeMs,
      featuresJson: featuresJson as string,
      latencyMs,
    });
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
