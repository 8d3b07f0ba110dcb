import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/random/rng.ts';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { SyntheticMarket } from '../../local/venue/sources/synthetic-market.ts';
import { getJson } from './helpers.ts';

describe('ground-truth endpoints', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await startVenue({ source: { kind: 'sim', seed: 4, speed: 'max', durationUs: 10e6 } });
    await venue.marketEnded;
  });
  afterAll(() => venue.close());

  it('answers the book right after any retained update id, as the programmatic truth does', async () => {
    const last = venue.truth.lastUpdateId('BTCUSDT');
    const id = last - 1234;
    const r = await getJson(`${venue.restUrl}/_venue/truth/book?symbol=BTCUSDT&updateId=${id}&limit=50`);
    expect(r.status).toBe(200);
    const body = r.body as { lastUpdateId: number; exact: boolean; bids: [string, string][] };
    expect(body).toMatchObject({ symbol: 'BTCUSDT', lastUpdateId: id, exact: true });
    const truth = venue.truth.bookAt('BTCUSDT', id, 50);
    expect(body.bids.map(([p, q]) => [Math.round(Number(p) * 1e8), Math.round(Number(q) * 1e8)])).toEqual(
      truth.bids.map((l) => [l.priceMantissa, l.qtyMantissa]),
    );
    const current = await getJson(`${venue.restUrl}/_venue/truth/book?symbol=BTCUSDT&limit=1`);
    expect(current.body).toMatchObject({ lastUpdateId: last });
    const gone = await getJson(`${venue.restUrl}/_venue/truth/book?symbol=BTCUSDT&updateId=${last + 10}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ newestUpdateId: last });
  });

  it('answers the trade tape from an id, and counters', async () => {
    const range = venue.truth.tradeRange('BTCUSDT');
    const r = await getJson(
      `${venue.restUrl}/_venue/truth/trades?symbol=BTCUSDT&fromId=${range?.oldest}&limit=5`,
    );
    const trades = r.body as { id: number; price: string; timeUs: number }[];
    expect(trades.map((t) => t.id)).toEqual([0, 1, 2, 3, 4].map((i) => (range?.oldest as number) + i));
    expect(String(trades[0]?.timeUs)).toHaveLength(16);
    const stats = (await getJson(`${venue.restUrl}/_venue/stats`)).body as {
      source: string;
      market: { ended: boolean };
      symbols: Record<string, { trades: number }>;
    };
    expect(stats).toMatchObject({ source: 'sim', market: { ended: true } });
    expect(stats.symbols.BTCUSDT?.trades).toBe((range?.newest as number) - (range?.oldest as number) + 1);
  });
});

describe('oracle endpoint', () => {
  const START_US = 1_723_161_600_000_000;
  let venue: Venue;
  beforeAll(async () => {
    venue = await startVenue({
      source: { kind: 'sim', seed: 4, speed: 'max', durationUs: 10e6, startTimeUs: START_US },
    });
    await venue.marketEnded;
  });
  afterAll(() => venue.close());

  it("answers the market's oracle as of the last window at or before atUs", async () => {
    const atUs = START_US + 6_000_010;
    const r = await getJson(
      `${venue.restUrl}/_venue/truth/oracle?symbol=btcusdt&atUs=${atUs}&horizonMs=10000`,
    );
    expect(r.status).toBe(200);
    const twin = new SyntheticMarket(
      { symbol: 'BTCUSDT', seed: 4, startTimeUs: START_US },
      Rng.derive(4, 'BTCUSDT'),
    );
    twin.advanceTo(START_US + 6_000_000);
    expect(r.body).toEqual({
      symbol: 'BTCUSDT',
      atUs,
      asOfUs: START_US + 6_000_000,
      horizonMs: 10000,
      forecast: twin.oracleForecast(10e6),
      informedFlow: true,
    });
    expect((r.body as { forecast: number }).forecast).not.toBe(0);
  });

  it('validates its parameters (400) and says when it has no answer (404)', async () => {
    const get = (q: string) => getJson(`${venue.restUrl}/_venue/truth/oracle?${q}`);
    for (const q of ['symbol=BTCUSDT', 'atUs=abc', 'atUs=-5', `atUs=${START_US}&horizonMs=0`, 'atUs=1.5']) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect((r.body as { error: string }).error).toMatch(/^Invalid oracle query: /);
    }
    const future = await get(`atUs=${START_US + 3600e6}`);
    expect(future.status).toBe(404);
    expect((future.body as { error: string }).error).toMatch(/not reached that time/);
    const before = await get(`atUs=${START_US - 1}`);
    expect(before.status).toBe(404);
    expect((await get(`symbol=ETHUSDT&atUs=${START_US}`)).status).toBe(404);
  });

  it('answers 404 for a source without a latent state (a replay)', async () => {
    // A one-line recording (a trade in Binance's combined-stream format) is enough to start a replay.
    const dir = mkdtempSync(join(tmpdir(), 'venue-oracle-'));
    const file = join(dir, 'one-trade.txt');
    const trade = {
      e: 'trade',
      E: 1723161600000,
      s: 'BTCUSDT',
      t: 1,
      p: '61800.00',
      q: '0.001',
      T: 1723161600000,
      m: true,
    };
    writeFileSync(file, `1723161600000000 ${JSON.stringify({ stream: 'btcusdt@trade', data: trade })}\n`);
    const replay = await startVenue({
      source: { kind: 'replay', path: [file] },
      startOn: 'first-subscription',
    });
    try {
      const r = await getJson(`${replay.restUrl}/_venue/truth/oracle?atUs=${START_US}`);
      expect(r.status).toBe(404);
      expect((r.body as { error: string }).error).toMatch(/no oracle/);
    } finally {
      await replay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the informed flow off, with a zero forecast', async () => {
    const off = await startVenue({
      source: {
        kind: 'sim',
        seed: 4,
        speed: 'max',
        durationUs: 2e6,
        startTimeUs: START_US,
        model: { informedFlow: false },
      },
    });
    try {
      await off.marketEnded;
      const r = await getJson(`${off.restUrl}/_venue/truth/oracle?atUs=${START_US + 1e6}`);
      expect(r.body).toMatchObject({ forecast: 0, informedFlow: false, asOfUs: START_US + 1e6 });
    } finally {
      await off.close();
    }
  });
});
