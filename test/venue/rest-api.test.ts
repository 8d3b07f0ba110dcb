import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depthWeight, RateLimiter } from '../../local/venue/rate-limiter.ts';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { getJson } from './helpers.ts';

const START_US = Date.UTC(2024, 7, 9, 0, 0, 0) * 1000;

describe('REST market data', () => {
  let venue: Venue;
  beforeAll(async () => {
    // Three simulated minutes at full speed, then the market stops: answers are stable.
    venue = await startVenue({
      source: { kind: 'sim', seed: 21, speed: 'max', startTimeUs: START_US, durationUs: 180e6 },
      rateLimits: { banAfter429s: 2 },
    });
    await venue.marketEnded;
  });
  afterAll(() => venue.close());

  it('serves /api/v3/depth as the true book at the current update id, strings for decimals', async () => {
    const r = await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=10`);
    expect(r.status).toBe(200);
    const body = r.body as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    expect(body.lastUpdateId).toBe(venue.truth.lastUpdateId('BTCUSDT'));
    expect(body.bids).toHaveLength(10);
    expect(body.bids[0]?.[0]).toMatch(/^\d+\.\d{8}$/);
    const truth = venue.truth.bookAt('BTCUSDT', body.lastUpdateId, 10);
    expect(body.bids.map(([p]) => Math.round(Number(p) * 1e8))).toEqual(
      truth.bids.map((l) => l.priceMantissa),
    );
    expect(Number(body.asks[0]?.[0])).toBeGreaterThan(Number(body.bids[0]?.[0]));
  });

  it('charges Binance weights by limit and reports them in X-MBX-USED-WEIGHT-1M', async () => {
    const used = async (path: string) =>
      Number((await getJson(`${venue.restUrl}${path}`)).headers.get('x-mbx-used-weight-1m'));
    const before = await used('/api/v3/time');
    expect(await used('/api/v3/depth?symbol=BTCUSDT&limit=5')).toBe(before + 5);
    expect(await used('/api/v3/depth?symbol=BTCUSDT&limit=500')).toBe(before + 30);
    expect(await used('/api/v3/depth?symbol=BTCUSDT&limit=1000')).toBe(before + 80);
    expect(await used('/api/v3/depth?symbol=BTCUSDT&limit=5000')).toBe(before + 330);
    expect(await used('/api/v3/aggTrades?symbol=BTCUSDT')).toBe(before + 334);
    expect(await used('/api/v3/klines?symbol=BTCUSDT&interval=1m')).toBe(before + 336);
    expect([1, 100, 101, 500, 501, 1000, 1001, 5000].map(depthWeight)).toEqual([
      5, 5, 25, 25, 50, 50, 250, 250,
    ]);
  });

  it('answers errors in Binance shapes', async () => {
    expect(await getJson(`${venue.restUrl}/api/v3/depth`)).toMatchObject({
      status: 400,
      body: { code: -1102 },
    });
    expect(await getJson(`${venue.restUrl}/api/v3/depth?symbol=ETHBTC`)).toMatchObject({
      status: 400,
      body: { code: -1121 },
    });
    expect(await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=abc`)).toMatchObject({
      body: { code: -1100 },
    });
    expect(await getJson(`${venue.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=7m`)).toMatchObject({
      body: { code: -1120 },
    });
  });

  it('serves aggTrades by fromId and by time, contiguous with the trade tape', async () => {
    type Agg = { a: number; p: string; q: string; f: number; l: number; T: number; m: boolean; M: boolean };
    const latest = (await getJson(`${venue.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&limit=5`)).body as Agg[];
    expect(latest).toHaveLength(5);
    const from = latest[0]?.a as number;
    const page = (
      await getJson(`${venue.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&fromId=${from - 2000}&limit=2000`)
    ).body as Agg[];
    expect(page).toHaveLength(1000); // "Maximum: 1000"
    for (let i = 1; i < page.length; i++) {
      expect(page[i]?.a).toBe((page[i - 1]?.a as number) + 1);
      expect(page[i]?.f).toBe((page[i - 1]?.l as number) + 1);
    }
    const first = page[0] as Agg;
    const truth = venue.truth.trades('BTCUSDT', first.f, first.l - first.f + 1);
    expect(truth.every((t) => t.priceMantissa === Math.round(Number(first.p) * 1e8))).toBe(true);
    expect(truth.reduce((s, t) => s + t.qtyMantissa, 0)).toBe(Math.round(Number(first.q) * 1e8));
    const byTime = (
      await getJson(`${venue.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&startTime=${first.T}&limit=3`)
    ).body as Agg[];
    expect(byTime[0]?.T).toBeGreaterThanOrEqual(first.T);
    const micro = await getJson(`${venue.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&limit=1`, {
      'X-MBX-TIME-UNIT': 'MICROSECOND',
    });
    expect(String((micro.body as Agg[])[0]?.T)).toHaveLength(16);
  });

  it('serves 1m klines built from the trades, in Binance array form', async () => {
    const klines = (
      await getJson(`${venue.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${START_US / 1000}`)
    ).body as unknown[][];
    expect(klines).toHaveLength(3);
    const k = klines[0] as [
      number,
      string,
      string,
      string,
      string,
      string,
      number,
      string,
      number,
      string,
      string,
      string,
    ];
    expect(k[0]).toBe(START_US / 1000);
    expect(k[6]).toBe(START_US / 1000 + 59_999);
    expect(Number(k[2])).toBeGreaterThanOrEqual(Number(k[3]));
    expect(k[8]).toBeGreaterThan(500);
    expect(k[11]).toBe('0');
    const threeMin = (await getJson(`${venue.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=3m`))
      .body as unknown[][];
    expect(threeMin[0]?.[8]).toBe(klines.reduce((s, row) => s + (row[8] as number), 0));
    const time = (await getJson(`${venue.restUrl}/api/v3/time`)).body as { serverTime: number };
    expect(time.serverTime).toBeGreaterThanOrEqual(START_US / 1000 + 179_000);
  });

  it('answers 429 with Retry-After over 6000 weight a minute, then 418 (a ban) when the client keeps going', async () => {
    // Fresh limiter state per IP is per venue: use a venue of its own. Its minute is fixed, or a
    // calendar minute ending mid-test (a slow machine) would reset the weight.
    const midMinuteMs = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    const v = await startVenue({
      source: { kind: 'sim', seed: 1 },
      rateLimits: { banAfter429s: 2 },
      rateLimitClockMs: () => midMinuteMs,
    });
    try {
      const url = `${v.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5000`;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof getJson>> | undefined;
      for (let i = 0; i < 28; i++) {
        last = await getJson(url);
        statuses.push(last.status);
        if (last.status === 429) {
          expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect(last.body).toMatchObject({ code: -1003 });
        }
      }
      // 24 x 250 = 6000 fits; 25th and 26th are 429; the 3rd refusal is a ban.
      expect(statuses.slice(0, 24).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(24, 26)).toEqual([429, 429]);
      expect(statuses.slice(26)).toEqual([418, 418]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(60);
      expect(last?.headers.get('x-mbx-used-weight-1m')).toBe('6000');
    } finally {
      await v.close();
    }
  });
});

