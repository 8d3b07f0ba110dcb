/**
 * A book rebuilt from the diff stream alone (no snapshot; core/book/known-levels.ts, docs/adr/0090):
 * what it calls certain is true, features start once its top is certain, and the venue serves it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownLevels } from '../../core/book/known-levels.ts';
import { OrderBook } from '../../core/book/order-book.ts';
import { FeatureReplay, replayTape, type TapeEvent } from '../../core/model/feature-replay.ts';
import { collectTape } from '../../lambdas/shared/history/history-tape.ts';
import { GroundTruth } from '../../local/venue/ground-truth.ts';
import { Side } from '../../local/venue/order-book.ts';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { FIXTURE_DIR } from '../fixtures/history/make-fixtures.ts';
import { type SyntheticHistory, syntheticHistory, TICK } from '../support/synthetic-history.ts';
import { getJson } from '../venue/helpers.ts';

const diffs = (h: SyntheticHistory): TapeEvent[] =>
  h.steps.map((s) => ({
    kind: 'diff',
    timeUs: s.timeUs,
    firstUpdateId: s.firstUpdateId,
    lastUpdateId: s.lastUpdateId,
    bids: s.bids,
    asks: s.asks,
  }));

describe('KnownLevels', () => {
  it('never calls a level certain that differs from the true book (any seed, any depth)', () => {
    let certified = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = syntheticHistory({ steps: 400, seed });
      const first = h.steps[0] as SyntheticHistory['steps'][number];
      const book = OrderBook.fromSnapshot(first.firstUpdateId - 1, [], []);
      const known = new KnownLevels();
      h.steps.forEach((s, i) => {
        expect(book.apply(s)).toBe('apply');
        known.learnDiff(s.bids, s.asks);
        const truth = h.bookAfter(i);
        const certain = known.certainDepth(book.bids, book.asks, 10);
        expect(book.bids.top(certain.bids)).toEqual(truth.bids.top(certain.bids));
        expect(book.asks.top(certain.asks)).toEqual(truth.asks.top(certain.asks));
        certified += certain.bids + certain.asks;
      });
    }
    expect(certified).toBeGreaterThan(1000); // the rule does certify, not only abstain
  });

  /** Every step of a history through a full KnownLevels and a pruned one, decisions side by side. */
  const sideBySide = (seed: number, bounds: { bandTicks: number; pruneAbove: number }) => {
    const h = syntheticHistory({ steps: 4000, seed });
    const first = h.steps[0] as SyntheticHistory['steps'][number];
    const book = OrderBook.fromSnapshot(first.firstUpdateId - 1, [], []);
    const full = new KnownLevels(TICK);
    const pruned = new KnownLevels(TICK, bounds);
    let largest = 0;
    const steps = h.steps.map((s, i) => {
      book.apply(s);
      full.learnDiff(s.bids, s.asks);
      pruned.learnDiff(s.bids, s.asks);
      largest = Math.max(largest, pruned.knownPrices());
      return {
        i,
        full: full.certainDepth(book.bids, book.asks, 10),
        pruned: pruned.certainDepth(book.bids, book.asks, 10),
        book: { bids: book.bids.top(10), asks: book.asks.top(10) },
      };
    });
    return { h, steps, full, pruned, largest };
  };

  it('forgets prices far from the top, keeping the set bounded and never certifying a wrong level', () => {
    const bounds = { bandTicks: 10, pruneAbove: 10 };
    for (const seed of [1, 2, 3, 4, 5]) {
      const { h, steps, full, pruned, largest } = sideBySide(seed, bounds);
      expect(pruned.pruned).toBeGreaterThan(100);
      // Per side: what the band holds (21 ticks) twice over before the next pruning, plus one diff.
      expect(largest).toBeLessThanOrEqual(2 * (2 * 21 + 6));
      expect(full.knownPrices()).toBeGreaterThan(largest);
      let fewer = 0;
      for (const s of steps) {
        const truth = h.bookAfter(s.i);
        expect(s.book.bids.slice(0, s.pruned.bids)).toEqual(truth.bids.top(s.pruned.bids));
        expect(s.book.asks.slice(0, s.pruned.asks)).toEqual(truth.asks.top(s.pruned.asks));
        expect(s.pruned.bids).toBeLessThanOrEqual(s.full.bids);
        expect(s.pruned.asks).toBeLessThanOrEqual(s.full.asks);
        if (s.pruned.bids + s.pruned.asks < s.full.bids + s.full.asks) fewer++;
      }
      // So narrow a band does cost certainty sometimes: the pruning is exercised, and safe.
      expect(fewer).toBeGreaterThan(0);
    }
  });

  it('decides as the full set does while the top stays within the band of the last best seen', () => {
    let forgotten = 0;
    for (const seed of [1, 2, 4, 5]) {
      const { steps, pruned } = sideBySide(seed, { bandTicks: 50, pruneAbove: 30 });
      forgotten += pruned.pruned;
      for (const s of steps) expect(s.pruned).toEqual(s.full);
    }
    expect(forgotten).toBeGreaterThan(0);
  });

  it('learns a true top at the exact update id and counts a disagreement', () => {
    const book = OrderBook.fromSnapshot(10, [], [[105, 1]]);
    const known = new KnownLevels(1);
    known.learnDiff([], [[105, 1]]);
    // The true top says the best ask is 102 and the best bid 101: 105 is not the best ask.
    const check = known.learnTop(book.bids, book.asks, [[101, 3]], [[102, 4]], false);
    expect(check.agreed).toBe(false);
    expect(known.topsDisagreed).toBe(1);
    expect(book.bids.top(1)).toEqual([[101, 3]]);
    expect(book.asks.top(2)).toEqual([
      [102, 4],
      [105, 1],
    ]);
    expect(known.certainDepth(book.bids, book.asks, 5)).toEqual({ bids: 1, asks: 1 });
  });
});

