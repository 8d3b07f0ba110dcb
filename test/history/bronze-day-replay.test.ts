/**
 * A day of real bronze replayed into the warehouse (containers/trainer/replay-day.ts), streaming:
 * bronze written by the real code paths (the raw-stream archiver's depth, trade and best bid/ask
 * objects, the re-anchor's archived REST snapshot) into s3rver, two UTC days of it (the market crosses midnight),
 * each day replayed on its own into PGlite. The day with the snapshot gives exactly the rows a
 * whole-bronze replay gives for it; the day without one starts at a rebuilt book; a second run of
 * both days leaves the table as it was.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDayToWarehouse } from '../../containers/trainer/replay-day.ts';
import { datasetFromReplay } from '../../core/model/dataset.ts';
import { replayTape } from '../../core/model/feature-replay.ts';
import { encodeBestBidAsk } from '../../core/sbe/encoder.ts';
import { ArchivingSnapshotSource } from '../../lambdas/re-anchor/archiving-snapshot-source.ts';
import { readBronzeTape } from '../../lambdas/shared/bronze/read-bronze-tape.ts';
import { S3BronzeReader } from '../../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { applyMigrations, loadMigrations } from '../../lambdas/shared/sql/migrations.ts';
import { PgliteSqlClient } from '../../lambdas/shared/sql/pglite-sql-client.ts';
import { StreamArchiver } from '../../lambdas/stream-archiver/stream-archiver.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, type FeedDiff, toRecords } from '../support/depth-feed.ts';
import { TradeTape } from '../support/trade-tape.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../lambdas/data-connector/migrations/', import.meta.url));
const BUCKET = `bronze-day-${process.pid}`;
const SYMBOL = 'BTCUSDT';
/** 90 s before midnight; 150 s of market: 90 s on the first day, 60 s on the second. */
const START_US = Date.parse('2026-11-20T23:58:30Z') * 1000;
const DIFFS = 7500; // 20 ms apart
const ROUND = 250; // diffs per archived round (5 s)
const RECEIVE_DELAY_US = 3000;

let s3: S3Emulator;
let sql: PgliteSqlClient;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET] });
  sql = await PgliteSqlClient.open();
  await applyMigrations(sql, await loadMigrations(MIGRATIONS_DIR));
  const writer = new S3BronzeWriter(s3.client, BUCKET);
  const feed = new DepthFeed(SYMBOL, 5, 50_093_239_218, START_US);
  const trades = new TradeTape(SYMBOL, 9);
  const archiver = new StreamArchiver({ writer, decoder: new WasmSbeDecoder() });
  let snapshotAtId = 0;
  let clockUs = START_US;
  const snapshots = new ArchivingSnapshotSource(
    { depth: async () => feed.snapshotAt(snapshotAtId) },
    writer,
    () => clockUs,
  );
  let seq = 0;
  const archive = async (
    frames: Uint8Array[],
    stream: 'depth' | 'trade' | 'bestbidask',
    receivedUs: number,
  ) => {
    const records = toRecords(frames, 25, receivedUs).map((r) => ({
      ...r,
      sequenceNumber: String(++seq).padStart(20, '0'),
      shardId: `shard-${stream}`,
      partitionKey: SYMBOL,
    }));
    await archiver.archive(records, stream);
  };
  for (let round = 0; round * ROUND < DIFFS; round++) {
    const diffs: FeedDiff[] = [];
    const tops: Uint8Array[] = [];
    for (let k = 0; k < ROUND; k++) {
      const d = feed.next();
      diffs.push(d);
      const [bid, bidQty] = feed.truth.bids.top(1)[0] as [number, number];
      const [ask, askQty] = feed.truth.asks.top(1)[0] as [number, number];
      tops.push(
        encodeBestBidAsk({
          eventTimeUs: d.eventTimeUs,
          bookUpdateId: d.diff.lastUpdateId,
          priceExponent: -8,
          qtyExponent: -8,
          bidPriceMantissa: bid,
          bidQtyMantissa: bidQty,
          askPriceMantissa: ask,
          askQtyMantissa: askQty,
          symbol: SYMBOL,
        }),
      );
    }
    const last = diffs.at(-1) as FeedDiff;
    clockUs = last.eventTimeUs + RECEIVE_DELAY_US;
    await archive(
      diffs.map((d) => d.frame),
      'depth',
      clockUs,
    );
    await archive(trades.framesFor(diffs, feed), 'trade', clockUs);
    await archive(tops, 'bestbidask', clockUs);
    // The re-anchor's first snapshot, a little behind the stream (the poller's would do the same).
    if (round === 0) {
      snapshotAtId = (diffs[200] as FeedDiff).diff.lastUpdateId;
      await snapshots.depth(SYMBOL, 1000);
      await snapshots.flush();
    }
  }
}, 180_000);
afterAll(async () => {
  await sql?.close();
  await s3?.close();
});

