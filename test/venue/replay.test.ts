/**
 * Replays the real 2024-08-08/09 BTCUSDT session (two files, one uninterrupted connection) and
 * checks that a client receives exactly what was recorded, re-encoded to SBE, and that the venue's
 * true book equals the recorded snapshot plus diffs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timestampToUs } from '../../core/history/binance-lines.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import type { DepthDiffEvent, SbeMessage, TradesEvent } from '../../core/sbe/messages.ts';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { connect, DATA_DIR, decode, getJson, waitFor } from './helpers.ts';

const FILES = [
  join(DATA_DIR, 'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz'),
  join(DATA_DIR, 'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz'),
];
const SNAPSHOT = join(DATA_DIR, 'depth/spot_btcusdt_20240808-09_rest_snapshot_limit1000.json');
const AT_3000 = join(DATA_DIR, 'depth/spot_btcusdt_20240808-09_DERIVED_book_at_event3000.json');
const present = FILES.every((f) => existsSync(f));
if (!present) console.log(`replay tests skipped: the recordings are not in ${DATA_DIR}`);

type JsonBook = { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
const m = (s: string) => Math.round(Number(s) * 1e8);

describe('timestamp units', () => {
  it('detects ns, µs and ms by magnitude', () => {
    expect(timestampToUs('1723161253937085768')).toBe(1723161253937085);
    expect(timestampToUs('1723161253937085')).toBe(1723161253937085);
    expect(timestampToUs('1723161253937')).toBe(1723161253937000);
  });
});

describe.skipIf(!present)('replay of the 2024-08-08/09 recording', () => {
  let venue: Venue;
  const messages: SbeMessage[] = [];
  let undecodable = 0;

  beforeAll(async () => {
    venue = await startVenue({
      source: { kind: 'replay', path: FILES, speed: 'max' },
      startOn: 'first-subscription',
    });
    const c = await connect(`${venue.wsUrl}/stream?streams=btcusdt@depth/btcusdt@trade/btcusdt@bestBidAsk`);
    await venue.marketEnded;
    const sent = () => venue.stats().ws.framesSent;
    await waitFor(() => c.binary.length === sent(), 20_000, 'every frame to arrive');
    for (const f of c.binary) {
      const msg = decode(f);
      if (msg) messages.push(msg);
      else undecodable++;
    }
    c.ws.close();
  }, 60_000);
  afterAll(() => venue?.close());

  it('re-encodes every recorded diff, trade and bookTicker to SBE, with zero update-id and trade-id gaps', () => {
    expect(undecodable).toBe(0);
    const diffs = messages.filter((x): x is DepthDiffEvent => x.templateId === TemplateId.DepthDiff);
    const trades = messages.filter((x): x is TradesEvent => x.templateId === TemplateId.Trades);
    const tickers = messages.filter((x) => x.templateId === TemplateId.BestBidAsk);
    expect(diffs).toHaveLength(3451 + 3044);
    expect(trades).toHaveLength(9757 + 10147);
    expect(tickers).toHaveLength(28040 + 45134);
    expect(diffs[0]?.firstBookUpdateId).toBe(50093239189);
    expect(diffs.at(-1)?.lastBookUpdateId).toBe(50093696318);
    let gaps = 0;
    for (let i = 1; i < diffs.length; i++) {
      if (diffs[i]?.firstBookUpdateId !== (diffs[i - 1]?.lastBookUpdateId as number) + 1) gaps++;
    }
    expect(gaps).toBe(0);
    const ids = trades.flatMap((t) => t.trades.map((x) => x.id));
    expect(ids[0]).toBe(3735683259);
    expect(ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1)).toBe(true);
    // JSON ms times become SBE µs.
    expect(diffs[0]?.eventTimeUs).toBe(1723161255208000);
  });

  it('rebuilds, from the recorded snapshot and the SBE diffs, the book the venue holds as truth', async () => {
    const snap = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as JsonBook;
    const book = [new Map<number, number>(), new Map<number, number>()];
    for (const [p, q] of snap.bids) book[0]?.set(m(p), m(q));
    for (const [p, q] of snap.asks) book[1]?.set(m(p), m(q));
    let id = snap.lastUpdateId;
    for (const d of messages) {
      if (d.templateId !== TemplateId.DepthDiff || d.lastBookUpdateId <= id) continue;
      for (const [side, levels] of [d.bids, d.asks].entries()) {
        for (const l of levels) {
          if (l.qtyMantissa === 0) book[side]?.delete(l.priceMantissa);
          else book[side]?.set(l.priceMantissa, l.qtyMantissa);
        }
      }
      id = d.lastBookUpdateId;
    }
    expect(id).toBe(50093696318);
    const truth = venue.truth.bookAt('BTCUSDT', id, 100_000);
    const sorted = (side: number) =>
      [...(book[side] as Map<number, number>)]
        .sort((a, b) => (side === 0 ? b[0] - a[0] : a[0] - b[0]))
        .map(([priceMantissa, qtyMantissa]) => ({ priceMantissa, qtyMantissa }));
    expect(truth.bids).toEqual(sorted(0));
    expect(truth.asks).toEqual(sorted(1));
    const rest = (await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).body as JsonBook;
    expect(rest.lastUpdateId).toBe(50093696318);
    expect(rest.bids.map(([p, q]) => [m(p), m(q)])).toEqual(
      sorted(0)
        .slice(0, 1000)
        .map((l) => [l.priceMantissa, l.qtyMantissa]),
    );
  });

  it('keeps the truth at every diff boundary: the book after diff #3000 equals the derived fixture', () => {
    const fixture = JSON.parse(readFileSync(AT_3000, 'utf8')) as JsonBook;
    const truth = venue.truth.bookAt('BTCUSDT', fixture.lastUpdateId, 100_000);
    expect(truth.exact).toBe(true);
    expect(truth.bids.map((l) => [l.priceMantissa, l.qtyMantissa])).toEqual(
      fixture.bids.map(([p, q]) => [m(p), m(q)]),
    );
    expect(truth.asks.map((l) => [l.priceMantissa, l.qtyMantissa])).toEqual(
      fixture.asks.map(([p, q]) => [m(p), m(q)]),
    );
    // Inside a recorded 100 ms block the truth has the block's resolution, and says so.
    expect(venue.truth.bookAt('BTCUSDT', fixture.lastUpdateId + 1, 1).exact).toBe(false);
    expect(venue.stats().symbols.BTCUSDT?.staleBlocksIgnored).toBe(2);
  });
});
