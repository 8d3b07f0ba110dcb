/**
 * The data connector's Lambda handler, built from its dependencies so AWS (index.ts) and the local
 * runtime run the same code. Two triggers:
 * - S3 event notifications (ObjectCreated on `bronze/`): load exactly those objects;
 * - a schedule (EventBridge), or any other event: catch up every dataset from its checkpoint.
 * A failed object fails the invocation after the others were loaded (Lambda retries the async
 * invocation, then sends it to the on-failure destination); loaded objects are skipped on retry.
 */
import type { S3Event } from 'aws-lambda';
import { type DataConnector, DataConnectorError, type LoadOutcome } from './data-connector.ts';

export interface DataConnectorHandlerDeps {
  connector: DataConnector;
  symbols: readonly string[];
  record(outcome: LoadOutcome, trigger: 's3' | 'schedule'): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

function isS3Event(event: unknown): event is S3Event {
  const records = (event as { Records?: { eventSource?: string }[] } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r.eventSource === 'aws:s3');
}

export function createDataConnectorHandler(deps: DataConnectorHandlerDeps) {
  return async function handler(event: unknown): Promise<LoadOutcome> {
    const trigger = isS3Event(event) ? 's3' : 'schedule';
    const outcome = isS3Event(event)
      ? await deps.connector.loadObjects(
          event.Records.map((r) => ({
            // Keys arrive URL-encoded with '+' for spaces.
            key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
            ...(r.s3.object.eTag ? { etag: r.s3.object.eTag } : {}),
          })),
        )
      : await deps.connector.catchUp(deps.symbols);
    deps.record(outcome, trigger);
    deps.log('info', 'bronze loaded', { trigger, ...outcome, failed: outcome.failed.length });
    if (outcome.failed.length > 0) throw new DataConnectorError(outcome.failed);
    return outcome;
  };
}