describe('FeatureReplay without a snapshot', () => {
  it('anchors on the first diff, waits for a certain top, then follows the true top', () => {
    // Trust is not withdrawn: a level unchanged since the start can still surface later (the price
    // moving onto a tick never named), so the top is right at nearly every diff, not at all.
    const h = syntheticHistory({ steps: 600, seed: 11 });
    const trueTop = new Map(h.steps.map((s, i) => [s.lastUpdateId, h.bookAfter(i)]));
    let compared = 0;
    let equal = 0;
    let beforeTrust = 0;
    const replay = new FeatureReplay({
      anchorWaitUs: 1_000_000,
      onBook: (book, _t, trusted) => {
        if (!trusted) {
          beforeTrust++;
          return;
        }
        const truth = trueTop.get(book.updateId) as OrderBook;
        const same =
          JSON.stringify([book.bids.top(1), book.asks.top(1)]) ===
          JSON.stringify([truth.bids.top(1), truth.asks.top(1)]);
        if (same) equal++;
        compared++;
      },
    });
    for (const e of diffs(h)) replay.push(e);
    const { vectors, stats } = replay.finish();
    expect(stats).toMatchObject({ anchor: 'reconstructed', reconstructions: 1, gaps: 0 });
    expect(stats.trustedFromUs).not.toBeNull();
    expect(compared).toBeGreaterThan(500);
    expect(equal / compared).toBeGreaterThan(0.9);
    // Nothing is computed from the untrusted book.
    expect(vectors[0]?.eventTimeUs).toBeGreaterThanOrEqual(stats.trustedFromUs as number);
    expect(beforeTrust).toBeGreaterThanOrEqual(0);
  });

  it('trusts sooner with bookTicker tops in the tape (read from the committed snapshot-less fixture)', async () => {
    const tape = await collectTape([join(FIXTURE_DIR, 'binance_ms_no_snapshot.txt.gz')]);
    expect(tape.some((e) => e.kind === 'snapshot')).toBe(false);
    const withTops = replayTape(tape, { anchorWaitUs: 0 });
    const without = replayTape(
      tape.filter((e) => e.kind !== 'top'),
      { anchorWaitUs: 0 },
    );
    expect(withTops.stats.topsChecked).toBeGreaterThan(10);
    expect(withTops.stats.topsDisagreed).toBeGreaterThan(0); // the first tops see an empty book
    const at = (s: typeof withTops.stats) => s.trustedFromUs ?? Number.POSITIVE_INFINITY;
    expect(at(withTops.stats)).toBeLessThanOrEqual(at(without.stats));
    expect(withTops.vectors.length).toBeGreaterThan(0);
  });

  it('gives way to a snapshot that arrives later', () => {
    const h = syntheticHistory({ steps: 100, seed: 3 });
    const tape = diffs(h);
    const at = 60;
    const s = h.steps[at - 1] as SyntheticHistory['steps'][number];
    const book = h.bookAfter(at - 1);
    tape.splice(at, 0, {
      kind: 'snapshot',
      lastUpdateId: s.lastUpdateId,
      bids: book.bids.top(1e6),
      asks: book.asks.top(1e6),
    });
    const { stats } = replayTape(tape, { anchorWaitUs: 0 });
    expect(stats.anchor).toBe('snapshot');
    expect(stats.reconstructions).toBe(1);
  });
});

