import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { symbolsVariable } from '../../lambdas/shared/runtime-config.ts';
import {
  DEFAULT_REGION,
  type EnvironmentConfig,
  environmentConfigFromContext,
  PIPELINE_ENVS,
  resolveEnvironmentConfig,
  validateEnvironmentConfig,
} from '../../lib/config/environment-config.ts';
import { InvalidSettingError } from '../../lib/invalid-setting.ts';
import { buildPipeline } from '../../lib/pipeline-app.ts';

const context =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

/** A valid config with one part replaced. */
function withChange(change: (c: EnvironmentConfig) => Partial<EnvironmentConfig>): EnvironmentConfig {
  const base = resolveEnvironmentConfig({ envName: 'prod' });
  return { ...base, ...change(base) };
}

describe('environment config', () => {
  it('resolves every environment, valid, with its own prefix', () => {
    for (const envName of PIPELINE_ENVS) {
      const config = resolveEnvironmentConfig({ envName });
      expect(config.name).toBe(envName);
      expect(config.prefix).toBe(`btcusdt-${envName}`);
      expect(() => validateEnvironmentConfig(config)).not.toThrow();
    }
  });

  it('defaults to dev in Tokyo with no account (offline synth)', () => {
    const config = environmentConfigFromContext(context({}), {});
    expect(config.name).toBe('dev');
    expect(config.region).toBe(DEFAULT_REGION);
    expect(DEFAULT_REGION).toBe('ap-northeast-1');
    expect(config.account).toBeUndefined();
  });

  it('takes the account from CDK_DEFAULT_ACCOUNT and the region from -c region, then AWS_REGION', () => {
    const env = {
      CDK_DEFAULT_ACCOUNT: '123456789012',
      AWS_REGION: 'eu-west-1',
      CDK_DEFAULT_REGION: 'us-east-1',
    };
    expect(environmentConfigFromContext(context({ env: 'prod' }), env)).toMatchObject({
      account: '123456789012',
      region: 'eu-west-1',
    });
    // The CLI's own fallback (us-east-1 when nothing is configured) never overrides the Tokyo default.
    expect(
      environmentConfigFromContext(context({ env: 'prod' }), { CDK_DEFAULT_REGION: 'us-east-1' }).region,
    ).toBe('ap-northeast-1');
    expect(environmentConfigFromContext(context({ env: 'prod', region: 'us-east-1' }), env).region).toBe(
      'us-east-1',
    );
  });

  it('rejects bad input, naming the value', () => {
    expect(() => resolveEnvironmentConfig({ envName: 'qa' })).toThrow(/Context: invalid env "qa"/);
    expect(() => resolveEnvironmentConfig({ region: 'tokyo' })).toThrow(/invalid region "tokyo"/);
    expect(() => resolveEnvironmentConfig({ account: '12ab' })).toThrow(/invalid account "12ab"/);
    expect(() => resolveEnvironmentConfig({ alarmEmail: 'nobody' })).toThrow(/invalid alarmEmail "nobody"/);
    expect(() => resolveEnvironmentConfig({ envName: 'qa' })).toThrow(InvalidSettingError);
  });

  it('rejects settings that break a cross-cutting invariant, naming the value', () => {
    const cases: [(c: EnvironmentConfig) => Partial<EnvironmentConfig>, RegExp][] = [
      [
        (c) => ({
          consumer: { ...c.consumer, maxRecordAge: Duration.days(3) },
          streams: { ...c.streams, retentionHours: 24 },
        }),
        /maxRecordAge "3 days": cannot exceed the stream retention \(24 h\)/,
      ],
      [(c) => ({ network: { ...c.network, natGateways: 3 } }), /network\.natGateways 3/],
      [
        (c) => ({ buckets: { ...c.buckets, autoDeleteObjects: true } }),
        /autoDeleteObjects true: only with removalPolicy DESTROY/,
      ],
      [(c) => ({ alarms: { ...c.alarms, redisMemoryPercent: 120 } }), /redisMemoryPercent 120/],
      [(c) => ({ ingest: { ...c.ingest, desiredCount: 0 } }), /ingest\.desiredCount 0: need 1 to 10/],
      [
        (c) => ({ ingest: { ...c.ingest, binanceWsUrl: 'http://stream-sbe.binance.com' } }),
        /ingest\.binanceWsUrl "http:\/\/stream-sbe\.binance\.com": need a wss:\/\/ URL/,
      ],
      [
        (c) => ({
          processing: {
            ...c.processing,
            aggregator: { ...c.processing.aggregator, timeout: Duration.seconds(20) },
          },
        }),
        /processing\.aggregator\.timeout "20 seconds": need at most half the iterator-age alarm threshold \(30000 ms\)/,
      ],
      [
        (c) => ({
          processing: {
            ...c.processing,
            reanchor: { ...c.processing.reanchor, timeout: Duration.seconds(30) },
          },
        }),
        /processing\.reanchor\.timeout "30 seconds": need less than the re-anchor lock TTL/,
      ],
      [
        (c) => ({
          processing: { ...c.processing, reanchor: { ...c.processing.reanchor, reservedConcurrency: 0 } },
        }),
        /processing\.reanchor\.reservedConcurrency 0: need 1 to 10/,
      ],
      [
        (c) => ({ processing: { ...c.processing, binanceRestUrl: 'http://api.binance.com' } }),
        /processing\.binanceRestUrl "http:\/\/api\.binance\.com": need an https:\/\/ URL/,
      ],
      [(c) => ({ alarms: { ...c.alarms, exchangeToRedisP99Ms: 0 } }), /alarms\.exchangeToRedisP99Ms 0/],
      [
        (c) => ({
          processing: {
            ...c.processing,
            dataConnector: { ...c.processing.dataConnector, timeout: Duration.minutes(5) },
          },
        }),
        /processing\.dataConnector\.timeout "5 minutes": need under its 300 s schedule/,
      ],
      [
        (c) => ({ ml: { ...c.ml, trainer: { ...c.ml.trainer, timeout: Duration.hours(8), attempts: 3 } } }),
        /ml\.trainer\.timeout "8 hours": times 3 attempts must stay under the daily schedule/,
      ],
      [
        (c) => ({ ml: { ...c.ml, inference: { ...c.ml.inference, desiredCount: 2 } } }),
        /ml\.inference\.desiredCount 2: need 0 or 1 \(a second task would write/,
      ],
      [() => ({ symbols: ['btc usdt'] }), /Environment prod: invalid symbols \["btc usdt"\]/],
    ];
    for (const [change, message] of cases) {
      expect(() => validateEnvironmentConfig(withChange(change))).toThrow(message);
    }
  });

  it('accepts exactly the symbols the runtime accepts (one pattern for both)', () => {
    for (const symbol of [
      'BTCUSDT',
      'XY',
      'BTC',
      '1000SATSUSDT',
      'btcusdt',
      'BTC-USDT',
      'A',
      'X'.repeat(21),
    ]) {
      const runtime = symbolsVariable.safeParse(symbol).success;
      const cdk = (() => {
        try {
          validateEnvironmentConfig(withChange(() => ({ symbols: [symbol] })));
          return true;
        } catch {
          return false;
        }
      })();
      // Lower case is upper-cased by the runtime parser before the pattern applies; CDK takes it as is.
      expect(cdk, symbol).toBe(runtime && symbol === symbol.toUpperCase());
    }
  });

  it('leaves AWS limits to the construct that owns the resource: building the app names it and the value', () => {
    const cases: [(c: EnvironmentConfig) => Partial<EnvironmentConfig>, RegExp][] = [
      [
        (c) => ({ consumer: { ...c.consumer, batchSize: 0 } }),
        /KinesisConsumer \w+Consumer: invalid batchSize 0/,
      ],
      [
        (c) => ({ consumer: { ...c.consumer, maxBatchingWindow: Duration.millis(500) } }),
        /invalid maxBatchingWindow "500 millis"/,
      ],
      [
        (c) => ({ cache: { ...c.cache, nodes: 1, multiAz: true } }),
        /HotStateCache HotState: invalid multiAz true: Multi-AZ needs at least 2 nodes, got 1/,
      ],
      [
        (c) => ({ streams: { ...c.streams, capacity: { mode: 'provisioned', shardCount: 0 } } }),
        /MarketStreams Streams: invalid capacity\.shardCount 0/,
      ],
      [
        (c) => ({ database: { ...c.database, minCapacityAcu: 8, maxCapacityAcu: 4 } }),
        /Warehouse Warehouse: invalid maxCapacityAcu 4/,
      ],
      [
        (c) => ({ buckets: { ...c.buckets, bronzeInfrequentAccessAfterDays: 10 } }),
        /DataLake Lake: invalid bronzeInfrequentAccessAfterDays 10: S3 needs at least 30 days/,
      ],
      [
        (c) => ({
          processing: { ...c.processing, aggregator: { ...c.processing.aggregator, memoryMiB: 64 } },
        }),
        /PipelineFunction Aggregator: invalid memorySize 64: Lambda allows 128 to 10240 MB/,
      ],
      [
        (c) => ({ ml: { ...c.ml, trainer: { ...c.ml.trainer, cpu: 1000 } } }),
        /TrainerJob in Btcusdt-prod-Ml: invalid cpu 1000: Fargate takes/,
      ],
      [
        (c) => ({ ml: { ...c.ml, trainer: { ...c.ml.trainer, memoryMiB: 1024 } } }),
        /invalid memoryMiB 1024: with cpu 1024 Fargate takes 2048 to 8192/,
      ],
      [
        (c) => ({ ml: { ...c.ml, trainer: { ...c.ml.trainer, attempts: 0 } } }),
        /invalid attempts 0: Batch takes 1 to 10/,
      ],
      [
        (c) => ({ ml: { ...c.ml, trainer: { ...c.ml.trainer, timeout: Duration.seconds(30) } } }),
        /invalid timeout "30 seconds": Batch takes whole seconds from 60/,
      ],
    ];
    for (const [change, message] of cases) {
      const config = withChange(change);
      // Not a cross-cutting invariant: the configuration alone passes…
      expect(() => validateEnvironmentConfig(config)).not.toThrow();
      // …and the construct that owns the resource refuses it while the app is built.
      const app = new App({ context: { [BUNDLING_STACKS]: [] } });
      expect(() => buildPipeline(app, config)).toThrow(message);
    }
  });

  it('makes prod durable and dev cheap', () => {
    const dev = resolveEnvironmentConfig({ envName: 'dev' });
    const prod = resolveEnvironmentConfig({ envName: 'prod' });
    expect(dev.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(prod.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(prod.database.removalPolicy).toBe(RemovalPolicy.SNAPSHOT);
    expect([dev.cache.multiAz, prod.cache.multiAz]).toEqual([false, true]);
    expect([dev.database.deletionProtection, prod.database.deletionProtection]).toEqual([false, true]);
    expect(dev.streams.capacity).toEqual({ mode: 'provisioned', shardCount: 1 });
    expect(prod.streams.capacity).toEqual({ mode: 'on-demand' });
    expect(prod.streams.retentionHours).toBeGreaterThan(dev.streams.retentionHours);
    expect(prod.network.natGateways).toBeGreaterThan(dev.network.natGateways);
    expect(dev.alarms.ingestSilence).toBeUndefined();
    expect(prod.alarms.ingestSilence?.toMinutes()).toBe(5);
    // Two ingestors in prod: duplicates are harmless (idempotent aggregator), a gap is not.
    expect([dev.ingest.desiredCount, prod.ingest.desiredCount]).toEqual([1, 2]);
  });
});
