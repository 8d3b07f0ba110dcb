/**
 * The run summary `npm start -- --summary <file>` writes (a contract: other tools read its
 * fields; README describes them). Every figure is measured in the run; a stage that has not landed yet
 * reports null rather than a made-up number.
 */
import type { CandidateReport } from '../core/scoring/candidate-arena.ts';
import type { LoopDelay } from './threads/loop-delay.ts';
import type { BookAnchorInfo } from './venue/ground-truth.ts';

export interface RunSummary {
  durationS: number;
  source: string;
  frames: { received: number; decoded: number; decodeErrors: number };
  kinesis: {
    recordsPut: number;
    recordsFailed: number;
    framesPut: number;
    /** Record payload bytes written (what Kinesis' per-shard 1 MB/s write limit counts). */
    bytesPut: number;
  };
  book: {
    /** Sequence gaps the aggregator found in the depth stream (each requests a re-anchor). */
    gapsDetected: number;
    /** Re-anchors that swapped a new book in (the first anchor included). */
    reanchors: number;
    /** Redis top 20 compared with the venue's truth at the same update id (null without a venue). */
    checksAgainstVenue: number | null;
    mismatches: number | null;
    depth20Checks: number;
    depth20Mismatches: number;
    diffsApplied: number;
    /** Why the book is stale when the run ends ('no-book': never anchored; null: fresh). */
    staleAtEnd: string | null;
    /** Whole-book comparisons with the venue (every level a snapshot holds), made at the end. */
    fullBookChecks: number;
  };
  predictions: {
    count: number;
    scored: number;
    /** Null until a prediction has been scored (10 s after the first), or when prices never moved. */
    rmseRatioVsRandomWalk: number | null;
    hitRate: number | null;
    model: string;
    /** Ticks that served no prediction, by reason (stale book, stale or missing features). */
    flagged: Record<string, number>;
    /** The candidate served at the end (count/scored/rmseRatio/hitRate above are the served forecast's). */
    served: string;
    /**
     * Every candidate's rolling out-of-sample scorecard (core/scoring/candidate-arena.ts) at the end,
     * the served forecast's ("served") and, on the synthetic market, the venue oracle's ("oracle");
     * skillCaptured = (1 − ratio) / (1 − the oracle's ratio).
     */
    candidates: Record<
      string,
      Pick<
        CandidateReport,
        'kind' | 'version' | 'n' | 'rmseRatioVsRandomWalk' | 'corr' | 'hitRate' | 'skillCaptured'
      > & { tVsRandomWalk: number | null }
    >;
    /** The served candidate over time: each switch, with the scores that decided it. */
    switches: { timeMs: number; from: string; to: string; reason: string }[];
  };
  /**
   * REST as every caller (re-anchor, poller, gap-detector back-fill) used it, through the IP's one
   * shared weight budget and Retry-After gate.
   */
  rest: {
    requests: number;
    weight: number;
    rateLimited429: number;
    /** IP bans: must stay 0. */
    banned418: number;
    /** Requests not sent because the shared limiter said wait, by reason. */
    deferred: Record<string, number>;
    /** Re-anchors that waited for REST, by reason (retry-after, banned, weight-budget). */
    reanchorsDeferred: Record<string, number>;
    /** Re-anchor requests that joined one already pending. */
    reanchorsCoalesced: number;
    /** Swapped re-anchors by the depth limit of their snapshot. */
    snapshotDepths: Record<string, number>;
    /** Why re-anchors were shallower or waited (null: they never had to). */
    reason: string | null;
  };
  /**
   * Every vector inference served (bronze `features/served`) against a replay of the session's bronze
   * on the 100 ms grid: identical means equal bit for bit. Null when it could not be checked.
   */
  featureParity: {
    served: number;
    identical: number;
    /** Differing only by trades that had not reached Redis when inference served (fewer live). */
    tradesInFlight: number;
    /** Differing otherwise. */
    other: number;
    /** Served at an instant the replay reached but computed nothing for (examples say why). */
    missingOffline: number;
    /** Served after the replay's last tick (the archived tape ends before them): not compared. */
    afterTapeEnd: number;
    differingByFeature: Record<string, number>;
    /** The first differences, `<time> <feature>: live x, offline y`. */
    examples: string[];
  } | null;
  latencyMs: {
    /**
     * Exchange event time → Redis; null for a replay, whose event times are historical. Measured in
     * the clock the event times come from: the local venue's market clock (at --speed 10 a wall
     * millisecond is ten market ones; at 'max' the clock is the newest batch released), Binance's
     * wall clock otherwise.
     */
    exchangeToRedisP50: number | null;
    exchangeToRedisP99: number | null;
    /** Which clock exchangeToRedis is in. */
    exchangeClock: 'venue-market' | 'wall';
    /** Received by the ingestor → Redis: the pipeline's own part of the latency. */
    ingestToRedisP50: number | null;
    ingestToRedisP99: number | null;
    inferenceP99: number | null;
  };
  /**
   * Each local service's event-loop delay over the run (perf_hooks monitorEventLoopDelay): how late
   * its thread ran what was due. `runtime` is the thread that runs what has no thread of its own
   * (docs/adr/0140).
   */
  eventLoopDelayMs: Record<string, LoopDelay>;
  /**
   * CPU of the whole process (all threads, user + system) from the market's start to the stop, the
   * wall time between, their ratio (cores busy) and the peak resident memory; null if it never started.
   */
  resources: { cpuS: number; wallS: number; cores: number; maxRssMb: number } | null;
  bronze: {
    objects: number;
    /**
     * Trade ids REST aggTrades cover that bronze still lacks at the end (stream archive plus the gap
     * detector's back-fill). 0 only when every id the stream spanned was checked (coverage 1): none
     * in a fully checked range. Null when nothing was missing in a partly checked range, or nothing
     * could be checked: `tradeIdCoverage` says how much was.
     */
    tradeIdGaps: number | null;
    /** Ids checked (REST covered them) out of the ids the stream spanned; ratio = checked / seen. */
    tradeIdCoverage: { checked: number; seen: number; ratio: number | null } | null;
    /** Trade-id gaps the gap detector found in the stream (and back-filled) during the run. */
    tradeIdGapsFoundAndBackfilled: number;
    tradeIdsCheckedThrough: number | null;
    framesArchived: number;
    pollerRuns: number;
    gapFindings: Record<string, number>;
  };
  ingestor: {
    sequenceGaps: Record<string, number>;
    reconnects: Record<string, number>;
    overflowFrames: number;
  };
  aggregator: { trades: number; failedBatches: number; deadLetters: number };
  /** The session's first model (trained when the model store had none) and the data connector's loads. */
  model: {
    firstModel: unknown;
    postgresObjectsLoaded: number;
    /**
     * Rows written under a key already held with different data (kept out, counted per table): an
     * earlier run's ids colliding with this one's in a persistent database. Null if not read.
     */
    postgresConflictingWrites: Record<string, number> | null;
  };
  venue?: {
    framesSent: number;
    faultsInjected: Record<string, number>;
    /**
     * How the venue anchored each symbol's true book: `snapshot` (the synthetic market's opening book, a
     * recording's REST line) or `reconstructed` (a recording without a snapshot: rebuilt from its diffs,
     * trusted from `trustedFromUpdateId` / `trustedFromUs` on; docs/adr/0090).
     */
    bookAnchor?: Record<string, BookAnchorInfo>;
    /** Why the market source stopped early (a truncated recording: its file and byte offset). */
    marketError?: string;
  };
}
