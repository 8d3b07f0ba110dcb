/**
 * What the deployment does in a month, for one symbol (BTCUSDT), in the units AWS bills. The market
 * rates are the local venue's synthetic market, calibrated on a real BTCUSDT session
 * (local/venue/sources/synthetic-market.ts: a depth diff every 20 ms with ~46 levels, ~5 taker
 * orders/s and a burst of ~300/s for ~1 s every 90 s; `npm start` shows 270-320 frames/s in all).
 * Durations are the benchmarks' figures rounded up, and a few are plain assumptions, marked so.
 */

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** One SBE stream: frames per second and mean frame size on the wire (bytes). */
export interface StreamRate {
  readonly framesPerS: number;
  readonly frameBytes: number;
}

export interface Usage {
  /** Keyed by the stream's base name (lib/constructs/market-streams.ts). */
  readonly streams: Readonly<Record<string, StreamRate>>;
  /** Bytes of envelope per Kinesis record (frame count, receive times). */
  readonly envelopeBytesPerRecord: number;
  /**
   * Frames the ingestor packs per record. Its 2 ms linger rarely sees two frames of one stream,
   * so about one: the upper bound of records, hence of PUT units and invocations.
   */
  readonly framesPerRecord: number;
  /** Aggregator time per invocation: invoke, one Redis round trip (bench: 184k events/s). */
  readonly aggregatorFixedMs: number;
  readonly aggregatorPerFrameMs: number;
  /** Billed run time of each scheduled job and of one archiver batch (assumed, I/O-bound). */
  readonly scheduledRunMs: Readonly<Record<string, number>>;
  readonly archiverBatchMs: number;
  /** Re-anchors a day (gaps are rare on a healthy feed; faults raise it). Assumed. */
  readonly reanchorsPerDay: number;
  readonly reanchorMs: number;
  /** The daily training job's run time (Batch on Fargate). Assumed from the local runs (minutes). */
  readonly trainerRunMinutesPerDay: number;
  /** Bronze: gzip ratio of raw frames; REST responses and served vectors per day (GB). */
  readonly bronzeGzipRatio: number;
  readonly restAndFeaturesGbPerDay: number;
  /** S3 objects the jobs write and read per scheduled run (poller: trades, klines, checkpoint). */
  readonly s3PutsPerRun: Readonly<Record<string, number>>;
  readonly s3GetsPerRun: Readonly<Record<string, number>>;
  /** Inference writes its served-vector log about once a minute. */
  readonly inferencePutsPerMinute: number;
  /** Log lines per Lambda invocation (START/END/REPORT and one EMF line), bytes. */
  readonly logBytesPerInvocation: number;
  /** Ingestor and inference logs: EMF once a minute plus a line per event, bytes a minute. */
  readonly containerLogBytesPerMinute: number;
  /** Distinct custom metrics (EMF name × dimensions) the services publish. Counted from the code. */
  readonly customMetrics: number;
  /** Aurora: the connector keeps the cluster awake (a run every 5 minutes). Average ACUs. */
  readonly auroraAverageAcu: number;
  readonly auroraGbPerMonth: number;
  /** Data API requests per connector run (a batched upsert per object, checkpoints). Assumed. */
  readonly dataApiCallsPerRun: number;
  /** Container image pulls through NAT (GB a month) where no ECR endpoint exists. Assumed. */
  readonly imagePullGbPerMonth: number;
}

export const BTCUSDT_USAGE: Usage = {
  streams: {
    'market-sbe-depth': { framesPerS: 50, frameBytes: 800 },
    'market-sbe-bestbidask': { framesPerS: 200, frameBytes: 70 },
    'market-sbe-trade': { framesPerS: 15, frameBytes: 80 },
  },
  envelopeBytesPerRecord: 24,
  framesPerRecord: 1,
  aggregatorFixedMs: 4,
  aggregatorPerFrameMs: 0.006,
  scheduledRunMs: { 'rest-poller': 3000, 'gap-detector': 2000, 'data-connector': 10_000 },
  archiverBatchMs: 800,
  reanchorsPerDay: 10,
  reanchorMs: 1500,
  trainerRunMinutesPerDay: 15,
  bronzeGzipRatio: 0.35,
  restAndFeaturesGbPerDay: 0.05,
  s3PutsPerRun: { 'rest-poller': 4, 'gap-detector': 2, 'data-connector': 2 },
  s3GetsPerRun: { 'rest-poller': 2, 'gap-detector': 10, 'data-connector': 20 },
  inferencePutsPerMinute: 1,
  logBytesPerInvocation: 900,
  containerLogBytesPerMinute: 4000,
  customMetrics: 120,
  auroraAverageAcu: 0.5,
  auroraGbPerMonth: 5,
  dataApiCallsPerRun: 40,
  imagePullGbPerMonth: 5,
};
