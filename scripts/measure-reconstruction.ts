/**
 * `npx tsx scripts/measure-reconstruction.ts --with <recording> --without <same recording, snapshot removed>`:
 * how well a book rebuilt from the diff stream alone (docs/adr/0090) matches the book synced from the
 * REST snapshot, over the first 10 s, 30 s, 60 s and 5 min after the first diff:
 * - the share of diffs at which the rebuilt top 1 / 5 / 10 levels (both sides, price and quantity)
 *   equal the true book's at the same update id (all diffs, and those after the rebuilt top was trusted);
 * - the share of the snapshot run's 2 s feature vectors that the snapshot-less run produced identically.
 * Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import type { OrderBook } from '../core/book/order-book.ts';
import type { FeatureVector } from '../core/features/feature-names.ts';
import { FeatureReplay } from '../core/model/feature-replay.ts';
import { historyTape } from '../lambdas/shared/history/history-tape.ts';

const { values } = parseArgs({
  options: { with: { type: 'string' }, without: { type: 'string' }, 'trust-depth': { type: 'string' } },
});
const trustDepth = values['trust-depth'] ? Number(values['trust-depth']) : undefined;
if (!values.with || !values.without) {
  console.error('Usage: npx tsx scripts/measure-reconstruction.ts --with <recording> --without <recording>');
  process.exit(2);
}
const WINDOWS_S = [10, 30, 60, 300, Number.POSITIVE_INFINITY];
const DEPTHS = [1, 5, 10];

const key = (book: OrderBook, n: number) => JSON.stringify([book.bids.top(n), book.asks.top(n)]);

async function run(paths: string[], onBook?: (book: OrderBook, timeUs: number, trusted: boolean) => void) {
  const replay = new FeatureReplay({ ...(onBook ? { onBook } : {}), ...(trustDepth ? { trustDepth } : {}) });
  for await (const e of historyTape(paths).events) replay.push(e);
  return replay.finish();
}

const truth = new Map<number, string[]>();
const withSnapshot = await run(values.with.split(','), (book) =>
  truth.set(
    book.updateId,
    DEPTHS.map((n) => key(book, n)),
  ),
);
let startUs: number | undefined;
const diffs: { sinceS: number; trusted: boolean; equal: boolean[] }[] = [];
const without = await run(values.without.split(','), (book, timeUs, trusted) => {
  startUs ??= timeUs;
  const t = truth.get(book.updateId);
  if (!t) return;
  diffs.push({
    sinceS: (timeUs - startUs) / 1e6,
    trusted,
    equal: DEPTHS.map((n, i) => key(book, n) === t[i]),
  });
});
const s0 = startUs as number;
const share = (xs: boolean[]) =>
  xs.length === 0 ? null : Number((xs.filter(Boolean).length / xs.length).toFixed(4));
const byTime = new Map<number, FeatureVector>(without.vectors.map((v) => [v.eventTimeUs, v]));
const same = (a: FeatureVector, b: FeatureVector | undefined) =>
  b !== undefined && a.values.every((x, i) => Object.is(x, b.values[i]));

const windows = WINDOWS_S.map((w) => {
  const inWindow = diffs.filter((d) => d.sinceS <= w);
  const trusted = inWindow.filter((d) => d.trusted);
  const vectors = withSnapshot.vectors.filter((v) => (v.eventTimeUs - s0) / 1e6 <= w);
  const top = (ds: typeof diffs) =>
    Object.fromEntries(DEPTHS.map((n, i) => [`top${n}`, share(ds.map((d) => d.equal[i] as boolean))]));
  return {
    firstS: Number.isFinite(w) ? w : 'all',
    diffs: inWindow.length,
    allDiffs: top(inWindow),
    trustedDiffs: trusted.length,
    afterTrust: top(trusted),
    vectors: vectors.length,
    vectorsIdentical: share(vectors.map((v) => same(v, byTime.get(v.eventTimeUs)))),
  };
});
process.stdout.write(
  `${JSON.stringify({
    measure: 'reconstruction',
    trustDepth: trustDepth ?? 1,
    anchor: without.stats.anchor,
    trustedAfterS: without.stats.trustedFromUs === null ? null : (without.stats.trustedFromUs - s0) / 1e6,
    topsChecked: without.stats.topsChecked,
    topsDisagreed: without.stats.topsDisagreed,
    vectorsWith: withSnapshot.vectors.length,
    vectorsWithout: without.vectors.length,
    windows,
  })}\n`,
);
