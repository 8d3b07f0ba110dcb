-- Market data loaded from S3 bronze (docs/bronze-layout.md). Natural keys are the primary keys, so
-- loading the same bronze object twice changes nothing. Decimals stay exact (numeric); times are
-- integer microseconds or milliseconds as their names say.

CREATE TABLE agg_trades (
  symbol          text    NOT NULL,
  agg_trade_id    bigint  NOT NULL,
  price           numeric NOT NULL,
  qty             numeric NOT NULL,
  first_trade_id  bigint  NOT NULL,
  last_trade_id   bigint  NOT NULL,
  trade_time_us   bigint  NOT NULL,
  is_buyer_maker  boolean NOT NULL,
  is_best_match   boolean,
  recv_time_us    bigint,
  PRIMARY KEY (symbol, agg_trade_id)
);
CREATE INDEX agg_trades_by_time ON agg_trades (symbol, trade_time_us);

CREATE TABLE klines_1m (
  symbol          text    NOT NULL,
  open_time_ms    bigint  NOT NULL,
  open            numeric NOT NULL,
  high            numeric NOT NULL,
  low             numeric NOT NULL,
  close           numeric NOT NULL,
  volume          numeric NOT NULL,
  close_time_ms   bigint  NOT NULL,
  quote_volume    numeric,
  trades          bigint,
  taker_buy_base  numeric,
  taker_buy_quote numeric,
  recv_time_us    bigint,
  PRIMARY KEY (symbol, open_time_ms)
);

-- One REST /api/v3/depth response per row; the levels as Binance sent them ([price, qty] strings).
CREATE TABLE book_snapshots (
  symbol          text    NOT NULL,
  last_update_id  bigint  NOT NULL,
  recv_time_us    bigint,
  best_bid        numeric,
  best_ask        numeric,
  bid_levels      integer NOT NULL,
  ask_levels      integer NOT NULL,
  bids            jsonb   NOT NULL,
  asks            jsonb   NOT NULL,
  PRIMARY KEY (symbol, last_update_id)
);

-- Feature vectors as served (core/features JSON form: NaN is null), one per instant and version.
CREATE TABLE features (
  symbol          text    NOT NULL,
  event_time_us   bigint  NOT NULL,
  feature_version integer NOT NULL,
  feature_values  jsonb   NOT NULL,
  PRIMARY KEY (symbol, feature_version, event_time_us)
);

CREATE TABLE predictions (
  symbol                text    NOT NULL,
  event_time_us         bigint  NOT NULL,
  model_version         text    NOT NULL,
  prediction_log_return double precision NOT NULL,
  horizon_us            bigint  NOT NULL,
  PRIMARY KEY (symbol, model_version, event_time_us)
);
