/**
 * FeatureReplay after a gap: a snapshot that does not connect with the diffs buffered since (older
 * than they are, as a poller's snapshot received late can be) must leave them for the next snapshot,
 * as the re-anchor keeps its diff log for the newer snapshot it fetches.
 */
import { describe, expect, it } from 'vitest';
import type { Level } from '../../core/book/order-book.ts';
import { replayTape, type TapeEvent } from '../../core/model/feature-replay.ts';

const T0 = 1_723_161_300_000_000;
const PRICE = 60_000 * 1e8;
const TICK = 1e6; // 0.01 at exponent -8

/** The book after update id `id`: one bid and one ask that move with the id. */
const bid = (id: number): Level => [PRICE - (id % 5) * TICK, (id + 1) * 1e6];
const ask = (id: number): Level => [PRICE + TICK + (id % 3) * TICK, (id + 2) * 1e6];

/** Diff `id` at 100 ms per id: it sets this id's levels. */
const diff = (id: number): TapeEvent => ({
  kind: 'diff',
  timeUs: T0 + id * 100_000,
  firstUpdateId: id,
  lastUpdateId: id,
  bids: [bid(id)],
  asks: [ask(id)],
});

/** The whole book as of `id` (every level any diff up to it set). */
function snapshot(id: number): TapeEvent {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  for (let i = 1; i <= id; i++) {
    bids.set(bid(i)[0], bid(i)[1]);
    asks.set(ask(i)[0], ask(i)[1]);
  }
  return { kind: 'snapshot', lastUpdateId: id, bids: [...bids], asks: [...asks] };
}

describe('FeatureReplay, a snapshot that does not connect after a gap', () => {
  it('keeps the diffs buffered since the gap for the next snapshot', () => {
    const tape: TapeEvent[] = [snapshot(0)];
    for (let id = 1; id <= 40; id++) {
      if (id === 10) continue; // lost: diff 11 reveals the gap
      tape.push(diff(id));
      // A snapshot from before the gap, received after diff 13: it cannot connect with 11…13.
      if (id === 13) tape.push(snapshot(5));
      // The re-anchor's snapshot (taken inside the hole's aftermath, at 12), received after diff 16.
      if (id === 16) tape.push(snapshot(12));
    }
    const replay = replayTape(tape, { tickUs: 100_000 });
    expect(replay.stats.gaps).toBe(1);
    expect(replay.stats.reconstructions).toBe(0);
    // No book from the gap (diff 11) until the snapshot at 12 synced with 13…16 (tick 1.6 s is
    // computed when diff 17 comes, after the sync); a vector at every tick after that.
    expect(replay.unsynced).toEqual([{ fromUs: T0 + 1_100_000, toUs: T0 + 1_500_000 }]);
    const times = replay.vectors.map((v) => v.eventTimeUs);
    for (let id = 17; id <= 40; id++) expect(times).toContain(T0 + id * 100_000);
  });
});
