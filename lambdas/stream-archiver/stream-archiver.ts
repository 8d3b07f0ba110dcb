/**
 * The raw-stream archive: every SBE frame of a Kinesis batch, exactly as received, into
 * `bronze/stream/<stream>/symbol=<S>/dt=…/hour=…/<shard>_<firstSeq>-<lastSeq>.ndjson.gz`, one object
 * per batch, shard, stream and symbol. The key comes from the shard and the sequence numbers of the
 * records it holds, so the batch retried after a failure writes the same keys again.
 * The symbol is the record's partition key (the ingestor partitions by symbol); a frame's stream is
 * its template's, else (an undecodable frame without a readable header) the Kinesis stream's.
 */
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { BronzeWriter } from '../../core/bronze/bronze-store.ts';
import {
  type ArchivedFrame,
  type ArchivedStream,
  archivedFrames,
} from '../../core/bronze/stream-frame-lines.ts';
import { allocateEnvelopeFrames } from '../../core/envelope/frame-envelope.ts';
import type { SbeBatchDecoder } from '../../core/sbe/batch-decoder.ts';

export interface ArchiveRecord {
  data: Uint8Array;
  sequenceNumber: string;
  shardId: string;
  partitionKey: string;
}

export interface ArchiveOutcome {
  records: number;
  frames: number;
  undecodable: number;
  objects: string[];
}

interface Group {
  stream: ArchivedStream;
  symbol: string;
  shardId: string;
  firstSeq: string;
  lastSeq: string;
  lines: ArchivedFrame['line'][];
}

export class StreamArchiver {
  private readonly frames = allocateEnvelopeFrames();

  constructor(private readonly deps: { writer: BronzeWriter; decoder: SbeBatchDecoder }) {}

  /**
   * Archives the records (one shard's batch, in order). `defaultStream` names the Kinesis stream's
   * family for frames whose template cannot be read. Throws if a record is not an envelope or a write
   * fails: the caller fails the batch, and its retry overwrites whatever was written.
   */
  async archive(records: readonly ArchiveRecord[], defaultStream: ArchivedStream): Promise<ArchiveOutcome> {
    const groups = new Map<string, Group>();
    let frames = 0;
    let undecodable = 0;
    for (const record of records) {
      for (const frame of archivedFrames(record.data, this.deps.decoder, this.frames)) {
        frames++;
        if (frame.line.firstId === null) undecodable++;
        const stream = frame.stream ?? defaultStream;
        const symbol = record.partitionKey || frame.symbol || 'UNKNOWN';
        const id = `${record.shardId}|${stream}|${symbol}`;
        let group = groups.get(id);
        if (!group) {
          group = {
            stream,
            symbol,
            shardId: record.shardId,
            firstSeq: record.sequenceNumber,
            lastSeq: record.sequenceNumber,
            lines: [],
          };
          groups.set(id, group);
        }
        group.lastSeq = record.sequenceNumber;
        group.lines.push(frame.line);
      }
    }
    const objects: string[] = [];
    for (const g of groups.values()) {
      const first = g.lines[0] as ArchivedFrame['line'];
      const key = bronzeKey(
        `stream/${g.stream}`,
        g.symbol,
        Math.floor(first.eventTimeUs / 1000),
        `${g.shardId}_${g.firstSeq}`,
        g.lastSeq,
      );
      await this.deps.writer.write(key, g.lines);
      objects.push(key);
    }
    return { records: records.length, frames, undecodable, objects };
  }
}
