/**
 * The market-data tables (lambdas/data-connector/migrations) behind domain methods: the data connector
 * writes through it, the trainer reads features back. Writes are idempotent upserts on natural keys:
 * trades, depth snapshots, features and predictions never change once written; a write of different
 * data under a key already held keeps the stored row and is counted in its `conflicting_writes`
 * (never silent: two runs whose ids collided, say); the same data again counts nothing. A kline
 * polled again while still forming is replaced by the later poll (DO UPDATE when recv time is not
 * older). Reads page by key (LIMIT) so a Data API response stays under 1 MiB.
 */
import { type FeatureVector, featureVectorFromJSON } from '../../../core/features/feature-names.ts';
import type { SqlExecutor } from './sql-client.ts';

export interface AggTradeRow {
  symbol: string;
  aggTradeId: number;
  /** Decimal strings as Binance sent them. */
  price: string;
  qty: string;
  firstTradeId: number;
  lastTradeId: number;
  tradeTimeUs: number;
  isBuyerMaker: boolean;
  isBestMatch: boolean | null;
  recvTimeUs: number | null;
}

export interface KlineRow {
  symbol: string;
  openTimeMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closeTimeMs: number;
  quoteVolume: string | null;
  trades: number | null;
  takerBuyBase: string | null;
  takerBuyQuote: string | null;
  recvTimeUs: number | null;
}

export interface BookSnapshotRow {
  symbol: string;
  lastUpdateId: number;
  recvTimeUs: number | null;
  bids: [string, string][];
  asks: [string, string][];
}

export interface ServedRow {
  symbol: string;
  eventTimeUs: number;
  featureVersion: number;
  /** core/features JSON form: null for NaN. */
  values: (number | null)[];
  modelVersion: string | null;
  predictionLogReturn: number | null;
  horizonUs: number | null;
}

const UPSERT_AGG_TRADE = `INSERT INTO agg_trades
  (symbol, agg_trade_id, price, qty, first_trade_id, last_trade_id, trade_time_us, is_buyer_maker, is_best_match, recv_time_us)
  VALUES ($1, $2, CAST($3 AS numeric), CAST($4 AS numeric), $5, $6, $7, $8, $9, $10)
  ON CONFLICT (symbol, agg_trade_id) DO UPDATE SET conflicting_writes = agg_trades.conflicting_writes + 1
  WHERE (agg_trades.price, agg_trades.qty, agg_trades.first_trade_id, agg_trades.last_trade_id,
         agg_trades.trade_time_us, agg_trades.is_buyer_maker)
    IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.qty, EXCLUDED.first_trade_id, EXCLUDED.last_trade_id,
         EXCLUDED.trade_time_us, EXCLUDED.is_buyer_maker)`;

const UPSERT_KLINE = `INSERT INTO klines_1m
  (symbol, open_time_ms, open, high, low, close, volume, close_time_ms, quote_volume, trades, taker_buy_base, taker_buy_quote, recv_time_us)
  VALUES ($1, $2, CAST($3 AS numeric), CAST($4 AS numeric), CAST($5 AS numeric), CAST($6 AS numeric), CAST($7 AS numeric),
          $8, CAST($9 AS numeric), $10, CAST($11 AS numeric), CAST($12 AS numeric), $13)
  ON CONFLICT (symbol, open_time_ms) DO UPDATE SET
    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, close_time_ms = EXCLUDED.close_time_ms, quote_volume = EXCLUDED.quote_volume,
    trades = EXCLUDED.trades, taker_buy_base = EXCLUDED.taker_buy_base, taker_buy_quote = EXCLUDED.taker_buy_quote,
    recv_time_us = EXCLUDED.recv_time_us
  WHERE klines_1m.recv_time_us IS NULL OR EXCLUDED.recv_time_us >= klines_1m.recv_time_us`;

const UPSERT_BOOK = `INSERT INTO book_snapshots
  (symbol, last_update_id, recv_time_us, best_bid, best_ask, bid_levels, ask_levels, bids, asks)
  VALUES ($1, $2, $3, CAST($4 AS numeric), CAST($5 AS numeric), $6, $7, CAST($8 AS jsonb), CAST($9 AS jsonb))
  ON CONFLICT (symbol, last_update_id) DO UPDATE SET conflicting_writes = book_snapshots.conflicting_writes + 1
  WHERE (book_snapshots.bids, book_snapshots.asks) IS DISTINCT FROM (EXCLUDED.bids, EXCLUDED.asks)`;

