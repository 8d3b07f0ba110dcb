/**
 * S3 bronze → PostgreSQL. For each object: parse it, upsert its rows and record its key in the
 * `bronze_objects` ledger, all in one transaction (so the ledger never claims rows that are not
 * there). Objects already in the ledger with the same ETag are skipped; loading one twice would still
 * change nothing (natural-key upserts). `catchUp` lists each dataset from its S3 checkpoint's
 * partition (minus a lookback, for objects that land late in an older hour) and loads what the ledger
 * lacks, then moves the checkpoint. Migrations are applied once before the first load.
 */

import { MarketDataRepository } from '../shared/sql/market-data-repository.ts';
import { applyMigrations, type Migration } from '../shared/sql/migrations.ts';
import type { SqlClient } from '../shared/sql/sql-client.ts';
import {
  type BronzeKey,
  type BronzeRows,
  LOADED_DATASETS,
  type LoadedDataset,
  parseBronzeKey,
  parseBronzeObject,
} from './bronze-objects.ts';
import type { BronzeObjectRef, BronzeSource } from './bronze-source.ts';

export interface DataConnectorDeps {
  sql: SqlClient;
  bronze: BronzeSource;
  migrations: readonly Migration[];
  /** Wall clock in µs (checkpoint timestamps only). */
  nowUs: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export interface LoadOutcome {
  loaded: number;
  rows: number;
  /** Already in the ledger with the same ETag. */
  unchanged: number;
  /** Not a dataset this connector loads. */
  ignored: number;
  failed: { key: string; error: string }[];
}

export class DataConnectorError extends Error {
  override readonly name = 'DataConnectorError';
  constructor(readonly failed: LoadOutcome['failed']) {
    super(
      `${failed.length} bronze object(s) failed to load: ${failed.map((f) => `${f.key} (${f.error})`).join('; ')}.`,
    );
  }
}

const emptyOutcome = (): LoadOutcome => ({ loaded: 0, rows: 0, unchanged: 0, ignored: 0, failed: [] });

function add(a: LoadOutcome, b: LoadOutcome): LoadOutcome {
  return {
    loaded: a.loaded + b.loaded,
    rows: a.rows + b.rows,
    unchanged: a.unchanged + b.unchanged,
    ignored: a.ignored + b.ignored,
    failed: [...a.failed, ...b.failed],
  };
}

/** `dt=YYYY-MM-DD/hour=HH` shifted back by `hours`. */
export function partitionMinusHours(partition: string, hours: number): string {
  const m = /^dt=(\d{4})-(\d{2})-(\d{2})\/hour=(\d{2})$/.exec(partition);
  if (!m) throw new RangeError(`"${partition}" is not a dt=YYYY-MM-DD/hour=HH partition.`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]) - hours));
  const p2 = (x: number) => String(x).padStart(2, '0');
  return `dt=${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}/hour=${p2(d.getUTCHours())}`;
}

export class DataConnector {
  private migrated: Promise<unknown> | undefined;

  constructor(private readonly deps: DataConnectorDeps) {}

  /** Applies pending migrations once per instance (cold start). */
  migrate(): Promise<unknown> {
    this.migrated ??= applyMigrations(this.deps.sql, this.deps.migrations).then(
      (outcome) => {
        if (outcome.applied.length > 0) this.deps.log?.('info', 'migrations applied', { ...outcome });
        return outcome;
      },
      (error) => {
        this.migrated = undefined; // try again on the next invocation
        throw error;
      },
    );
    return this.migrated;
  }

  /** Loads the given objects (an S3 notification's keys, say). */
  async loadObjects(refs: readonly BronzeObjectRef[]): Promise<LoadOutcome> {
    await this.migrate();
    let outcome = emptyOutcome();
    for (const ref of refs) {
      const k = parseBronzeKey(ref.key);
      if (!k) {
        outcome.ignored++;
        continue;
      }
      const loaded = await new MarketDataRepository(this.deps.sql).loadedEtag(ref.key);
      if (loaded && ref.etag !== undefined && loaded.etag === ref.etag) {
        outcome.unchanged++;
        continue;
      }
      outcome = add(outcome, await this.loadOne(k));
    }
    return outcome;
  }

  /** Lists every loaded dataset of each symbol from its checkpoint and loads what is missing. */
  async catchUp(symbols: readonly string[], lookbackHours = 1): Promise<LoadOutcome> {
    await this.migrate();
    let outcome = emptyOutcome();
    for (const symbol of symbols)
      for (const dataset of LOADED_DATASETS)
        outcome = add(outcome, await this.catchUpDataset(dataset, symbol, lookbackHours));
    return outcome;
  }

  private async catchUpDataset(
    dataset: LoadedDataset,
    symbol: string,
    lookbackHours: number,
  ): Promise<LoadOutcome> {
    const prefix = `bronze/${dataset}/symbol=${symbol}/`;
    const checkpoint = await this.deps.bronze.readCheckpoint(dataset, symbol);
    const startAfter = checkpoint
      ? `${prefix}${partitionMinusHours(checkpoint.partition, lookbackHours)}/`
      : undefined;
    const ledger = await new MarketDataRepository(this.deps.sql).loadedKeys(
      startAfter ?? prefix,
      `${prefix}~`,
    );
    let outcome = emptyOutcome();
    let newest = checkpoint;
    for await (const ref of this.deps.bronze.list(prefix, startAfter)) {
      const k = parseBronzeKey(ref.key);
      if (!k) {
        outcome.ignored++;
        continue;
      }
      if (ledger.has(ref.key) && (ref.etag === undefined || ledger.get(ref.key) === ref.etag)) {
        outcome.unchanged++;
      } else {
        const one = await this.loadOne(k);
        outcome = add(outcome, one);
        if (one.failed.length > 0) continue;
      }
      if (outcome.failed.length === 0 && (!newest || k.partition >= newest.partition))
        newest = {
          partition: k.partition,
          lastKey: ref.key,
          loadedObjects: (newest?.loadedObjects ?? 0) + 1,
          updatedAtUs: this.deps.nowUs(),
        };
    }
    // The checkpoint only moves past what loaded: a failure is listed (and retried) next time.
    if (newest && newest !== checkpoint && outcome.failed.length === 0)
      await this.deps.bronze.writeCheckpoint(dataset, symbol, newest);
    return outcome;
  }

  private async loadOne(k: BronzeKey): Promise<LoadOutcome> {
    const outcome = emptyOutcome();
    try {
      const { body, etag } = await this.deps.bronze.get(k.key);
      const parsed = parseBronzeObject(k, body);
      await this.deps.sql.transaction(async (tx) => {
        const repo = new MarketDataRepository(tx);
        await upsert(repo, parsed);
        await repo.recordLoaded(k.key, k.dataset, etag ?? null, parsed.rows.length);
      });
      outcome.loaded = 1;
      outcome.rows = parsed.rows.length;
    } catch (error) {
      this.deps.log?.('error', 'bronze object failed to load', { key: k.key, error: String(error) });
      outcome.failed.push({ key: k.key, error: (error as Error).message });
    }
    return outcome;
  }
}

function upsert(repo: MarketDataRepository, parsed: BronzeRows): Promise<void> {
  switch (parsed.dataset) {
    case 'rest/aggTrades':
      return repo.upsertAggTrades(parsed.rows);
    case 'rest/klines_1m':
      return repo.upsertKlines(parsed.rows);
    case 'rest/depth':
      return repo.upsertBookSnapshots(parsed.rows);
    case 'features/served':
      return repo.upsertServed(parsed.rows);
  }
}
