/**
 * Reads one symbol's bronze market data (REST depth snapshots and the raw-stream archive of depth and
 * trades) into a replay tape: the cold-start training input, and what the feature-parity check
 * compares served vectors with. Every object of those datasets is read; the tape is built in memory.
 */
import { datasetPrefix } from '../../../core/bronze/bronze-keys.ts';
import type { DepthLine, StreamFrameLine } from '../../../core/bronze/bronze-lines.ts';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import { type BronzeTape, tapeFromBronze } from '../../../core/model/bronze-tape.ts';
import type { SbeBatchDecoder } from '../../../core/sbe/batch-decoder.ts';

async function readAll<T>(reader: BronzeReader, prefix: string): Promise<T[]> {
  const lines: T[] = [];
  for (const key of await reader.list(prefix)) lines.push(...(await reader.read<T>(key)));
  return lines;
}

export async function readBronzeTape(
  reader: BronzeReader,
  symbol: string,
  decoder: SbeBatchDecoder,
): Promise<BronzeTape> {
  const [snapshots, depth, trades] = await Promise.all([
    readAll<DepthLine>(reader, datasetPrefix('rest/depth', symbol)),
    readAll<StreamFrameLine>(reader, datasetPrefix('stream/depth', symbol)),
    readAll<StreamFrameLine>(reader, datasetPrefix('stream/trade', symbol)),
  ]);
  return tapeFromBronze({ symbol, snapshots, frames: [...depth, ...trades] }, decoder);
}
