import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVenue, type Venue } from '../../local/venue/server.ts';
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
