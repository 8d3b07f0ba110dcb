-- The data connector's ledger of loaded bronze objects: a key is recorded after its rows are in, so
-- a crash in between only means loading it again (the upserts are idempotent).
CREATE TABLE bronze_objects (
  object_key  text        PRIMARY KEY,
  dataset     text        NOT NULL,
  etag        text,
  row_count   integer     NOT NULL,
  loaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bronze_objects_by_dataset ON bronze_objects (dataset, object_key);
