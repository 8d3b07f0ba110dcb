/**
 * The aggregator's Kinesis handler, built from its dependencies so that AWS (index.ts) and the local
 * runtime run the same code. Partial batch response: the first record not processed is reported,
 * Lambda retries from there (bisecting on error) and finally sends it to the on-failure queue.
 * The whole batch is one Redis round trip, so a Redis failure fails the batch from its first record.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Aggregator, BatchOutcome, ReanchorRequest } from './aggregator.ts';

export interface AggregatorHandlerDeps {
  aggregator: Aggregator;
  /**
   * Records the outcome (EMF metrics in AWS, the run summary locally). `stream` is the Kinesis
   * stream the batch came from: each invocation reads one, so lag is reported per stream.
   */
  record(outcome: BatchOutcome, arrivalLagMs: number[], stream: string): void;
  /** Starts a re-anchor for the symbol (asynchronous Lambda invoke in AWS, in process locally). */
  triggerReanchor(request: ReanchorRequest): Promise<void>;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export function createAggregatorHandler(deps: AggregatorHandlerDeps) {
  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records.map((r) => ({
      data: Buffer.from(r.kinesis.data, 'base64'),
      sequenceNumber: r.kinesis.sequenceNumber,
    }));
    if (records.length === 0) return { batchItemFailures: [] };
    let outcome: BatchOutcome;
    try {
      outcome = await deps.aggregator.process(records);
    } catch (error) {
      deps.log('error', 'batch failed; Lambda will retry it', {
        error: String(error),
        records: records.length,
      });
      return { batchItemFailures: [{ itemIdentifier: records[0]?.sequenceNumber as string }] };
    }
    const nowMs = Date.now();
    deps.record(
      outcome,
      event.Records.map((r) => nowMs - r.kinesis.approximateArrivalTimestamp * 1000),
      event.Records[0]?.eventSourceARN.split('/').pop() ?? 'unknown',
    );
    for (const request of outcome.reanchorRequests) {
      deps.log('warn', 're-anchor requested', { ...request });
      await deps.triggerReanchor(request).catch((error) => {
        // The stale mark stays in Redis: the gap detector requests again on its next run.
        deps.log('error', 'could not trigger a re-anchor', { ...request, error: String(error) });
      });
    }
    if (outcome.failedSequenceNumber) {
      deps.log('error', 'unreadable record; reported for retry and dead-lettering', {
        sequenceNumber: outcome.failedSequenceNumber,
        error: outcome.failure?.message,
      });
      return { batchItemFailures: [{ itemIdentifier: outcome.failedSequenceNumber }] };
    }
    return { batchItemFailures: [] };
  };
}