type Row = { t: string; v: string; label: number; source: string };
const tableRows = async () =>
  (
    await sql.query<Row>(
      'SELECT event_time_us::text AS t, feature_values::text AS v, label, source FROM training_rows ORDER BY event_time_us',
    )
  ).rows;

describe('a day of bronze into the warehouse', () => {
  it('replays each day on its own, as a whole-bronze replay does, and a second run changes nothing', async () => {
    const reader = new S3BronzeReader(s3.client, BUCKET);
    const run = (day: string) =>
      replayDayToWarehouse({ reader, sql, decoder: new WasmSbeDecoder(), symbol: SYMBOL, day });
    const first = await run('2026-11-20');
    const second = await run('2026-11-21');

    // The first day starts at the archived snapshot, the second (no snapshot in its partitions) at a
    // book rebuilt from its diffs.
    expect(first.stats.anchor).toBe('snapshot');
    expect(second.stats.anchor).toBe('reconstructed');
    expect(first.undecodable + second.undecodable).toBe(0);
    expect(first.rows).toBeGreaterThan(30);
    expect(second.rows).toBeGreaterThan(10);

    // Reference: all of bronze in memory (the parity check's reader), replayed in one go.
    const whole = await readBronzeTape(reader, SYMBOL, new WasmSbeDecoder());
    const replayed = replayTape(whole.tape);
    const reference = new Map(
      datasetFromReplay(replayed.vectors, replayed.mids, 'whole').rows.map((r) => [r.eventTimeUs, r]),
    );
    const midnightUs = Date.parse('2026-11-21T00:00:00Z') * 1000;
    const rows = await tableRows();
    expect(rows).toHaveLength(first.rows + second.rows);
    const firstDay = rows.filter((r) => Number(r.t) < midnightUs);
    expect(firstDay).toHaveLength(first.rows);
    for (const r of firstDay) {
      const ref = reference.get(Number(r.t));
      expect(ref, r.t).toBeDefined();
      expect(JSON.parse(r.v)).toEqual(Array.from(ref?.x ?? [], (x) => (Number.isFinite(x) ? x : null)));
      expect(r.label).toBe(ref?.label);
      expect(r.source).toBe('bronze:2026-11-20');
    }
    // The first day's last rows would need the next day's bronze for their labels: left out.
    expect(Number(firstDay.at(-1)?.t)).toBeLessThan(midnightUs - 10_000_000 + 2_000_000);
    const secondDay = rows.filter((r) => Number(r.t) >= midnightUs);
    expect(secondDay).toHaveLength(second.rows);
    expect(Number(secondDay[0]?.t)).toBeGreaterThanOrEqual(second.stats.trustedFromUs as number);
    expect(secondDay.every((r) => r.source === 'bronze:2026-11-21')).toBe(true);

    // A retried child: the same rows, nothing added or changed.
    expect(await run('2026-11-20')).toMatchObject({ rows: first.rows });
    expect(await run('2026-11-21')).toMatchObject({ rows: second.rows });
    expect(await tableRows()).toEqual(rows);
  }, 180_000);
});
