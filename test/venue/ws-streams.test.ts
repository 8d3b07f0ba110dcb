import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemplateId } from '../../core/sbe/abi.ts';
import type { DepthDiffEvent, SbeMessage } from '../../core/sbe/messages.ts';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { API_KEY, connect, decode, getJson, waitFor } from './helpers.ts';

describe('SBE WebSocket streams', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await startVenue({
      source: { kind: 'sim', seed: 11, speed: 1 },
      apiKeys: [API_KEY],
    });
  });
  afterAll(() => venue.close());

  it('refuses an upgrade without X-MBX-APIKEY, or with a key it does not accept, with HTTP 401', async () => {
    await expect(connect(`${venue.wsUrl}/ws/btcusdt@depth`, null)).rejects.toThrow('HTTP 401');
    await expect(connect(`${venue.wsUrl}/ws/btcusdt@depth`, 'someone-else')).rejects.toThrow('HTTP 401');
    await expect(connect(`${venue.wsUrl}/ws/btcusdt@nonsense`)).rejects.toThrow('HTTP 400');
    expect(venue.stats().ws.upgradesRejected).toBeGreaterThanOrEqual(3);
  });

  it('sends depth diffs on /ws/<stream> as binary SBE frames the WASM decoder reads, with U = previous u + 1', async () => {
    const c = await connect(`${venue.wsUrl}/ws/btcusdt@depth`);
    await waitFor(() => c.binary.length >= 20, 10_000, '20 depth frames');
    c.ws.close();
    const diffs = c.binary.map((f) => decode(f)) as DepthDiffEvent[];
    for (const d of diffs) {
      expect(d.templateId).toBe(TemplateId.DepthDiff);
      expect(d.symbol).toBe('BTCUSDT');
      expect(d.priceExponent).toBe(-8);
      expect(d.qtyExponent).toBe(-8);
      expect(d.bids.length + d.asks.length).toBeGreaterThan(0);
      // Prices on the 0.01 tick, quantities on the 0.00001 lot, as mantissas with exponent -8.
      for (const l of [...d.bids, ...d.asks]) expect(l.priceMantissa % 1_000_000).toBe(0);
    }
    for (let i = 1; i < diffs.length; i++) {
      expect(diffs[i]?.firstBookUpdateId).toBe((diffs[i - 1]?.lastBookUpdateId as number) + 1);
      // SBE stream times are microseconds, 20 ms apart.
      expect((diffs[i]?.eventTimeUs as number) - (diffs[i - 1]?.eventTimeUs as number)).toBe(20_000);
    }
  });

  it('serves combined streams: trade, bestBidAsk and depth20 on /stream?streams=a/b/c', async () => {
    const c = await connect(`${venue.wsUrl}/stream?streams=btcusdt@trade/btcusdt@bestBidAsk/btcusdt@depth20`);
    const seen = new Set<number>();
    await waitFor(
      () => {
        for (const f of c.binary.splice(0)) seen.add((decode(f) as SbeMessage).templateId);
        return seen.size === 3;
      },
      15_000,
      'all three templates',
    );
    c.ws.close();
    expect([...seen].sort()).toEqual([TemplateId.Trades, TemplateId.BestBidAsk, TemplateId.DepthSnapshot]);
  });

  it('answers SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS and bad requests in Binance JSON shapes', async () => {
    const c = await connect(`${venue.wsUrl}/ws`);
    // Binance allows 5 client messages a second: pace the requests.
    const ask = async (body: unknown) => {
      const reply = c.nextText();
      if (typeof body === 'string') c.ws.send(body);
      else c.send(body);
      const answer = await reply;
      await new Promise((r) => setTimeout(r, 250));
      return answer;
    };
    expect(await ask({ method: 'SUBSCRIBE', params: ['btcusdt@depth', 'btcusdt@trade'], id: 1 })).toEqual({
      result: null,
      id: 1,
    });
    await waitFor(() => c.binary.length > 0, 20_000, 'a frame after SUBSCRIBE');
    expect(await ask({ method: 'LIST_SUBSCRIPTIONS', id: 'list2' })).toEqual({
      result: ['btcusdt@depth', 'btcusdt@trade'],
      id: 'list2',
    });
    expect(await ask({ method: 'UNSUBSCRIBE', params: ['btcusdt@depth'], id: 312 })).toEqual({
      result: null,
      id: 312,
    });
    expect(await ask({ method: 'GET_PROPERTY', params: ['combined'], id: 4 })).toEqual({
      result: false,
      id: 4,
    });
    expect(await ask('{not json')).toMatchObject({ code: 3 });
    expect(await ask({ method: 'PUBLISH', id: 5 })).toMatchObject({ code: 2, id: 5 });
    expect(await ask({ method: 'SUBSCRIBE', params: ['BTCUSDT@depth'], id: 6 })).toMatchObject({
      code: 2,
      id: 6,
    });
    c.ws.close();
  });

  it('pings the client on its interval and closes a connection that sends more than 5 messages a second', async () => {
    const pinging = await startVenue({ source: { kind: 'sim', seed: 3 }, pingIntervalMs: 300 });
    try {
      const c = await connect(`${pinging.wsUrl}/ws/btcusdt@trade`);
      await waitFor(() => c.pings >= 2, 20_000, 'two pings');
      for (let i = 0; i < 7; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
      expect((await c.closed).code).toBe(1008);
      expect(pinging.stats().ws.closedForRate).toBe(1);
    } finally {
      await pinging.close();
    }
  });

  it('lets a client sync a local book per Binance rules and match the ground truth', async () => {
    const c = await connect(`${venue.wsUrl}/ws/btcusdt@depth`);
    await waitFor(() => c.binary.length >= 3, 20_000, 'buffered diffs');
    const snap = (await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5000`)).body as {
      lastUpdateId: number;
      bids: [string, string][];
      asks: [string, string][];
    };
    // Enough diffs after the snapshot, however late a busy machine delivered it.
    const after = () =>
      c.binary.filter((f) => (decode(f) as DepthDiffEvent).lastBookUpdateId > snap.lastUpdateId).length;
    await waitFor(() => after() > 10, 20_000, 'diffs after the snapshot');
    c.ws.close();
    const book = [new Map<number, number>(), new Map<number, number>()];
    const m = (s: string) => Math.round(Number(s) * 1e8);
    for (const [p, q] of snap.bids) book[0]?.set(m(p), m(q));
    for (const [p, q] of snap.asks) book[1]?.set(m(p), m(q));
    let id = snap.lastUpdateId;
    let applied = 0;
    for (const f of c.binary) {
      const d = decode(f) as DepthDiffEvent;
      if (d.lastBookUpdateId <= id) continue; // "discard any event where u is <= lastUpdateId"
      expect(d.firstBookUpdateId).toBeLessThanOrEqual(id + 1);
      for (const [side, levels] of [d.bids, d.asks].entries()) {
        for (const l of levels) {
          if (l.qtyMantissa === 0) book[side]?.delete(l.priceMantissa);
          else book[side]?.set(l.priceMantissa, l.qtyMantissa);
        }
      }
      id = d.lastBookUpdateId;
      applied++;
    }
    expect(applied).toBeGreaterThan(10);
    const truth = venue.truth.bookAt('BTCUSDT', id, 5000);
    expect(truth.exact).toBe(true);
    const top = (side: number, n: number) =>
      [...(book[side] as Map<number, number>)]
        .sort((a, b) => (side === 0 ? b[0] - a[0] : a[0] - b[0]))
        .slice(0, n)
        .map(([priceMantissa, qtyMantissa]) => ({ priceMantissa, qtyMantissa }));
    // The sim book has about 3,000 levels a side, all inside the 5,000-level snapshot.
    expect(top(0, 5000)).toEqual(truth.bids);
    expect(top(1, 5000)).toEqual(truth.asks);
  });
});

describe('connection lifetime', () => {
  it('closes a connection when its lifetime is over', async () => {
    const venue = await startVenue({ source: { kind: 'sim', seed: 2 }, connectionLifetimeMs: 300 });
    try {
      const c = await connect(`${venue.wsUrl}/ws/btcusdt@depth`);
      const closed = await c.closed;
      expect(closed.code).toBe(1000);
      expect(venue.stats().ws.closedForLifetime).toBe(1);
    } finally {
      await venue.close();
    }
  });
});
