-- Feature rows and their labels replayed from history (containers/trainer/replay-day.ts: one AWS Batch
-- array child per day), the training job's input. A day replayed again replaces its rows (DO UPDATE):
-- the same history gives the same rows, so a retried child changes nothing.
CREATE TABLE training_rows (
  symbol          text             NOT NULL,
  feature_version integer          NOT NULL,
  event_time_us   bigint           NOT NULL,
  feature_values  jsonb            NOT NULL,
  label           double precision NOT NULL,
  source          text             NOT NULL,
  PRIMARY KEY (symbol, feature_version, event_time_us)
);
