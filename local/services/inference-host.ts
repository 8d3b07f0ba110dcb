/**
 * The inference service in a worker thread of its own (started by inference-thread.ts), as the
 * Fargate task it is in AWS: the same InferenceService, model provider, served-vector and switch logs,
 * reading Redis and writing bronze by URL. It reports its scores and latencies, and tells the
 * runtime of each served or scored prediction and each switch (the dashboard and the summary).
 */
import { InferenceService, type ServedPrediction } from '../../containers/inference/inference-service.ts';
import { ModelProvider } from '../../containers/inference/model-provider.ts';
import { ServedVectorLog } from '../../containers/inference/served-vector-log.ts';
import { SwitchLog } from '../../containers/inference/switch-log.ts';
import type { ArenaReport, SwitchEvent } from '../../core/scoring/candidate-arena.ts';
import type { ScoredPrediction, ScoreSummary } from '../../core/scoring/prediction-scorer.ts';
import { s3Client } from '../../lambdas/shared/aws-clients.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { LocalModelStore } from '../../lambdas/shared/model-store/local-model-store.ts';
import { connectRedis } from '../../lambdas/shared/redis/redis-connection.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { RedisOnlineStateStore } from '../../lambdas/shared/redis/redis-online-state-store.ts';
import { type HopLatency, histogram } from '../dashboard/hop-latency.ts';
import { hostService } from '../threads/service-host.ts';
import { VenueOracle } from '../venue-oracle.ts';

export interface InferenceHostConfig {
  redisUrl: string;
  symbols: string[];
  s3: { region: string; endpoint: string; bucket: string };
  modelStoreDir: string;
  /** The local venue's REST URL, for its oracle (absent: live Binance, no oracle). */
  venueRestUrl?: string;
  /** The online learner's warm start (an online artifact's JSON; local/online-prior.ts). */
  onlinePrior?: unknown;
}

export interface InferenceReport {
  scores: Record<string, ScoreSummary>;
  /** Every candidate's scorecard per symbol. */
  candidates: Record<string, ArenaReport>;
  modelVersion: string;
  flaggedBy: Record<string, number>;
  flagged: number;
  failures: number;
  /** Tick → prediction written (ms), the latest kept by the service. */
  latencyP99Ms: number | null;
  latency: HopLatency;
}

export type InferenceNotice =
  | { kind: 'served'; prediction: ServedPrediction }
  | { kind: 'scored'; symbol: string; scored: ScoredPrediction[] }
  | { kind: 'switch'; symbol: string; event: SwitchEvent };

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) * 100) / 100
  );
}

hostService<InferenceHostConfig, InferenceReport>(async ({ config, log, emit }) => {
  const notice = (n: InferenceNotice) => emit('notice', n);
  const redis = connectRedis(config.redisUrl, undefined, log);
  const s3 = s3Client({ region: config.s3.region, endpoint: config.s3.endpoint });
  const writer = new S3BronzeWriter(s3, config.s3.bucket);
  const models = new ModelProvider(new LocalModelStore(config.modelStoreDir), log, 5000);
  await models.refresh();
  models.start();
  const servedLog = new ServedVectorLog(writer);
  servedLog.start();
  const switchLog = new SwitchLog(writer, (error) =>
    log('error', 'switch not written to bronze', { error: String(error) }),
  );
  const inference = new InferenceService({
    redis,
    store: new RedisHotState(redis),
    symbols: config.symbols,
    champion: () => models.get(),
    onlineState: new RedisOnlineStateStore(redis),
    ...(config.onlinePrior !== undefined ? { onlinePrior: config.onlinePrior } : {}),
    // The synthetic market's limit, scored beside the candidates (a replay's venue has none).
    ...(config.venueRestUrl ? { oracle: new VenueOracle(config.venueRestUrl) } : {}),
    onSwitch: (symbol, event) => {
      switchLog.add(symbol, event);
      notice({ kind: 'switch', symbol, event });
    },
    log,
    onServed: (prediction) => {
      servedLog.add(prediction);
      notice({ kind: 'served', prediction });
    },
    onScored: (symbol, scored) => notice({ kind: 'scored', symbol, scored }),
  });
  await inference.init();
  inference.start();
  return {
    ready: {},
    report: () => ({
      scores: Object.fromEntries(config.symbols.map((s) => [s, inference.score(s)])),
      candidates: Object.fromEntries(config.symbols.map((s) => [s, inference.candidates(s)])),
      modelVersion: inference.modelVersion(),
      flaggedBy: { ...inference.flaggedBy },
      flagged: inference.flagged,
      failures: inference.failures,
      latencyP99Ms: percentile(inference.latenciesMs, 0.99),
      latency: histogram('tick → prediction', inference.latenciesMs.slice(-5000)),
    }),
    calls: {
      /** A model was promoted to the store: serve it from the next tick. */
      refreshModels: () => models.refresh(),
      /** The champion's version in the model store, if there is one. */
      championVersion: () => models.get()?.version,
    },
    async stop() {
      inference.stop();
      await inference.saveOnline().catch(() => {});
      models.stop();
      await servedLog.stop().catch(() => {});
      s3.destroy();
      redis.disconnect();
    },
  };
});