describe('rate limiter', () => {
  it('resets each calendar minute and doubles bans for repeat offenders', () => {
    const rl = new RateLimiter({ weightPerMinute: 10, banAfter429s: 1, firstBanMs: 120_000 });
    const t0 = 1_000 * 60_000;
    expect(rl.charge('a', 10, t0)).toMatchObject({ status: 200, usedWeight: 10 });
    expect(rl.charge('a', 1, t0 + 59_000)).toMatchObject({ status: 429, retryAfterS: 1 });
    expect(rl.charge('b', 1, t0 + 59_000)).toMatchObject({ status: 200 });
    expect(rl.charge('a', 1, t0 + 60_000)).toMatchObject({ status: 200, usedWeight: 1 });
    rl.charge('a', 10, t0 + 60_001);
    expect(rl.charge('a', 10, t0 + 60_002)).toMatchObject({ status: 418, retryAfterS: 120 });
    expect(rl.charge('a', 1, t0 + 150_000)).toMatchObject({ status: 418, retryAfterS: 31 });
    rl.charge('a', 10, t0 + 200_000);
    rl.charge('a', 10, t0 + 200_001);
    expect(rl.charge('a', 10, t0 + 200_002)).toMatchObject({ status: 418, retryAfterS: 240 });
  });
});
