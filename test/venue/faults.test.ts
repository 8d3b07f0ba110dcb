/**
 * Each fault kind is injected as specified, recorded with the ids it affected, visible to a client,
 * and never reaches the ground truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemplateId } from '../../core/sbe/abi.ts';
import type { DepthDiffEvent, TradesEvent } from '../../core/sbe/messages.ts';
import type { InjectedFault } from '../../local/venue/fault-injector.ts';
import { startVenue, type Venue, type VenueOptions } from '../../local/venue/server.ts';
import { type Client, connect, decode, getJson, waitFor } from './helpers.ts';

async function run(options: VenueOptions, streams: string): Promise<{ venue: Venue; client: Client }> {
  const venue = await startVenue({ startOn: 'first-subscription', ...options });
  const client = await connect(`${venue.wsUrl}/stream?streams=${streams}`);
  return { venue, client };
}

describe('frame faults', () => {
  let venue: Venue;
  let client: Client;
  const diffs: DepthDiffEvent[] = [];
  const tradeIds: number[] = [];
  let undecodable = 0;
  const of = (kind: string, stream: string) =>
    venue.injectedFaults.filter((f) => f.kind === kind && f.stream === stream);

  beforeAll(async () => {
    ({ venue, client } = await run(
      {
        source: { kind: 'sim', seed: 9, speed: 'max', durationUs: 20e6 },
        // Trade drops every 21st frame and truncations every 25th never hit the same frame in this
        // span (lcm 525), so each damaged frame reaches the client once.
        faults:
          'drop-diff:every=50,dup-diff:every=70,reorder-diff:every=90,corrupt:stream=depth:every=60,' +
          'drop-trade:every=21,truncate:stream=trade:every=25',
      },
      'btcusdt@depth/btcusdt@trade',
    ));
    await venue.marketEnded;
    await waitFor(() => client.binary.length === venue.stats().ws.framesSent, 20_000, 'every frame');
    for (const f of client.binary) {
      const m = decode(f);
      if (!m) undecodable++;
      else if (m.templateId === TemplateId.DepthDiff) diffs.push(m);
      else if (m.templateId === TemplateId.Trades)
        tradeIds.push(...(m as TradesEvent).trades.map((t) => t.id));
    }
    client.ws.close();
  }, 60_000);
  afterAll(() => venue.close());

  it('drops every 50th diff: the recorded ids never reach the client, and a Binance-rule client sees gaps', () => {
    const drops = of('drop', 'btcusdt@depth');
    expect(drops.length).toBeGreaterThan(15);
    const received = new Set(diffs.map((d) => d.firstBookUpdateId));
    const lost = [...drops, ...of('corrupt', 'btcusdt@depth')];
    for (const f of lost) expect(received.has(f.firstUpdateId as number)).toBe(false);
    // Every other diff arrived: published = received distinct + lost.
    expect(received.size + lost.length).toBe(venue.stats().ws.framesPublished.depth);
    // "If the event first update ID (U) is greater than the update ID of your local order book + 1,
    // you have missed some events": each loss is detected (reorders are detected too).
    let local = (diffs[0]?.firstBookUpdateId as number) - 1;
    let gaps = 0;
    for (const d of diffs) {
      if (d.lastBookUpdateId <= local) continue;
      if (d.firstBookUpdateId > local + 1) gaps++;
      local = d.lastBookUpdateId;
    }
    expect(gaps).toBeGreaterThanOrEqual(lost.length);
  });

  it('duplicates every 70th diff and reorders every 90th, as recorded', () => {
    for (const d of of('dup', 'btcusdt@depth')) {
      expect(diffs.filter((x) => x.firstBookUpdateId === d.firstUpdateId)).toHaveLength(2);
    }
    const reorders = of('reorder', 'btcusdt@depth');
    expect(reorders.length).toBeGreaterThan(5);
    for (const r of reorders) {
      const held = diffs.findIndex((x) => x.firstBookUpdateId === r.firstUpdateId);
      const ahead = diffs.findIndex((x) => x.firstBookUpdateId === r.swappedWith?.firstUpdateId);
      expect(ahead).toBeGreaterThanOrEqual(0);
      expect(held).toBe(ahead + 1);
    }
  });

  it('sends corrupt and truncated frames the decoder rejects, one per record', () => {
    const damaged = of('corrupt', 'btcusdt@depth').length + of('truncate', 'btcusdt@trade').length;
    expect(damaged).toBeGreaterThan(10);
    expect(undecodable).toBe(damaged);
  });

  it('drops trades: the recorded trade ids are missing on the wire and present in the truth', () => {
    const dropped = of('drop', 'btcusdt@trade').flatMap((f) => {
      const ids: number[] = [];
      for (let id = f.firstTradeId as number; id <= (f.lastTradeId as number); id++) ids.push(id);
      return ids;
    });
    expect(dropped.length).toBeGreaterThan(5);
    const received = new Set(tradeIds);
    for (const id of dropped) {
      expect(received.has(id)).toBe(false);
      expect(venue.truth.trades('BTCUSDT', id, 1)[0]?.id).toBe(id);
    }
  });

  it('leaves the ground truth untouched: a fault-free run of the same seed has the same book', async () => {
    const clean = await startVenue({ source: { kind: 'sim', seed: 9, speed: 'max', durationUs: 20e6 } });
    try {
      await clean.marketEnded;
      const id = venue.truth.lastUpdateId('BTCUSDT');
      expect(clean.truth.lastUpdateId('BTCUSDT')).toBe(id);
      expect(clean.truth.bookAt('BTCUSDT', id - 5000)).toEqual(venue.truth.bookAt('BTCUSDT', id - 5000));
    } finally {
      await clean.close();
    }
  });
});

describe('timed faults', () => {
  it('disconnects: the connection drops without a close frame', async () => {
    const { venue, client } = await run(
      { source: { kind: 'sim', seed: 1, speed: 1 }, faults: 'disconnect:at=200ms' },
      'btcusdt@depth',
    );
    try {
      expect((await client.closed).code).toBe(1006);
      expect(venue.injectedFaults).toMatchObject([{ kind: 'disconnect', connections: 1 }]);
    } finally {
      await venue.close();
    }
  });

  it('stalls: silent while stalled, and the recorded withheld ids are exactly the gap the client sees', async () => {
    const { venue, client } = await run(
      { source: { kind: 'sim', seed: 1, speed: 1 }, faults: 'stall:at=200ms:for=300ms' },
      'btcusdt@depth',
    );
    try {
      await waitFor(() => client.binary.length > 30, 10_000, 'diffs after the stall');
      const stall = venue.injectedFaults[0] as InjectedFault;
      const withheld = stall.withheld?.['btcusdt@depth'];
      expect(withheld?.frames).toBeGreaterThan(5);
      const diffs = client.binary.map((f) => decode(f) as DepthDiffEvent);
      const resume = diffs.findIndex((d) => d.firstBookUpdateId === (withheld?.lastUpdateId as number) + 1);
      expect(resume).toBeGreaterThan(0);
      expect((diffs[resume - 1]?.lastBookUpdateId as number) + 1).toBe(withheld?.firstUpdateId);
    } finally {
      await venue.close();
    }
  });

  it('sends serverShutdown as a JSON text frame (µs), then closes', async () => {
    const { venue, client } = await run(
      { source: { kind: 'sim', seed: 1, speed: 1 }, faults: 'shutdown:at=200ms:grace=200ms' },
      'btcusdt@depth',
    );
    try {
      const event = (await client.nextText()) as { e: string; E: number };
      expect(event.e).toBe('serverShutdown');
      expect(String(event.E)).toHaveLength(16);
      expect((await client.closed).code).toBe(1001);
      expect(venue.injectedFaults).toMatchObject([{ kind: 'shutdown', connections: 1 }]);
    } finally {
      await venue.close();
    }
  });
});

describe('REST faults', () => {
  it('injects 429, 5xx and slow answers on schedule and records each', async () => {
    const venue = await startVenue({
      source: { kind: 'sim', seed: 1 },
      faults:
        'rest-429:every=3:path=/api/v3/depth:retryAfter=2,rest-5xx:every=4:status=502,rest-slow:every=5:ms=20',
    });
    try {
      const statuses: number[] = [];
      for (let i = 1; i <= 12; i++) {
        const r = await getJson(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`);
        statuses.push(r.status);
        if (r.status === 429) expect(r.headers.get('retry-after')).toBe('2');
      }
      // The first rule that fires applies: 3, 6, 9, 12 → 429; 4, 8 → 502; 5, 10 → slow but fine.
      expect(statuses).toEqual([200, 200, 429, 502, 200, 429, 200, 502, 429, 200, 200, 429]);
      const kinds = venue.injectedFaults.map((f) => f.kind);
      expect(kinds.filter((k) => k === 'rest-429')).toHaveLength(4);
      expect(kinds.filter((k) => k === 'rest-5xx')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'rest-slow')).toHaveLength(2);
      const listed = (await getJson(`${venue.restUrl}/_venue/faults`)).body as InjectedFault[];
      expect(listed).toHaveLength(8);
    } finally {
      await venue.close();
    }
  });
});
