/**
 * The project's bronze as a history, streaming: one symbol's `rest/depth`, `stream/depth`,
 * `stream/trade` and `stream/bestbidask` objects (all of them, or one UTC day's `dt=` partitions), each dataset read an
 * object at a time in key order, the four merged by receive time and ordered into the tape by the
 * same bounded reorder buffer as history files (core/history/tape-order.ts). Memory is a few objects
 * and the reorder window, whatever the length of the history (docs/adr/0131).
 */
import { datasetPrefix } from '../../../core/bronze/bronze-keys.ts';
import type { DepthLine, StreamFrameLine } from '../../../core/bronze/bronze-lines.ts';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import {
  type BronzeRecordCounts,
  bronzeFrameRecords,
  bronzeSnapshotRecord,
} from '../../../core/history/bronze-records.ts';
import type { HistoryRecord } from '../../../core/history/history-record.ts';
import { mergeByReceipt } from '../../../core/history/merge-by-receipt.ts';
import { orderTapeBatches, TapeOrder } from '../../../core/history/tape-order.ts';
import type { TapeEvent } from '../../../core/model/feature-replay.ts';
import type { SbeBatchDecoder } from '../../../core/sbe/batch-decoder.ts';

export interface BronzeHistoryCounts extends BronzeRecordCounts {
  objects: number;
  snapshots: number;
}

export interface BronzeHistory {
  /** The tape, a batch at a time. */
  batches: AsyncIterable<TapeEvent[]>;
  counts: BronzeHistoryCounts;
  order: TapeOrder;
}

type Dataset = 'rest/depth' | 'stream/depth' | 'stream/trade' | 'stream/bestbidask';

/** One dataset's records, an object at a time, in key order. */
async function* datasetRecords(
  reader: BronzeReader,
  prefix: string,
  toRecords: (lines: unknown[], out: HistoryRecord[]) => void,
  counts: BronzeHistoryCounts,
): AsyncGenerator<HistoryRecord[]> {
  for (const key of await reader.list(prefix)) {
    const out: HistoryRecord[] = [];
    toRecords(await reader.read(key), out);
    counts.objects++;
    yield out;
  }
}

/**
 * One symbol's bronze market data as a tape. `day` (`YYYY-MM-DD`) limits it to that UTC day's
 * partitions (one child of the replay array job).
 */
export function bronzeHistoryTape(
  reader: BronzeReader,
  symbol: string,
  decoder: SbeBatchDecoder,
  o: { day?: string } = {},
): BronzeHistory {
  const counts: BronzeHistoryCounts = {
    objects: 0,
    snapshots: 0,
    frames: 0,
    undecodable: 0,
    otherTemplates: 0,
  };
  const prefix = (dataset: Dataset) => `${datasetPrefix(dataset, symbol)}${o.day ? `dt=${o.day}/` : ''}`;
  const frames = (lines: unknown[], out: HistoryRecord[]) => {
    for (const line of lines as StreamFrameLine[]) bronzeFrameRecords(line, decoder, counts, out);
  };
  const snapshots = (lines: unknown[], out: HistoryRecord[]) => {
    for (const line of lines as DepthLine[]) {
      counts.snapshots++;
      out.push({ ...bronzeSnapshotRecord(line), symbol });
    }
  };
  const order = new TapeOrder({ symbol });
  const records = mergeByReceipt([
    datasetRecords(reader, prefix('rest/depth'), snapshots, counts),
    datasetRecords(reader, prefix('stream/depth'), frames, counts),
    datasetRecords(reader, prefix('stream/trade'), frames, counts),
    // True tops: a day without a snapshot is trusted from them (ignored once a snapshot anchors it).
    datasetRecords(reader, prefix('stream/bestbidask'), frames, counts),
  ]);
  return { batches: orderTapeBatches(records, { symbol }, order), counts, order };
}
