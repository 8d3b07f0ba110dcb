/**
 * The run summary `npm start -- --summary <file>` writes (contract: at least the fields of
 * DESIGN.md section 6). Every figure is measured in the run; a stage that has not landed yet
 * reports null rather than a made-up number.
 */
export interface RunSummary {
  durationS: number;
  source: string;
  frames: { received: number; decoded: number; decodeErrors: number };
  kinesis: { recordsPut: number; recordsFailed: number; framesPut: number };
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
  };
  predictions: {
    count: number;
    scored: number;
    /** Null until a prediction has been scored (10 s after the first), or when prices never moved. */
    rmseRatioVsRandomWalk: number | null;
    hitRate: number | null;
    model: string;
  };
  latencyMs: {
    exchangeToRedisP50: number | null;
    exchangeToRedisP99: number | null;
    inferenceP99: number | null;
  };
  bronze: {
    objects: number;
    /** Trade ids REST aggTrades have that the archived stream lacks (the gap detector's finding). */
    tradeIdGaps: number;
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
  venue?: { framesSent: number; faultsInjected: Record<string, number> };
}
