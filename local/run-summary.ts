/**
 * The run summary `npm start -- --summary <file>` writes (contract: at least these fields). Every
 * figure is measured in the run; a part of the pipeline that has not landed yet reports null rather
 * than a made-up number.
 */
export interface RunSummary {
  durationS: number;
  source: string;
  frames: { received: number; decoded: number; decodeErrors: number };
  kinesis: { recordsPut: number; recordsFailed: number; framesPut: number };
  book: {
    gapsDetected: number | null;
    reanchors: number | null;
    checksAgainstVenue: number | null;
    mismatches: number | null;
  };
  predictions: {
    count: number | null;
    scored: number | null;
    rmseRatioVsRandomWalk: number | null;
    hitRate: number | null;
  };
  latencyMs: {
    exchangeToRedisP50: number | null;
    exchangeToRedisP99: number | null;
    inferenceP99: number | null;
  };
  bronze: { objects: number | null; tradeIdGaps: number | null };
  ingestor: {
    sequenceGaps: Record<string, number>;
    reconnects: Record<string, number>;
    overflowFrames: number;
    exchangeLagMsP50: number | null;
    exchangeLagMsP99: number | null;
  };
  venue?: { framesSent: number; faultsInjected: Record<string, number> };
}
