/**
 * Reads one symbol's bronze for replay and training: the market data (REST depth snapshots and the
 * raw-stream archive of depth and trades) as a replay tape, and the vectors inference served
 * (`features/served`). The cold-start training input, and the two sides of the feature-parity
 * check. Every object of those datasets is read; all of it is held in memory (a day replayed for the
 * warehouse streams instead: lambdas/shared/history/bronze-history.ts).
 */
import { datasetPrefix } from '../../../core/bronze/bronze-keys.ts';
import type { DepthLine, StreamFrameLine } from '../../../core/bronze/bronze-lines.ts';
import type { BronzeReader } from '../../../core/bronze/bronze-store.ts';
import {
  FEATURE_VERSION,
  type FeatureVector,
  type FeatureVectorJson,
  featureVectorFromJSON,
} from '../../../core/features/feature-names.ts';
import { type BronzeTape, tapeFromBronze } from '../../../core/model/bronze-tape.ts';
import type { SbeBatchDecoder } from '../../../core/sbe/batch-decoder.ts';

async function readAll<T>(reader: BronzeReader, prefix: string): Promise<T[]> {
  const lines: T[] = [];
  for (const key of await reader.list(prefix)) lines.push(...(await reader.read<T>(key)));
  return lines;
}

export interface ReadBronzeTapeOptions {
  /**
   * Which REST snapshots to anchor on: all of them (training: every snapshot is information), or
   * only the re-anchor's, as the live book was (the feature-parity check). @default 'all'
   */
  snapshots?: 'all' | 'reanchor';
}

export async function readBronzeTape(
  reader: BronzeReader,
  symbol: string,
  decoder: SbeBatchDecoder,
  options: ReadBronzeTapeOptions = {},
): Promise<BronzeTape> {
  const [allSnapshots, depth, trades] = await Promise.all([
    readAll<DepthLine>(reader, datasetPrefix('rest/depth', symbol)),
    readAll<StreamFrameLine>(reader, datasetPrefix('stream/depth', symbol)),
    readAll<StreamFrameLine>(reader, datasetPrefix('stream/trade', symbol)),
  ]);
  const snapshots =
    options.snapshots === 'reanchor' ? allSnapshots.filter((s) => s.source !== 'poller') : allSnapshots;
  return tapeFromBronze({ symbol, snapshots, frames: [...depth, ...trades] }, decoder);
}

/** The vectors inference served, of this FEATURE_VERSION (another version's are left out). */
export async function readServedVectors(reader: BronzeReader, symbol: string): Promise<FeatureVector[]> {
  const lines = await readAll<FeatureVectorJson>(reader, datasetPrefix('features/served', symbol));
  return lines.filter((l) => l.v === FEATURE_VERSION).map((l) => featureVectorFromJSON(l));
}
