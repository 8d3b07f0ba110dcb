/**
 * The event-loop delay of one thread (perf_hooks' monitorEventLoopDelay): how late a timer fires
 * because the thread was busy. Every local service reports its own, so a slow hop can be told from
 * a thread that other work kept busy.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  /** Percentiles of the delay since the service started (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How many delays were sampled (one per `resolutionMs`, when the loop is free). */
  samples: number;
}

/** 10 ms: fine enough to see a 50 ms budget's tail, coarse enough to cost nothing. */
const RESOLUTION_MS = 10;

export function watchLoopDelay(): { read(): LoopDelay; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
  return {
    read: () => ({
      // The histogram counts the sampling interval itself; what is reported is the delay past it.
      p50Ms: Math.max(0, ms(histogram.percentile(50)) - RESOLUTION_MS),
      p99Ms: Math.max(0, ms(histogram.percentile(99)) - RESOLUTION_MS),
      maxMs: Math.max(0, ms(histogram.max) - RESOLUTION_MS),
      samples: histogram.count,
    }),
    stop: () => histogram.disable(),
  };
}
