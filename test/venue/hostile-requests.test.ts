import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVenue, type Venue } from '../../local/venue/server.ts';
import { rawRequest } from '../support/raw-http.ts';
import { getJson } from './helpers.ts';

describe('the venue answers hostile requests and stays up', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await startVenue({ source: { kind: 'sim', seed: 4, speed: 'max', durationUs: 5e6 } });
    await venue.marketEnded;
  });
  afterAll(() => venue.close());

  it('answers a request target that `new URL` cannot take (GET //) as a path it does not serve', async () => {
    const r = await rawRequest(venue.port, 'GET // HTTP/1.1');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ msg: 'Nothing at //.' });
    expect((await getJson(`${venue.restUrl}/api/v3/ping`)).status).toBe(200);
  });

  it('refuses a WebSocket upgrade with a malformed escape in the stream name, without an API key', async () => {
    const r = await rawRequest(
      venue.port,
      'GET /ws/%E0%A4%A HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ msg: expect.stringContaining('Malformed stream name') });
    expect((await getJson(`${venue.restUrl}/api/v3/ping`)).status).toBe(200);
  });

  it.each([
    ['book?limit=-1', 'limit must be an integer from 1 to 5000'],
    ['book?limit=1e9', 'limit must be an integer from 1 to 5000'],
    ['book?updateId=abc', "updateId must be an integer from 0 to 9007199254740991, got 'abc'"],
    ['book?updateId=-5', 'updateId must be an integer from 0'],
    ['trades?fromId=x', 'fromId must be an integer from 0'],
    ['trades?limit=0', 'limit must be an integer from 1 to 100000'],
  ])('answers 400 with the parameter named to /_venue/truth/%s', async (query, message) => {
    const r = await getJson(`${venue.restUrl}/_venue/truth/${query}`);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toContain(message);
  });
});

describe('stopping the market', () => {
  it('ends the market at once, at any speed, and keeps REST and the ground truth up', async () => {
    const venue = await startVenue({ source: { kind: 'sim', seed: 5, speed: 'max', durationUs: 3600e6 } });
    try {
      await new Promise<void>((resolve) => {
        const wait = () => (venue.stats().market.events > 0 ? resolve() : setTimeout(wait, 5));
        wait();
      });
      venue.stopMarket();
      await venue.marketEnded;
      const { events, clockUs, elapsedUs } = venue.stats().market;
      // It stopped well before the hour of market time it was asked for.
      expect(elapsedUs).toBeLessThan(3600e6);
      await new Promise((r) => setTimeout(r, 50));
      expect(venue.stats().market).toMatchObject({ events, clockUs });
      expect((await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`)).status).toBe(200);
      expect((await getJson(`${venue.restUrl}/_venue/truth/book?limit=5`)).status).toBe(200);
    } finally {
      await venue.close();
    }
  });
});
