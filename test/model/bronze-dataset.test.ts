/**
 * The trainer's bronze source (`--data s3://<bucket>` or a copy of the bucket): served vectors when
 * there are enough, else a cold start that replays the market data bronze holds. The replay from
 * archived SBE frames must give the rows a replay of the same events held in memory gives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, MIN_SERVED_ROWS } from '../../containers/trainer/data-sources.ts';
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import { FEATURE_COUNT, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { datasetFromReplay } from '../../core/model/dataset.ts';
import { replayTape, type TapeEvent } from '../../core/model/feature-replay.ts';
import { ArchivingSnapshotSource } from '../../lambdas/re-anchor/archiving-snapshot-source.ts';
import { DirectoryBronzeWriter } from '../../lambdas/shared/bronze/directory-bronze-writer.ts';
import { S3BronzeWriter } from '../../lambdas/shared/bronze/s3-bronze-writer.ts';
import { StreamArchiver } from '../../lambdas/stream-archiver/stream-archiver.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { DepthFeed, toRecords } from '../support/depth-feed.ts';

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
let s3: S3Emulator;
let dir: string;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: ['cold-start', 'served'] });
  dir = await mkdtemp(join(tmpdir(), 'bronze-copy-'));
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

describe('trainer data from bronze', () => {
  it('replays bronze market data on a cold start, row for row as the same events replayed in memory', async () => {
    const writer = new S3BronzeWriter(s3.client, 'cold-start');
    const feed = new DepthFeed('BTCUSDT', 31);
    const snapshot = feed.snapshotAt(feed.truth.updateId);
    // The re-anchor's snapshot, then 100 s of diffs as the archiver stores them.
    const snapshots = new ArchivingSnapshotSource({ depth: async () => snapshot }, writer, nowUs);
    await snapshots.depth('BTCUSDT', 5000);
    await snapshots.flush();
    const diffs = feed.take(5000);
    const archiver = new StreamArchiver({ writer, decoder: new WasmSbeDecoder() });
    const records = toRecords(
      diffs.map((d) => d.frame),
      50,
      nowUs(),
    ).map((r) => ({ ...r, shardId: 'shard-0', partitionKey: 'BTCUSDT' }));
    for (let i = 0; i < records.length; i += 20) await archiver.archive(records.slice(i, i + 20), 'depth');

    const dataset = await loadDataset('s3://cold-start', { region: s3.region, endpoint: s3.endpoint });
    expect(dataset.source).toBe('s3://cold-start market data replayed');

    const inMemory: TapeEvent[] = [
      { kind: 'snapshot', ...snapshot },
      ...diffs.map((d) => ({ kind: 'diff' as const, timeUs: d.eventTimeUs, ...d.diff })),
    ];
    const { vectors, mids } = replayTape(inMemory);
    const expected = datasetFromReplay(vectors, mids, 'memory');
    // A row per 2 s tick that has a label 10 s ahead.
    expect(dataset.rows.length).toBeGreaterThan(40);
    expect(dataset.rows).toEqual(expected.rows);
  });

  it('takes the served vectors when there are enough, from S3 or from a copy of the bucket', async () => {
    const t0 = 1_723_161_300_000_000;
    const lines = Array.from({ length: MIN_SERVED_ROWS + 10 }, (_, i) => ({
      eventTimeUs: t0 + i * 2_000_000,
      v: FEATURE_VERSION,
      values: Array.from({ length: FEATURE_COUNT }, (_, j) => (j === 0 ? null : Math.sin(i + j))),
      modelVersion: 'random-walk',
      predictionLogReturn: 0,
      horizonUs: 10_000_000,
    }));
    const key = bronzeKey('features/served', 'BTCUSDT', t0 / 1000, t0, t0 + lines.length * 2_000_000);
    await new S3BronzeWriter(s3.client, 'served').write(key, lines);
    await new DirectoryBronzeWriter(dir).write(key, lines);

    const fromS3 = await loadDataset('s3://served', { region: s3.region, endpoint: s3.endpoint });
    const fromCopy = await loadDataset(dir);
    // Each vector is labelled from the one 10 s (five ticks) later.
    expect(fromS3.rows).toHaveLength(lines.length - 5);
    expect(fromS3.source).toBe(`s3://served features/served(${lines.length})`);
    expect(fromCopy.rows).toEqual(fromS3.rows);
  });
});
