/**
 * The poller's test rig: a fake clock (sleeps advance it at once, and are recorded), a fetch that
 * records what was sent at what (fake) time and what came back, crash injection in the bronze
 * ports, and readers of what landed in bronze.
 */
import { datasetPrefix } from '../../core/bronze/bronze-keys.ts';
import type { AggTradeLine } from '../../core/bronze/bronze-lines.ts';
import type { BronzeReader, BronzeWriter, CheckpointStore } from '../../core/bronze/bronze-store.ts';
import { WeightBudget } from '../../core/rate-limit/weight-budget.ts';
import type { Clock } from '../../lambdas/rest-poller/guarded-rest.ts';
import { RestPoller, type RestPollerOptions } from '../../lambdas/rest-poller/rest-poller.ts';
import { BinanceRestClient } from '../../lambdas/shared/binance/binance-rest-client.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../../lambdas/shared/bronze/s3-checkpoint-store.ts';
import type { S3Emulator } from '../../local/emulators/s3-emulator.ts';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public now = Date.now()) {}
  nowMs(): number {
    return this.now;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.now += ms;
  }
}

export interface SentRequest {
  atMs: number;
  path: string;
  status: number;
  retryAfterS: number | null;
}

/** A fetch that records each request with the fake time it was sent at and its answer. */
export function recordingFetch(clock: FakeClock, sent: SentRequest[]): typeof fetch {
  return async (input, init) => {
    const atMs = clock.nowMs();
    const response = await fetch(input, init);
    const url = new URL(String(input));
    const retryAfter = response.headers.get('retry-after');
    sent.push({
      atMs,
      path: url.pathname,
      status: response.status,
      retryAfterS: retryAfter === null ? null : Number(retryAfter),
    });
    return response;
  };
}

export class Crash extends Error {
  override readonly name = 'Crash';
}

/** Kills the run at the `n`-th checkpoint write whose key contains `match` (after its data object). */
export function crashingCheckpoints(inner: CheckpointStore, match: string, n: number): CheckpointStore {
  let seen = 0;
  return {
    get: (key) => inner.get(key),
    async put(key, value) {
      if (key.includes(match) && ++seen === n) throw new Crash(`killed before checkpoint ${key}`);
      await inner.put(key, value);
    },
  };
}

/** Kills the run at the `n`-th data write whose key contains `match` (before it is written). */
export function crashingWriter(inner: BronzeWriter, match: string, n: number): BronzeWriter {
  let seen = 0;
  return {
    async write(key, lines) {
      if (key.includes(match) && ++seen === n) throw new Crash(`killed before writing ${key}`);
      await inner.write(key, lines);
    },
  };
}

export interface PollerRig {
  writer: BronzeWriter;
  reader: BronzeReader;
  checkpoints: CheckpointStore;
}

export function s3Rig(s3: S3Emulator, bucket: string): PollerRig {
  return {
    writer: new S3BronzeWriter(s3.client, bucket),
    reader: new S3BronzeReader(s3.client, bucket),
    checkpoints: new S3CheckpointStore(s3.client, bucket),
  };
}

export function makePoller(o: {
  rig: PollerRig;
  restUrl: string;
  clock: FakeClock;
  sent?: SentRequest[];
  share?: number;
  options?: Partial<RestPollerOptions>;
  writer?: BronzeWriter;
  checkpoints?: CheckpointStore;
}): { poller: RestPoller; rest: BinanceRestClient } {
  const rest = new BinanceRestClient(o.restUrl, 10_000, recordingFetch(o.clock, o.sent ?? []));
  const poller = new RestPoller(
    {
      rest,
      writer: o.writer ?? o.rig.writer,
      reader: o.rig.reader,
      checkpoints: o.checkpoints ?? o.rig.checkpoints,
      budget: new WeightBudget({ share: o.share ?? 0.5 }),
      clock: o.clock,
    },
    { symbols: ['BTCUSDT'], initialLookbackMs: 86_400_000, ...o.options },
  );
  return { poller, rest };
}

/** Every aggTrade line in bronze for the symbol, in key order. */
export async function bronzeAggTrades(reader: BronzeReader, symbol = 'BTCUSDT'): Promise<AggTradeLine[]> {
  const lines: AggTradeLine[] = [];
  for (const key of await reader.list(datasetPrefix('rest/aggTrades', symbol))) {
    lines.push(...(await reader.read<AggTradeLine>(key)));
  }
  return lines;
}
