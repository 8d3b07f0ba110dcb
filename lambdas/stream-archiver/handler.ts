/**
 * The archiver's Kinesis handler (same event shape as the aggregator's: records are frame
 * envelopes), built from its dependencies so that AWS (index.ts) and the local event source run the
 * same code. The batch is archived whole or not at all: on any failure the first record is reported,
 * Lambda retries the batch from there, and the retry writes the same keys again.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { ArchivedStream } from '../../core/bronze/stream-frame-lines.ts';
import { streamKindOfStreamName } from '../../core/market/streams.ts';
import type { ArchiveOutcome, ArchiveRecord, StreamArchiver } from './stream-archiver.ts';

export interface StreamArchiverHandlerDeps {
  archiver: Pick<StreamArchiver, 'archive'>;
  record(outcome: ArchiveOutcome, stream: string): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

/** The family of a Kinesis stream from its name (market-sbe-trade, …-bestbidask, …-depth). */
export function streamFamily(streamName: string): ArchivedStream {
  return streamKindOfStreamName(streamName) ?? 'depth';
}

export function createStreamArchiverHandler(deps: StreamArchiverHandlerDeps) {
  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    if (event.Records.length === 0) return { batchItemFailures: [] };
    const records: ArchiveRecord[] = event.Records.map((r) => ({
      data: Buffer.from(r.kinesis.data, 'base64'),
      sequenceNumber: r.kinesis.sequenceNumber,
      // eventID is `<shardId>:<sequenceNumber>`.
      shardId: r.eventID.split(':')[0] as string,
      partitionKey: r.kinesis.partitionKey,
    }));
    const streamName = event.Records[0]?.eventSourceARN.split('/').pop() ?? 'unknown';
    try {
      const outcome = await deps.archiver.archive(records, streamFamily(streamName));
      deps.record(outcome, streamName);
      if (outcome.undecodable > 0) {
        deps.log('warn', 'archived frames that do not decode', {
          stream: streamName,
          frames: outcome.undecodable,
        });
      }
      return { batchItemFailures: [] };
    } catch (error) {
      deps.log('error', 'archive batch failed; Lambda will retry it', {
        stream: streamName,
        records: records.length,
        error: String(error),
      });
      return { batchItemFailures: [{ itemIdentifier: records[0]?.sequenceNumber as string }] };
    }
  };
}
