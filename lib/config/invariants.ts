/**
 * What no single construct can check, because it spans parts of the configuration or the runtime:
 * a timeout against an alarm, a lock or a schedule; a retention against a record age; a lifecycle
 * against its own transitions; a count the runtime's design bounds. Each AWS limit (Lambda memory,
 * Kinesis batch sizes, Fargate pairs, Batch attempts…) is checked by the construct that owns the
 * resource, when the stacks are built. Every failure names the value (lib/invalid-setting.ts).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { REANCHOR_LOCK_TTL_MS } from '../../core/hot-state/reanchor-lock.ts';
import { SYMBOL_PATTERN } from '../../core/market/venue-endpoints.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';
import type { EnvironmentConfig } from './environment-config.ts';

/** The scheduled jobs' periods (lib/stacks/processing-stack.ts): a run must end before the next tick. */
const SCHEDULE_PERIOD_S = { restPoller: 60, gapDetector: 60, dataConnector: 300 } as const;
/** The trainer is submitted once a day: every attempt of one day's run ends before the next. */
const TRAINING_PERIOD_S = 86_400;

type Check = ReturnType<typeof settingChecker>;

/** Checks every cross-cutting invariant of one environment; throws on the first broken one. */
export function validateEnvironmentConfig(c: EnvironmentConfig): void {
  const check = settingChecker(`Environment ${c.name}`);
  checkNetwork(c, check);
  checkRetention(c, check);
  checkFunctionTimeouts(c, check);
  checkCounts(c, check);
  checkEndpoints(c, check);
  checkAlarms(c, check);
}

function checkNetwork({ network: n }: EnvironmentConfig, check: Check): void {
  // Redis and Aurora fail over across two AZs: fewer would make multiAz settings meaningless.
  check(isIntIn(n.maxAzs, 2, 6), 'network.maxAzs', n.maxAzs, 'need 2 to 6 (Multi-AZ needs two)');
  check(
    isIntIn(n.natGateways, 1, n.maxAzs),
    'network.natGateways',
    n.natGateways,
    `need 1 to maxAzs (${n.maxAzs}): compute reaches Binance through NAT`,
  );
}

function checkRetention(c: EnvironmentConfig, check: Check): void {
  const retentionS = c.streams.retentionHours * 3600;
  check(
    c.consumer.maxRecordAge.toSeconds() <= retentionS,
    'consumer.maxRecordAge',
    c.consumer.maxRecordAge.toHumanString(),
    `cannot exceed the stream retention (${c.streams.retentionHours} h)`,
  );
  // Deleting data must never be a side effect of deleting a stack that keeps its other resources.
  check(
    !c.buckets.autoDeleteObjects || c.removalPolicy === RemovalPolicy.DESTROY,
    'buckets.autoDeleteObjects',
    c.buckets.autoDeleteObjects,
    'only with removalPolicy DESTROY',
  );
}

function checkFunctionTimeouts(c: EnvironmentConfig, check: Check): void {
  const p = c.processing;
  // One stuck batch holds its shard for the whole timeout: alone it must not trip the lag alarm.
  check(
    p.aggregator.timeout.toMilliseconds() <= c.alarms.iteratorAgeMs / 2,
    'processing.aggregator.timeout',
    p.aggregator.timeout.toHumanString(),
    `need at most half the iterator-age alarm threshold (${c.alarms.iteratorAgeMs} ms)`,
  );
  check(
    p.reanchor.timeout.toMilliseconds() < REANCHOR_LOCK_TTL_MS,
    'processing.reanchor.timeout',
    p.reanchor.timeout.toHumanString(),
    `need less than the re-anchor lock TTL (${REANCHOR_LOCK_TTL_MS / 1000} seconds), so a run never outlives its lock`,
  );
  for (const key of ['restPoller', 'gapDetector', 'dataConnector'] as const) {
    const scheduleS = SCHEDULE_PERIOD_S[key];
    check(
      p[key].timeout.toSeconds() < scheduleS,
      `processing.${key}.timeout`,
      p[key].timeout.toHumanString(),
      `need under its ${scheduleS} s schedule, so runs never overlap`,
    );
  }
  const trainer = c.ml.trainer;
  check(
    trainer.timeout.toSeconds() * trainer.attempts < TRAINING_PERIOD_S,
    'ml.trainer.timeout',
    trainer.timeout.toHumanString(),
    `times ${trainer.attempts} attempts must stay under the daily schedule (24 h)`,
  );
}

function checkCounts(c: EnvironmentConfig, check: Check): void {
  check(
    isIntIn(c.ingest.desiredCount, 1, 10),
    'ingest.desiredCount',
    c.ingest.desiredCount,
    'need 1 to 10 (each task holds its own Binance connections)',
  );
  check(
    isIntIn(c.processing.reanchor.reservedConcurrency, 1, 10),
    'processing.reanchor.reservedConcurrency',
    c.processing.reanchor.reservedConcurrency,
    'need 1 to 10 (each run may fetch 5000-level snapshots of weight 250)',
  );
  check(
    isIntIn(c.ml.inference.desiredCount, 0, 1),
    'ml.inference.desiredCount',
    c.ml.inference.desiredCount,
    'need 0 or 1 (a second task would write the same predictions and served vectors twice)',
  );
  check(
    c.symbols.length > 0 && c.symbols.every((symbol) => SYMBOL_PATTERN.test(symbol)),
    'symbols',
    c.symbols,
    'need Binance symbols such as BTCUSDT',
  );
}

function checkEndpoints(c: EnvironmentConfig, check: Check): void {
  check(
    /^wss:\/\/[^\s/]+/.test(c.ingest.binanceWsUrl),
    'ingest.binanceWsUrl',
    c.ingest.binanceWsUrl,
    'need a wss:// URL',
  );
  check(
    /^https:\/\/[^\s/]+/.test(c.processing.binanceRestUrl),
    'processing.binanceRestUrl',
    c.processing.binanceRestUrl,
    'need an https:// URL',
  );
}

function checkAlarms({ alarms: a }: EnvironmentConfig, check: Check): void {
  for (const key of ['inferenceLatencyP99Ms', 'exchangeToRedisP99Ms', 'iteratorAgeMs'] as const) {
    check(a[key] > 0, `alarms.${key}`, a[key], 'need a positive number of ms');
  }
  for (const key of ['redisEngineCpuPercent', 'redisMemoryPercent', 'auroraAcuUtilizationPercent'] as const) {
    check(a[key] > 0 && a[key] < 100, `alarms.${key}`, a[key], 'need a percentage between 0 and 100');
  }
  check(
    a.lambdaDurationShareOfTimeout > 0 && a.lambdaDurationShareOfTimeout < 1,
    'alarms.lambdaDurationShareOfTimeout',
    a.lambdaDurationShareOfTimeout,
    'need a share between 0 and 1',
  );
  check(
    a.writeThrottledRecords >= 0 && a.lambdaErrors >= 0,
    'alarms',
    { writeThrottledRecords: a.writeThrottledRecords, lambdaErrors: a.lambdaErrors },
    'counts cannot be negative',
  );
}
