/**
 * The event-loop delay of one thread (perf_hooks' monitorEventLoopDelay): how late a timer fires
 * because the thread was busy. Every local service reports its own, so a slow hop can be told from
 * a thread that other work kept busy, and the share of time each thread was busy (its CPU).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface LoopDelay {
  /** Percentiles of the delay since the service started (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How many delays were sampled (one per 10 ms when the loop is free). */
  samples: number;
  /** Share of the time the thread was busy since the service started (event-loop utilization, 0-1). */
  utilization: number;
}

/** 10 ms: fine enough to see a 50 ms budget's tail, coarse enough to cost nothing. */
const RESOLUTION_MS = 10;

export function watchLoopDelay(): { read(): LoopDelay; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const since = performance.eventLoopUtilization();
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
  return {
    read: () => ({
      // The histogram counts the sampling interval itself; what is reported is the delay past it.
      p50Ms: Math.max(0, ms(histogram.percentile(50)) - RESOLUTION_MS),
      p99Ms: Math.max(0, ms(histogram.percentile(99)) - RESOLUTION_MS),
      maxMs: Math.max(0, ms(histogram.max) - RESOLUTION_MS),
      samples: histogram.count,
      utilization: Math.round(performance.eventLoopUtilization(since).utilization * 1000) / 1000,
    }),
    stop: () => histogram.disable(),
  };
}