const UPSERT_FEATURES = `INSERT INTO features (symbol, event_time_us, feature_version, feature_values)
  VALUES ($1, $2, $3, CAST($4 AS jsonb))
  ON CONFLICT (symbol, feature_version, event_time_us) DO UPDATE SET conflicting_writes = features.conflicting_writes + 1
  WHERE features.feature_values IS DISTINCT FROM EXCLUDED.feature_values`;

const UPSERT_TRAINING_ROW = `INSERT INTO training_rows (symbol, feature_version, event_time_us, feature_values, label, source)
  VALUES ($1, $2, $3, CAST($4 AS jsonb), $5, $6)
  ON CONFLICT (symbol, feature_version, event_time_us) DO UPDATE SET
    feature_values = EXCLUDED.feature_values, label = EXCLUDED.label, source = EXCLUDED.source`;

/** A replayed feature row and its label (core/model/dataset.ts LabelledRow, with its key). */
export interface TrainingRow {
  symbol: string;
  featureVersion: number;
  eventTimeUs: number;
  /** FEATURE_NAMES order; NaN is stored as null. */
  values: readonly number[];
  label: number;
  source: string;
}

const UPSERT_PREDICTION = `INSERT INTO predictions (symbol, event_time_us, model_version, prediction_log_return, horizon_us)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (symbol, model_version, event_time_us) DO UPDATE SET conflicting_writes = predictions.conflicting_writes + 1
  WHERE (predictions.prediction_log_return, predictions.horizon_us)
    IS DISTINCT FROM (EXCLUDED.prediction_log_return, EXCLUDED.horizon_us)`;

/** Rows per read: a feature row is under 1 KB as Data API JSON, so a page stays well under 1 MiB. */
export const READ_PAGE_ROWS = 500;

export class MarketDataRepository {
  constructor(private readonly sql: SqlExecutor) {}

  upsertAggTrades(rows: readonly AggTradeRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.sql.batch(
      UPSERT_AGG_TRADE,
      rows.map((r) => [
        r.symbol,
        r.aggTradeId,
        r.price,
        r.qty,
        r.firstTradeId,
        r.lastTradeId,
        r.tradeTimeUs,
        r.isBuyerMaker,
        r.isBestMatch,
        r.recvTimeUs,
      ]),
    );
  }

  upsertKlines(rows: readonly KlineRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.sql.batch(
      UPSERT_KLINE,
      rows.map((r) => [
        r.symbol,
        r.openTimeMs,
        r.open,
        r.high,
        r.low,
        r.close,
        r.volume,
        r.closeTimeMs,
        r.quoteVolume,
        r.trades,
        r.takerBuyBase,
        r.takerBuyQuote,
        r.recvTimeUs,
      ]),
    );
  }

  upsertBookSnapshots(rows: readonly BookSnapshotRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.sql.batch(
      UPSERT_BOOK,
      rows.map((r) => [
        r.symbol,
        r.lastUpdateId,
        r.recvTimeUs,
        r.bids[0]?.[0] ?? null,
        r.asks[0]?.[0] ?? null,
        r.bids.length,
        r.asks.length,
        JSON.stringify(r.bids),
        JSON.stringify(r.asks),
      ]),
    );
  }

  async upsertServed(rows: readonly ServedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.batch(
      UPSERT_FEATURES,
      rows.map((r) => [r.symbol, r.eventTimeUs, r.featureVersion, JSON.stringify(r.values)]),
    );
    const predicted = rows.filter((r) => r.modelVersion !== null && r.predictionLogReturn !== null);
    if (predicted.length > 0)
      await this.sql.batch(
        UPSERT_PREDICTION,
        predicted.map((r) => [
          r.symbol,
          r.eventTimeUs,
          r.modelVersion,
          r.predictionLogReturn,
          r.horizonUs ?? 10_000_000,
        ]),
      );
  }

  /** Writes of different data kept out under a key already held, per table (0 when none). */
  async conflictingWrites(): Promise<Record<string, number>> {
    const r = await this.sql.query<{ t: string; n: string | number }>(
      `SELECT 'agg_trades' AS t, coalesce(sum(conflicting_writes), 0) AS n FROM agg_trades
       UNION ALL SELECT 'book_snapshots', coalesce(sum(conflicting_writes), 0) FROM book_snapshots
       UNION ALL SELECT 'features', coalesce(sum(conflicting_writes), 0) FROM features
       UNION ALL SELECT 'predictions', coalesce(sum(conflicting_writes), 0) FROM predictions`,
    );
    return Object.fromEntries(r.rows.map((row) => [row.t, Number(row.n)]));
  }

