/**
 * The REST poller's EventBridge handler, built from its dependencies so that AWS (index.ts) and the
 * local runtime run the same code. A run stopped by a rate limit, the weight budget or an open
 * circuit is a normal outcome (the next tick resumes from the checkpoints); any other error is
 * logged and rethrown so Lambda counts it.
 */
import type { PollRunResult, RestPoller } from './rest-poller.ts';

export interface RestPollerHandlerDeps {
  poller: Pick<RestPoller, 'run'>;
  /** Records the outcome (EMF metrics in AWS, the run summary locally). */
  record(result: PollRunResult): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export function createRestPollerHandler(deps: RestPollerHandlerDeps) {
  return async function handler(_event?: unknown): Promise<PollRunResult> {
    let result: PollRunResult;
    try {
      result = await deps.poller.run();
    } catch (error) {
      deps.log('error', 'poller run failed; the next run resumes from the checkpoints', {
        error: String(error),
      });
      throw error;
    }
    deps.record(result);
    const fields = {
      stoppedBy: result.stoppedBy,
      requests: result.requests,
      weightSpent: result.weightSpent,
      circuit: result.circuit,
      aggTrades: result.symbols.map((s) => ({
        symbol: s.symbol,
        trades: s.aggTrades.trades,
        caughtUp: s.aggTrades.caughtUp,
      })),
    };
    if (result.stoppedBy) deps.log('warn', 'poller run stopped early', fields);
    else deps.log('info', 'poller run finished', fields);
    for (const s of result.symbols) {
      if (s.aggTrades.restGaps.length > 0) {
        deps.log('error', 'REST aggTrades skipped aggregate ids', {
          symbol: s.symbol,
          gaps: s.aggTrades.restGaps,
        });
      }
    }
    return result;
  };
}
