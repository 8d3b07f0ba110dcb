/**
 * The aggregator Lambda with its Kinesis event sources in a worker thread of its own (started by
 * aggregator-thread.ts): composed as in AWS (lambdas/aggregator/compose.ts), reading the Kinesis
 * emulator and writing Redis by URL. It keeps the hop latencies and counts the run reports, and asks
 * the runtime for re-anchors, as the Lambda invokes the re-anchor function in AWS.
 */

import { composeAggregator } from '../../lambdas/aggregator/compose.ts';
import { kinesisClient } from '../../lambdas/shared/aws-clients.ts';
import { connectRedis } from '../../lambdas/shared/redis/redis-connection.ts';
import { type HopLatency, histogram } from '../dashboard/hop-latency.ts';
import { type DeliveryMode, KinesisEventSource } from '../kinesis-event-source.ts';
import { hostService } from '../threads/service-host.ts';
import { readVenueClock, type VenueClockShare } from '../venue/venue-clock.ts';
import { LatencySamples } from './latency-samples.ts';

export interface AggregatorHostConfig {
  redisUrl: string;
  aws: { region: string; endpoint: string };
  streamNames: string[];
  delivery: DeliveryMode;
  /** The local venue's market clock, which event times are in (absent: live Binance, the wall clock). */
  venueClock?: VenueClockShare;
}

export interface AggregatorReport {
  diffsApplied: number;
  trades: number;
  depth20Checks: number;
  depth20Mismatches: number;
  gapsDetected: number;
  checksumRequests: number;
  failedBatches: number;
  deadLetters: number;
  exchangeToRedis: { p50: number | null; p99: number | null };
  ingestToRedis: { p50: number | null; p99: number | null };
  /** Kinesis → aggregator, exchange → Redis, ingestor → Redis. */
  latency: HopLatency[];
}

/** A timeline entry for the runtime: a gap, a checksum mismatch, a missing book. */
export interface AggregatorNotice {
  kind: 'gap' | 'checksum' | 'no-book';
  detail: string;
}

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

hostService<AggregatorHostConfig, AggregatorReport>(async ({ config, log, emit }) => {
  const redis = connectRedis(config.redisUrl, undefined, log);
  const kinesis = kinesisClient(config.aws);
  const exchangeToRedis = new LatencySamples();
  const ingestToRedis = new LatencySamples();
  const kinesisToAggregator = new LatencySamples();
  const n = {
    diffsApplied: 0,
    trades: 0,
    depth20Checks: 0,
    depth20Mismatches: 0,
    gapsDetected: 0,
    checksumRequests: 0,
    failedBatches: 0,
    deadLetters: 0,
  };
  const clock = config.venueClock;
  const handler = composeAggregator({
    redis,
    log: (level, message, fields) => {
      if (level !== 'info') log(level, message, fields);
    },
    record: (outcome, arrivalLagMs) => {
      // Event times are the venue's market clock, which runs faster than the wall clock at
      // --speed 10 and jumps at 'max': latency is measured in that clock, not against the wall.
      const offsetMs = clock ? (readVenueClock(clock) - nowUs()) / 1000 : 0;
      for (const l of outcome.latenciesMs) exchangeToRedis.add(l + offsetMs);
      for (const l of outcome.receiveLatenciesMs) ingestToRedis.add(l);
      for (const l of arrivalLagMs) kinesisToAggregator.add(l);
      n.diffsApplied += outcome.diffsApplied;
      n.trades += outcome.trades;
      n.depth20Checks += outcome.checks;
      n.depth20Mismatches += outcome.mismatches;
      for (const r of outcome.reanchorRequests) {
        if (r.reason === 'gap') n.gapsDetected++;
        if (r.reason === 'checksum') n.checksumRequests++;
        const kind = r.reason === 'checksum' ? 'checksum' : r.reason === 'no-book' ? 'no-book' : 'gap';
        emit('notice', { kind, detail: `${r.symbol} ${r.reason}: ${r.detail}` } satisfies AggregatorNotice);
      }
    },
    // The runtime runs the re-anchor (one per symbol at a time), as the re-anchor Lambda would.
    triggerReanchor: async (request) => emit('reanchor', request.symbol),
  });
  const sources: KinesisEventSource[] = [];
  for (const streamName of config.streamNames) {
    const source = new KinesisEventSource({
      client: kinesis,
      streamName,
      region: config.aws.region,
      handler: async (event) => {
        const response = await handler(event);
        if (response.batchItemFailures.length > 0) n.failedBatches++;
        return response;
      },
      batchSize: 100,
      // The delivery delay of the deployed mapping, when asked for (--kinesis-delivery).
      delivery: config.delivery,
      onDeadLetter: (letter) => {
        n.deadLetters++;
        log('error', 'record dead-lettered', { ...letter });
      },
      log,
    });
    await source.start();
    sources.push(source);
  }
  return {
    ready: {},
    report: () => ({
      ...n,
      exchangeToRedis: { p50: exchangeToRedis.percentile(0.5), p99: exchangeToRedis.percentile(0.99) },
      ingestToRedis: { p50: ingestToRedis.percentile(0.5), p99: ingestToRedis.percentile(0.99) },
      latency: [
        histogram('Kinesis → aggregator', [...kinesisToAggregator.samples]),
        histogram('exchange → Redis', [...exchangeToRedis.samples]),
        histogram('ingestor → Redis', [...ingestToRedis.samples]),
      ],
    }),
    calls: {
      /** Handles everything already in the streams: true when all of it was within `timeoutMs`. */
      drain: async (timeoutMs: number) =>
        (await Promise.all(sources.map((s) => s.drain(timeoutMs)))).every(Boolean),
    },
    async stop() {
      await Promise.all(sources.map((s) => s.stop()));
      kinesis.destroy();
      redis.disconnect();
    },
  };
});
