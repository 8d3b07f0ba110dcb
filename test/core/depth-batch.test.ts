/**
 * The instant a depth batch's feature vector describes: the last applied diff's time floored to the
 * 100 ms grid, with the book as of that instant. Diffs later in the same 100 ms must not leak into
 * the book features, or live vectors differ from an offline replay stamped at the same instant.
 */
import { describe, expect, it } from 'vitest';
import { DepthBatch, type SymbolDepthState } from '../../core/aggregation/depth-batch.ts';
import { type Level, OrderBook } from '../../core/book/order-book.ts';
import { bookTopFromSides } from '../../core/features/book-top.ts';
import { FeatureState } from '../../core/features/feature-state.ts';

const E = -8;
const T0 = 1_723_161_255_000_000; // on the 100 ms grid
const px = (p: number) => p * 1e8;

function state(): SymbolDepthState {
  const book = OrderBook.fromSnapshot(
    100,
    [[px(100), 5e8] as Level, [px(99), 5e8] as Level],
    [[px(101), 5e8] as Level, [px(102), 5e8] as Level],
  );
  return {
    symbol: 'BTCUSDT',
    book,
    epoch: 1,
    stale: undefined,
    priceExponent: E,
    qtyExponent: E,
    features: new FeatureState(),
  };
}

/** Applies one diff that sets the best bid's quantity to `qty` (so each diff leaves a visible mark). */
function diff(batch: DepthBatch, id: number, timeUs: number, qty: number): void {
  // Levels at an offset, in an array the caller reuses: a waiting diff must have copied its own.
  const scratch = [0, 0, px(100), qty];
  batch.diff(id, id, timeUs, scratch, 1, 1, 0, new Uint8Array(0));
  scratch.fill(-1);
}

const topOf = (s: SymbolDepthState) =>
  bookTopFromSides((s.book as OrderBook).bids, (s.book as OrderBook).asks, E, E);

describe('DepthBatch feature instant', () => {
  it('stamps the last grid point reached and takes the book as of it, not the later diffs', () => {
    const s = state();
    const batch = new DepthBatch(s);
    diff(batch, 101, T0 + 50_000, 1e8);
    diff(batch, 102, T0 + 100_000, 2e8); // exactly on the next grid point: part of it
    const atGrid = topOf(s);
    diff(batch, 103, T0 + 130_000, 3e8);
    diff(batch, 104, T0 + 160_000, 4e8);
    const plan = batch.finish();
    expect(plan.lastEventTimeUs).toBe(T0 + 160_000);
    expect(plan.featureTimeUs).toBe(T0 + 100_000);
    expect(plan.featureTop).toEqual(atGrid);
    expect(plan.featureTop?.bids[0]).toEqual([100, 2]);
  });

  it('takes the book from before the batch when its only diff comes after a grid point', () => {
    const s = state();
    const before = topOf(s);
    const batch = new DepthBatch(s);
    diff(batch, 101, T0 + 20_000, 7e8);
    const plan = batch.finish();
    expect(plan.featureTimeUs).toBe(T0);
    expect(plan.featureTop).toEqual(before);
  });

  it('moves to the newest grid point a batch crosses, with the book after the diffs before it', () => {
    const s = state();
    const batch = new DepthBatch(s);
    diff(batch, 101, T0 + 10_000, 1e8);
    diff(batch, 102, T0 + 90_000, 2e8);
    const beforeThirdCell = topOf(s);
    diff(batch, 103, T0 + 210_000, 3e8); // crosses T0+100 ms and T0+200 ms
    const plan = batch.finish();
    expect(plan.featureTimeUs).toBe(T0 + 200_000);
    expect(plan.featureTop).toEqual(beforeThirdCell);
  });

  it('leaves an instant to the batch that crossed it, when a later batch stays in the same 100 ms', () => {
    const s = state();
    const first = new DepthBatch(s);
    diff(first, 101, T0 + 10_000, 1e8);
    const atGrid = topOf(s);
    diff(first, 102, T0 + 120_000, 2e8); // crosses T0+100 ms: the book as of it is after 101
    diff(first, 103, T0 + 140_000, 3e8);
    expect(first.finish()).toMatchObject({ featureTimeUs: T0 + 100_000, featureTop: atGrid });

    // Still before T0+200 ms: nothing new to describe (the book at the batch start is already past
    // T0+100 ms, so it is not the book as of it).
    const second = new DepthBatch(s);
    diff(second, 104, T0 + 160_000, 4e8);
    expect(second.finish().featureTimeUs).toBeUndefined();

    const third = new DepthBatch(s);
    diff(third, 105, T0 + 180_000, 5e8);
    const beforeCrossing = topOf(s);
    diff(third, 106, T0 + 230_000, 6e8);
    expect(third.finish()).toMatchObject({ featureTimeUs: T0 + 200_000, featureTop: beforeCrossing });
  });

  it('applies two diffs delivered swapped in one batch in id order, without a gap', () => {
    const s = state();
    const batch = new DepthBatch(s);
    diff(batch, 101, T0 + 20_000, 1e8);
    diff(batch, 103, T0 + 60_000, 3e8); // ahead: 102 is missing so far
    diff(batch, 102, T0 + 40_000, 2e8);
    diff(batch, 104, T0 + 80_000, 4e8);
    const plan = batch.finish();
    expect(plan.markStale).toBeUndefined();
    expect(plan).toMatchObject({ applied: 4, updateId: 104 });
    // Applied in id (and so time) order: no update came late to the feature state.
    expect(plan.appliedEventTimesUs).toEqual([T0 + 20_000, T0 + 40_000, T0 + 60_000, T0 + 80_000]);
    expect(s.features.lateUpdates).toBe(0);
    expect(plan.bidChanges).toEqual([[px(100), 4e8]]);
  });

  it('turns a hole still open at the end of the batch into a gap, applying nothing past it', () => {
    const s = state();
    const batch = new DepthBatch(s);
    diff(batch, 101, T0 + 20_000, 1e8);
    diff(batch, 103, T0 + 60_000, 3e8);
    diff(batch, 104, T0 + 80_000, 4e8);
    const plan = batch.finish();
    expect(plan.markStale).toEqual({ reason: 'gap', expectedId: 102, receivedId: 103 });
    expect(plan).toMatchObject({ applied: 1, updateId: 101 });
    expect(s.stale).toBe('gap');
    expect(plan.log.map((l) => l.lastUpdateId)).toEqual([101, 103, 104]); // all logged for the re-anchor
  });

  it('has no feature instant when no diff applied', () => {
    const s = state();
    const batch = new DepthBatch(s);
    diff(batch, 90, T0 + 10_000, 1e8); // old: already in the book
    const plan = batch.finish();
    expect(plan.applied).toBe(0);
    expect(plan.featureTimeUs).toBeUndefined();
    expect(plan.featureTop).toBeUndefined();
  });
});
