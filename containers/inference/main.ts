/**
 * Fargate entry point of the inference service: Redis (TLS + AUTH token from Secrets Manager in
 * AWS), the champion model from S3 `models/current` hot-reloaded beside the other candidates and the
 * online learner (resumed from Redis), a prediction every 2 s, served vectors and switches of the
 * served candidate logged to bronze, HTTP on HTTP_PORT. SIGTERM: stop ticking, flush the log, exit.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BRONZE_BUCKET,
  HTTP_HOST,
  HTTP_PORT,
  MODELS_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { s3Client } from '../../lambdas/shared/aws-clients.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { PrometheusEmfBridge } from '../../lambdas/shared/emf/prometheus-emf-bridge.ts';
import { S3ModelStore } from '../../lambdas/shared/model-store/s3-model-store.ts';
import { connectConfiguredRedis } from '../../lambdas/shared/redis/redis-connection.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { RedisOnlineStateStore } from '../../lambdas/shared/redis/redis-online-state-store.ts';
import { serviceLogger } from '../../lambdas/shared/service-logger.ts';
import { parseInferenceConfig } from './config.ts';
import { INFERENCE_EMF_MAPPINGS, InferenceMetrics, startInferenceHttp } from './http-server.ts';
import { InferenceService, type ServedPrediction } from './inference-service.ts';
import { ModelProvider } from './model-provider.ts';
import { ServedVectorLog } from './served-vector-log.ts';
import { SwitchLog } from './switch-log.ts';

const logger = serviceLogger('inference');
const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  logger[level](message, fields ?? {});
const config = parseInferenceConfig(process.env);
const aws = { region: config[AWS_REGION], endpoint: config[AWS_ENDPOINT_URL] };
const redis = await connectConfiguredRedis(config[REDIS_URL], config[REDIS_AUTH_SECRET_ARN], aws);
const s3 = s3Client(aws);
const models = new ModelProvider(new S3ModelStore(s3, config[MODELS_BUCKET]), log);
await models.refresh();
models.start();
const served = new ServedVectorLog(new S3BronzeWriter(s3, config[BRONZE_BUCKET]));
served.start();
const switches = new SwitchLog(new S3BronzeWriter(s3, config[BRONZE_BUCKET]), (error) =>
  log('error', 'could not write a switch to bronze', { error: String(error) }),
);
const metrics = new InferenceMetrics();
// The HTTP server (SSE) needs the service and the service reports to it: connected once both exist.
let publish: (p: ServedPrediction) => void = () => {};
const service = new InferenceService({
  redis,
  store: new RedisHotState(redis),
  symbols: config[SYMBOLS],
  champion: () => models.get(),
  onlineState: new RedisOnlineStateStore(redis),
  onSwitch: (symbol, event) => switches.add(symbol, event),
  log,
  onServed: (p) => {
    served.add(p);
    publish(p);
  },
});
await service.init();
metrics.watchCandidates(() => service.candidates(config[SYMBOLS][0] as string));
const http = await startInferenceHttp(service, redis, metrics, config[HTTP_PORT], config[HTTP_HOST]);
publish = http.publish;
service.start();
// Once a minute to CloudWatch: predictions and flags, the minute's latency P99, the rolling score.
let reportedUpTo = 0;
const emf = new PrometheusEmfBridge(
  metrics.registry,
  new Metrics({ serviceName: 'inference' }),
  INFERENCE_EMF_MAPPINGS,
  () => {
    const fresh = service.servedCount - reportedUpTo;
    const recent = fresh > 0 ? service.latenciesMs.slice(-fresh).sort((a, b) => a - b) : [];
    reportedUpTo = service.servedCount;
    const score = service.score(config[SYMBOLS][0] as string);
    return [
      ...(recent.length
        ? [
            {
              name: 'InferenceLatencyP99',
              unit: MetricUnit.Milliseconds,
              value: recent[Math.floor(0.99 * (recent.length - 1))] as number,
            },
          ]
        : []),
      ...(score.rmseRatioVsRandomWalk !== null
        ? [{ name: 'RmseRatioVsRandomWalk', unit: MetricUnit.NoUnit, value: score.rmseRatioVsRandomWalk }]
        : []),
      ...(score.hitRate !== null ? [{ name: 'HitRate', unit: MetricUnit.NoUnit, value: score.hitRate }] : []),
    ];
  },
);
emf.start();
log('info', 'inference running', {
  symbols: config[SYMBOLS],
  champion: models.get()?.version ?? null,
  port: config[HTTP_PORT],
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    service.stop();
    models.stop();
    await service
      .saveOnline()
      .catch((error) => log('error', 'could not save the online learner', { error: String(error) }));
    await served
      .stop()
      .catch((error) => log('error', 'could not flush served vectors', { error: String(error) }));
    await http.close();
    redis.disconnect();
    process.exit(0);
  });
}
