/**
 * Object keys of the S3 bronze layer (docs/bronze-layout.md, the contract with the data connector):
 *
 *   bronze/<source>/<dataset>/symbol=<SYMBOL>/dt=YYYY-MM-DD/hour=HH/<first>-<last>.ndjson.gz
 *   checkpoints/<job>/<dataset>/symbol=<SYMBOL>.json
 *
 * The partition is the UTC hour of the exchange time of the object's first line; the name comes from
 * the ids the object holds, so a writer retrying after a crash writes the same key again. Pure.
 */

export type BronzeDataset =
  | 'rest/aggTrades'
  | 'rest/aggTrades_backfill'
  | 'rest/klines_1m'
  | 'rest/depth'
  | 'stream/trade'
  | 'stream/bestbidask'
  | 'stream/depth'
  | 'features/served'
  | 'inference/switches'
  | 'ledger/completeness';

export const BRONZE_ROOT = 'bronze';
export const CHECKPOINT_ROOT = 'checkpoints';
export const BRONZE_SUFFIX = '.ndjson.gz';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `dt=YYYY-MM-DD/hour=HH` of a UTC time. */
export function hourPartition(timeMs: number): string {
  const d = new Date(timeMs);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${timeMs} is not a time in ms.`);
  return `dt=${d.toISOString().slice(0, 10)}/hour=${pad2(d.getUTCHours())}`;
}

/** `YYYY-MM-DD` of a UTC time. */
export function utcDay(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/** `bronze/<dataset>/symbol=<S>/` : every partition of one dataset and symbol sorts under it. */
export function datasetPrefix(dataset: BronzeDataset, symbol: string): string {
  return `${BRONZE_ROOT}/${dataset}/symbol=${symbol}/`;
}

/** The prefix of one hour partition. */
export function partitionPrefix(dataset: BronzeDataset, symbol: string, timeMs: number): string {
  return `${datasetPrefix(dataset, symbol)}${hourPartition(timeMs)}/`;
}

/**
 * The key of an object whose first line has exchange time `firstLineTimeMs` and that holds ids
 * `first`..`last` (for stream objects `first` is `<shard>_<firstSeq>` and `last` the last sequence).
 */
export function bronzeKey(
  dataset: BronzeDataset,
  symbol: string,
  firstLineTimeMs: number,
  first: string | number,
  last: string | number,
): string {
  return `${partitionPrefix(dataset, symbol, firstLineTimeMs)}${first}-${last}${BRONZE_SUFFIX}`;
}

/** `checkpoints/<job>/<dataset>/symbol=<SYMBOL>.json` */
export function checkpointKey(job: string, dataset: string, symbol: string): string {
  return `${CHECKPOINT_ROOT}/${job}/${dataset}/symbol=${symbol}.json`;
}

export interface ParsedBronzeKey {
  dataset: string;
  symbol: string;
  day: string;
  hour: number;
  first: string;
  last: string;
}

const KEY = /^bronze\/(.+)\/symbol=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(.+)-([^-]+)\.ndjson\.gz$/;

/** The parts of a bronze key; undefined for a key that is not one. */
export function parseBronzeKey(key: string): ParsedBronzeKey | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  return {
    dataset: m[1] as string,
    symbol: m[2] as string,
    day: m[3] as string,
    hour: Number(m[4]),
    first: m[5] as string,
    last: m[6] as string,
  };
}
