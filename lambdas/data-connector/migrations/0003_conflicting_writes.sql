-- A row written again under the same natural key with different data is not silently dropped: the
-- stored row stays (the first writer's), and its conflicting_writes counts each different write
-- (ON CONFLICT ... DO UPDATE ... WHERE ... IS DISTINCT FROM, lambdas/shared/sql/market-data-repository.ts).
-- The same data written again (a bronze object loaded twice) counts nothing.
ALTER TABLE agg_trades ADD COLUMN conflicting_writes integer NOT NULL DEFAULT 0;
ALTER TABLE book_snapshots ADD COLUMN conflicting_writes integer NOT NULL DEFAULT 0;
ALTER TABLE features ADD COLUMN conflicting_writes integer NOT NULL DEFAULT 0;
ALTER TABLE predictions ADD COLUMN conflicting_writes integer NOT NULL DEFAULT 0;
