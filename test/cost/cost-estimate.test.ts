/**
 * `npm run cost`: the estimate is computed from the synthesized templates, so it moves when the
 * configuration does, by the price of what changed.
 */
import { describe, expect, it } from 'vitest';
import {
  type EnvironmentConfig,
  resolveEnvironmentConfig,
  validateEnvironmentConfig,
} from '../../lib/config/environment-config.ts';
import {
  type CostItem,
  estimateMonthlyCost,
  runsPerMonth,
  type Templates,
  totalUsd,
  UnknownPriceError,
} from '../../scripts/cost/estimate.ts';
import { PRICES } from '../../scripts/cost/prices.ts';
import { synthTemplates } from '../../scripts/cost/synth-templates.ts';
import { BTCUSDT_USAGE, HOURS_PER_MONTH } from '../../scripts/cost/usage.ts';

const dev = resolveEnvironmentConfig({ envName: 'dev' });
// Dev with the latency switch on, twice the shards and two ingestor tasks.
const changed: EnvironmentConfig = {
  ...dev,
  consumer: { ...dev.consumer, enhancedFanOut: true },
  streams: { ...dev.streams, capacity: { mode: 'provisioned', shardCount: 2 } },
  ingest: { ...dev.ingest, desiredCount: 2 },
};
validateEnvironmentConfig(changed);
const devTemplates = synthTemplates(dev);
const before = estimateMonthlyCost(devTemplates, BTCUSDT_USAGE);
const after = estimateMonthlyCost(synthTemplates(changed), BTCUSDT_USAGE);

const line = (items: CostItem[], resource: RegExp) => {
  const found = items.filter((i) => resource.test(i.resource));
  expect(found, String(resource)).toHaveLength(1);
  return found[0] as CostItem;
};

describe('npm run cost: the estimate follows the synthesized configuration', () => {
  it('prices every resource that bills in dev, each line positive, the total their sum', () => {
    for (const service of [
      'Kinesis',
      'Lambda',
      'Fargate',
      'VPC',
      'ElastiCache',
      'Aurora',
      'S3',
      'CloudWatch',
    ]) {
      expect(
        before.some((i) => i.service === service),
        service,
      ).toBe(true);
    }
    expect(before.every((i) => i.monthlyUsd >= 0)).toBe(true);
    expect(totalUsd(before)).toBeCloseTo(
      before.reduce((s, i) => s + i.monthlyUsd, 0),
      6,
    );
    // Dev reads by standard polling: no fan-out consumer is billed.
    expect(before.filter((i) => /consumer$/.test(i.resource))).toEqual([]);
  });

  it('adds one enhanced fan-out consumer per stream, billed per consumer-shard hour and GB pushed', () => {
    const consumers = after.filter((i) => /consumer$/.test(i.resource));
    expect(consumers).toHaveLength(3);
    for (const c of consumers) {
      expect(c.monthlyUsd).toBeGreaterThan(2 * HOURS_PER_MONTH * PRICES.kinesisFanOutConsumerShardHour.usd);
    }
  });

  it('charges the added shard of each stream, and the second ingestor task, at their prices', () => {
    for (const stream of ['trade', 'bestbidask', 'depth']) {
      const name = new RegExp(`/market-sbe-${stream}-dev$`);
      expect(line(after, name).monthlyUsd - line(before, name).monthlyUsd).toBeCloseTo(
        HOURS_PER_MONTH * PRICES.kinesisShardHour.usd,
        6,
      );
    }
    expect(line(after, /\/Ingestor$/).monthlyUsd).toBeCloseTo(2 * line(before, /\/Ingestor$/).monthlyUsd, 6);
  });

  it('invokes the aggregator per push with fan-out, more often than one poll a second per stream', () => {
    const invocations = (items: CostItem[]) =>
      Number(/([\d.]+)M invocations/.exec(line(items, /\/aggregator$/).detail)?.[1]);
    expect(invocations(after)).toBeGreaterThan(invocations(before));
    expect(totalUsd(after)).toBeGreaterThan(totalUsd(before));
  });

  it('refuses to price what its table does not know, naming it', () => {
    const copy = structuredClone(devTemplates) as Record<
      string,
      { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
    >;
    for (const t of Object.values(copy)) {
      for (const r of Object.values(t.Resources)) {
        if (r.Type === 'AWS::ElastiCache::ReplicationGroup') r.Properties.CacheNodeType = 'cache.x9.huge';
      }
    }
    expect(() => estimateMonthlyCost(copy as Templates, BTCUSDT_USAGE)).toThrow(UnknownPriceError);
    expect(() => estimateMonthlyCost(copy as Templates, BTCUSDT_USAGE)).toThrow(/cache\.x9\.huge/);
    expect(runsPerMonth('rate(5 minutes)')).toBeCloseTo((HOURS_PER_MONTH * 60) / 5, 6);
    expect(() => runsPerMonth('rate(fortnightly)')).toThrow(UnknownPriceError);
  });
});
