/** One way to read the environment: defaults applied, or a ConfigError naming every bad variable. */
import { describe, expect, it } from 'vitest';
import { parseInferenceConfig } from '../../containers/inference/config.ts';
import { parseRestPollerEnvironment } from '../../lambdas/rest-poller/config.ts';
import { ConfigError, parseLambdaEnvironment } from '../../lambdas/shared/runtime-config.ts';

describe('parseEnvironment', () => {
  it('applies the defaults', () => {
    // The poller needs Redis (the REST weight budget it shares with the re-anchor lives there).
    expect(
      parseRestPollerEnvironment({ BRONZE_BUCKET: 'bronze', REDIS_URL: 'redis://127.0.0.1:6379' }),
    ).toMatchObject({
      BRONZE_BUCKET: 'bronze',
      SYMBOLS: ['BTCUSDT'],
      AWS_REGION: 'ap-northeast-1',
    });
  });

  it('names every bad variable in one ConfigError, whichever program parses', () => {
    expect(() => parseLambdaEnvironment({ REDIS_URL: 'http://x', SYMBOLS: 'BTC-USDT' })).toThrow(
      /^Invalid configuration: REDIS_URL: a redis:\/\/ or rediss:\/\/ URL; SYMBOLS\.0: a symbol like BTCUSDT$/,
    );
    let error: unknown;
    try {
      parseInferenceConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^Invalid inference configuration: MODELS_BUCKET: .*; BRONZE_BUCKET: /,
    );
  });
});