describe('the venue, replaying a recording without a snapshot', () => {
  it('503s until the rebuilt top is certain, then serves it (ground truth)', () => {
    const h = syntheticHistory({ steps: 200, seed: 5 });
    const truth = new GroundTruth(['BTCUSDT']);
    const first = h.steps[0] as SyntheticHistory['steps'][number];
    truth.applySnapshot({
      type: 'snapshot',
      symbol: 'BTCUSDT',
      timeUs: first.timeUs,
      lastUpdateId: first.firstUpdateId - 1,
      bids: [],
      asks: [],
      reconstructed: true,
    });
    expect(truth.isServable('BTCUSDT')).toBe(false);
    let servableAt = -1;
    h.steps.forEach((s, i) => {
      truth.applyChanges({
        type: 'bookChanges',
        symbol: 'BTCUSDT',
        timeUs: s.timeUs,
        firstUpdateId: s.firstUpdateId,
        changes: [
          ...s.bids.map(([p, q]) => ({
            side: Side.Bid,
            priceMantissa: p,
            qtyMantissa: q,
            updateId: s.lastUpdateId,
          })),
          ...s.asks.map(([p, q]) => ({
            side: Side.Ask,
            priceMantissa: p,
            qtyMantissa: q,
            updateId: s.lastUpdateId,
          })),
        ],
      });
      if (servableAt < 0 && truth.isServable('BTCUSDT')) servableAt = i;
    });
    expect(servableAt).toBeGreaterThan(0);
    expect(truth.anchor('BTCUSDT')).toMatchObject({
      kind: 'reconstructed',
      trustedFromUpdateId: (h.steps[servableAt] as SyntheticHistory['steps'][number]).lastUpdateId,
    });
  });

  describe('over HTTP', () => {
    let venue: Venue;
    beforeAll(async () => {
      venue = await startVenue({
        source: { kind: 'replay', path: join(FIXTURE_DIR, 'binance_ms_no_snapshot.txt.gz'), speed: 'max' },
      });
      await venue.marketEnded;
    }, 20_000);
    afterAll(() => venue?.close());

    it('serves the rebuilt book on /api/v3/depth and marks it in the truth API', async () => {
      const h = syntheticHistory({ steps: 30, seed: 7 });
      const last = h.bookAfter(h.steps.length - 1);
      const depth = (await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`)) as {
        status: number;
        body: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
      };
      expect(depth.status).toBe(200);
      expect(depth.body.lastUpdateId).toBe(last.updateId);
      const m = (s: string) => Math.round(Number(s) * 1e8);
      expect([m(depth.body.bids[0]?.[0] as string), m(depth.body.bids[0]?.[1] as string)]).toEqual(
        last.bids.top(1)[0],
      );
      expect([m(depth.body.asks[0]?.[0] as string), m(depth.body.asks[0]?.[1] as string)]).toEqual(
        last.asks.top(1)[0],
      );
      const truth = (await getJson(`${venue.restUrl}/_venue/truth/book?symbol=BTCUSDT&limit=1`)).body as {
        anchor: { kind: string; trustedFromUpdateId: number | null; topsChecked: number };
      };
      expect(truth.anchor.kind).toBe('reconstructed');
      expect(truth.anchor.trustedFromUpdateId).toBeGreaterThan(1000);
      expect(truth.anchor.topsChecked).toBeGreaterThan(0);
    });
  });
});