  /** Idempotent: a row at the same key is replaced (a day replayed again). */
  async upsertTrainingRows(rows: readonly TrainingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.batch(
      UPSERT_TRAINING_ROW,
      rows.map((r) => [
        r.symbol,
        r.featureVersion,
        r.eventTimeUs,
        JSON.stringify(r.values.map((v) => (Number.isFinite(v) ? v : null))),
        r.label,
        r.source,
      ]),
    );
  }

  /** Replayed rows of one version in [fromUs, toUs], oldest first (NaN restored from null). */
  async readTrainingRows(
    symbol: string,
    featureVersion: number,
    fromUs = 0,
    toUs = Number.MAX_SAFE_INTEGER,
  ): Promise<{ eventTimeUs: number; x: Float64Array; label: number }[]> {
    const out: { eventTimeUs: number; x: Float64Array; label: number }[] = [];
    let after = fromUs - 1;
    for (;;) {
      const page = await this.sql.query<{ t: string | number; v: string; label: number | string }>(
        `SELECT event_time_us::text AS t, feature_values::text AS v, label FROM training_rows
         WHERE symbol = $1 AND feature_version = $2 AND event_time_us > $3 AND event_time_us <= $4
         ORDER BY event_time_us LIMIT ${READ_PAGE_ROWS}`,
        [symbol, featureVersion, after, toUs],
      );
      for (const r of page.rows) {
        const values = JSON.parse(r.v) as (number | null)[];
        out.push({
          eventTimeUs: Number(r.t),
          x: Float64Array.from(values, (v) => (v === null ? Number.NaN : v)),
          label: Number(r.label),
        });
      }
      if (page.rows.length < READ_PAGE_ROWS) return out;
      after = Number((page.rows[page.rows.length - 1] as { t: string }).t);
    }
  }

  async recordLoaded(
    objectKey: string,
    dataset: string,
    etag: string | null,
    rowCount: number,
  ): Promise<void> {
    await this.sql.query(
      `INSERT INTO bronze_objects (object_key, dataset, etag, row_count) VALUES ($1, $2, $3, $4)
       ON CONFLICT (object_key) DO UPDATE SET etag = EXCLUDED.etag, row_count = EXCLUDED.row_count, loaded_at = now()`,
      [objectKey, dataset, etag, rowCount],
    );
  }

  /** Whether one key is in the ledger, and its ETag. */
  async loadedEtag(objectKey: string): Promise<{ etag: string | null } | undefined> {
    const r = await this.sql.query<{ etag: string | null }>(
      'SELECT etag FROM bronze_objects WHERE object_key = $1',
      [objectKey],
    );
    return r.rows[0];
  }

  /** Loaded keys (with their ETag) in [fromKey, toKey), paged. */
  async loadedKeys(fromKey: string, toKey: string): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    let after = '';
    for (;;) {
      const page = await this.sql.query<{ object_key: string; etag: string | null }>(
        `SELECT object_key, etag FROM bronze_objects
         WHERE object_key >= $1 AND object_key < $2 AND object_key > $3
         ORDER BY object_key LIMIT ${READ_PAGE_ROWS}`,
        [fromKey, toKey, after],
      );
      for (const r of page.rows) out.set(r.object_key, r.etag);
      if (page.rows.length < READ_PAGE_ROWS) return out;
      after = (page.rows[page.rows.length - 1] as { object_key: string }).object_key;
    }
  }

  /** Served feature vectors of one version, oldest first, in [fromUs, toUs]. */
  async readFeatures(
    symbol: string,
    featureVersion: number,
    fromUs = 0,
    toUs = Number.MAX_SAFE_INTEGER,
  ): Promise<FeatureVector[]> {
    const out: FeatureVector[] = [];
    let after = fromUs - 1;
    for (;;) {
      const page = await this.sql.query<{ t: string | number; v: string }>(
        `SELECT event_time_us::text AS t, feature_values::text AS v FROM features
         WHERE symbol = $1 AND feature_version = $2 AND event_time_us > $3 AND event_time_us <= $4
         ORDER BY event_time_us LIMIT ${READ_PAGE_ROWS}`,
        [symbol, featureVersion, after, toUs],
      );
      for (const r of page.rows) {
        // Validates the length and refuses a version this code does not compute.
        out.push(
          featureVectorFromJSON({ v: featureVersion, eventTimeUs: Number(r.t), values: JSON.parse(r.v) }),
        );
      }
      if (page.rows.length < READ_PAGE_ROWS) return out;
      after = Number((page.rows[page.rows.length - 1] as { t: string }).t);
    }
  }
}
