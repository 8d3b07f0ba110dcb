/**
 * The gap detector's handler: an EventBridge scheduled event checks every configured symbol; a
 * hot-path signal `{ symbol, reason }` (the aggregator or ingestor, invoked asynchronously) checks
 * that symbol at once. Built from its dependencies so AWS (index.ts) and the local runtime share it.
 */
import { z } from 'zod';
import { SYMBOL_PATTERN } from '../../core/market/venue-endpoints.ts';
import type { DetectionResult, GapDetector } from './gap-detector.ts';

const signal = z.object({ symbol: z.string().regex(SYMBOL_PATTERN), reason: z.string().optional() });
const scheduled = z.object({ 'detail-type': z.literal('Scheduled Event') });

export class GapDetectorInputError extends Error {
  override readonly name = 'GapDetectorInputError';
  readonly retryable = false;
}

export interface GapDetectorHandlerDeps {
  detector: Pick<GapDetector, 'run'>;
  symbols: readonly string[];
  record(result: DetectionResult): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export function createGapDetectorHandler(deps: GapDetectorHandlerDeps) {
  return async function handler(input: unknown): Promise<DetectionResult[]> {
    let symbols: readonly string[];
    const asSignal = signal.safeParse(input);
    if (asSignal.success) symbols = [asSignal.data.symbol];
    else if (scheduled.safeParse(input).success || input === undefined) symbols = deps.symbols;
    else throw new GapDetectorInputError('The gap detector takes a scheduled event or { symbol, reason }.');
    const results: DetectionResult[] = [];
    for (const symbol of symbols) {
      const result = await deps.detector.run(symbol);
      deps.record(result);
      for (const f of result.findings) deps.log('warn', 'gap found', { ...f });
      if (result.reanchorsRequested.length > 0) {
        deps.log('warn', 're-anchor requested', { symbol, reasons: result.reanchorsRequested });
      }
      results.push(result);
    }
    return results;
  };
}
