/**
 * The ingestor against a real WebSocket on loopback and kinesalite through the real AWS SDK:
 * every frame the exchange sent reaches Kinesis exactly once, in order per stream, across
 * disconnects, make-before-break rotations and serverShutdown; anomalies are reported by reason.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../containers/sbe-ingestor/market-connection.ts';
import { type IngestorGapEvent, SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { encodeMessage, encodeTrades } from '../../core/sbe/encoder.ts';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { readStreamFrames } from '../support/kinesis-reader.ts';
import { type MarketFrame, MarketScript, streamOf } from '../support/market-frames.ts';
import { type ScriptedExchange, startScriptedExchange } from '../support/scripted-exchange.ts';

let kinesis: KinesisEmulator;
let exchange: ScriptedExchange;
let ingestor: SbeIngestor | undefined;
let run = 0;

beforeAll(async () => {
  kinesis = await startKinesisEmulator();
});
afterAll(async () => {
  await kinesis.close();
});
afterEach(async () => {
  await ingestor?.stop(2000);
  ingestor = undefined;
  await exchange?.close();
});

/** Fresh stream names per test so read-back sees only this test's records. */
async function setUp(options: Partial<ConstructorParameters<typeof SbeIngestor>[0]> = {}) {
  run++;
  const streamNames = { trade: `trade-${run}`, bestbidask: `bba-${run}`, depth: `depth-${run}` };
  await Promise.all(Object.values(streamNames).map((s) => kinesis.createStream(s)));
  exchange = await startScriptedExchange('test-key');
  const gaps: IngestorGapEvent[] = [];
  ingestor = new SbeIngestor({
    wsBaseUrl: exchange.url,
    apiKey: 'test-key',
    symbols: ['BTCUSDT'],
    kinesis: kinesis.client,
    streamNames,
    reconnect: { baseMs: 20, capMs: 100 },
    onGap: (e) => gaps.push(e),
    ...options,
  });
  await ingestor.start();
  await exchange.waitForConnections(1);
  return { streamNames, gaps, ingestor };
}

async function stored(streamNames: Record<string, string>) {
  const out: Record<string, Uint8Array[]> = {};
  for (const [kind, name] of Object.entries(streamNames)) {
    out[kind] = (await readStreamFrames(kinesis.client, name)).map((f) => f.bytes);
  }
  return out;
}

function expectedByStream(frames: MarketFrame[]) {
  const out: Record<string, Uint8Array[]> = { trade: [], bestbidask: [], depth: [] };
  for (const f of frames) out[streamOf(f.message)]?.push(f.bytes);
  return out;
}

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await tick(5);
  }
}

describe('SBE ingestor', () => {
  it('subscribes to trade, bestBidAsk, depth and depth20 with the API key', async () => {
    await setUp();
    expect(exchange.requestedPaths).toEqual([
      '/stream?streams=btcusdt@trade/btcusdt@bestBidAsk/btcusdt@depth/btcusdt@depth20',
    ]);
  });

  it('writes every frame to its stream exactly once and in order, as received', async () => {
    const { streamNames, gaps, ingestor: i } = await setUp();
    const frames = new MarketScript().take(3000);
    for (const [n, f] of frames.entries()) {
      exchange.broadcast(f.bytes);
      if (n % 200 === 0) await tick();
    }
    await until(() => i.decoder.stats.frames === frames.length);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(await stored(streamNames)).toEqual(expectedByStream(frames));
    expect(gaps).toEqual([]);
    expect(i.publisher.recordsPut).toBeLessThan(frames.length / 5); // many frames per record
  });

  it('loses and doubles nothing across a forced disconnect', async () => {
    const { streamNames, gaps, ingestor: i } = await setUp();
    const script = new MarketScript();
    const sent: MarketFrame[] = [];
    const send = async (n: number) => {
      for (const f of script.take(n)) {
        // The exchange only "sends" to connected clients; a real gap would be detected (below).
        expect(exchange.broadcast(f.bytes)).toBe(1);
        sent.push(f);
      }
      await until(() => i.decoder.stats.frames === sent.length);
    };
    await send(500);
    for (const socket of exchange.connections()) socket.terminate();
    await until(() => exchange.connections().length === 0);
    await exchange.waitForConnections(1);
    await until(() => i.supervisor.connected);
    await send(500);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(await stored(streamNames)).toEqual(expectedByStream(sent));
    expect(gaps).toEqual([]);
    expect(await i.metrics.value(i.metrics.reconnects, { reason: 'closed' })).toBe(1);
  });

  it('rotates make-before-break: the overlap is de-duplicated, nothing is missed', async () => {
    const { streamNames, gaps, ingestor: i } = await setUp({ rotateAfterMs: 150 });
    const script = new MarketScript();
    const sent: MarketFrame[] = [];
    const deadline = Date.now() + 1200;
    // A replacement is promoted by its first frame: keep the market going until none is in flight.
    while (Date.now() < deadline || i.supervisor.connectionCount !== 1) {
      for (const f of script.take(20)) {
        if (exchange.broadcast(f.bytes) > 0) sent.push(f);
      }
      await tick(3);
    }
    await until(() => i.decoder.stats.frames >= sent.length);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(i.supervisor.rotations).toBeGreaterThanOrEqual(3);
    expect(await stored(streamNames)).toEqual(expectedByStream(sent));
    // Frames seen on both connections during an overlap are reported as duplicates, never forwarded.
    expect(gaps.every((g) => g.kind === 'sequence' && g.reason === 'duplicate')).toBe(true);
  });

  it('answers serverShutdown by connecting again before the old connection goes', async () => {
    const { streamNames, ingestor: i } = await setUp();
    const script = new MarketScript();
    const sent: MarketFrame[] = [];
    const sendAll = (n: number) => {
      for (const f of script.take(n)) if (exchange.broadcast(f.bytes) > 0) sent.push(f);
    };
    sendAll(100);
    const [old] = exchange.connections();
    exchange.sendText(
      old as NonNullable<typeof old>,
      JSON.stringify({ e: 'serverShutdown', E: 1_723_161_255_000_000 }),
    );
    await exchange.waitForConnections(2);
    sendAll(100); // both connections receive these
    await until(() => exchange.connections().length === 1);
    sendAll(100);
    await until(() => i.decoder.stats.frames >= sent.length);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(await stored(streamNames)).toEqual(expectedByStream(sent));
    expect(await i.metrics.value(i.metrics.reconnects, { reason: 'shutdown' })).toBe(1);
    expect(await i.metrics.value(i.metrics.controlMessages, { type: 'serverShutdown' })).toBe(1);
  });

  it('reports dropped, duplicated and reordered diffs and trades with their reasons', async () => {
    const { streamNames, gaps, ingestor: i } = await setUp();
    const frames = new MarketScript().take(60);
    const diffs = frames.filter((f) => f.message.templateId === 10003);
    const trades = frames.filter((f) => f.message.templateId === 10000);
    const [d0, d1, d2, d3, d4, d5, d6] = diffs as [
      MarketFrame,
      MarketFrame,
      MarketFrame,
      MarketFrame,
      MarketFrame,
      MarketFrame,
      MarketFrame,
    ];
    const [t0, , t2] = trades as [MarketFrame, MarketFrame, MarketFrame];
    // d1 dropped, d3 duplicated, d5/d4 swapped; trade t1 dropped.
    const sent = [d0, d2, d3, d3, d5, d4, d6, t0, t2];
    for (const f of sent) exchange.broadcast(f.bytes);
    await until(() => i.decoder.stats.frames === sent.length);
    expect(await i.publisher.flush(5000)).toBe(true);
    const reasons = gaps.map((g) => (g.kind === 'sequence' ? `${g.sequence}:${g.reason}` : g.kind));
    expect(reasons).toEqual([
      'depth:missing',
      'depth:duplicate',
      'depth:missing',
      'depth:reordered',
      'trade:missing',
    ]);
    const missing = gaps[0] as Extract<IngestorGapEvent, { kind: 'sequence' }>;
    expect(missing.missingFrom).toBe((d1.message as { firstBookUpdateId: number }).firstBookUpdateId);
    expect(missing.missingCount).toBe(3);
    // The duplicate is not forwarded; the late diff is (it was never seen before).
    expect((await stored(streamNames)).depth).toEqual([d0, d2, d3, d5, d4, d6].map((f) => f.bytes));
    expect(await i.metrics.value(i.metrics.sequenceGaps, { stream: 'depth', reason: 'missing' })).toBe(2);
  });

  it('forwards depth20 snapshots that repeat an unchanged book id, and drops only true repeats', async () => {
    const { streamNames, gaps, ingestor: i } = await setUp();
    const snapshot = (eventTimeUs: number) =>
      encodeMessage({
        templateId: 10002,
        eventTimeUs,
        bookUpdateId: 50_093_239_218,
        priceExponent: -8,
        qtyExponent: -8,
        bids: [{ priceMantissa: 6_000_000_000_000, qtyMantissa: 1 }],
        asks: [{ priceMantissa: 6_000_001_000_000, qtyMantissa: 1 }],
        symbol: 'BTCUSDT',
      });
    // Three snapshots 50 ms apart of a book that did not change, and one delivered twice.
    const frames = [snapshot(1_000_000), snapshot(1_050_000), snapshot(1_100_000)];
    for (const f of [...frames, frames[2] as Uint8Array]) exchange.broadcast(f);
    await until(() => i.decoder.stats.frames === 4);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect((await stored(streamNames)).depth).toEqual(frames);
    expect(gaps.map((g) => (g.kind === 'sequence' ? `${g.sequence}:${g.reason}` : g.kind))).toEqual([
      'depth20:duplicate',
    ]);
  });

  it('counts and skips corrupt frames without disturbing the stream', async () => {
    const { streamNames, ingestor: i } = await setUp();
    const frames = new MarketScript().take(30);
    const truncated = (frames[0] as MarketFrame).bytes.subarray(0, 20);
    const wrongSchema = encodeMessage((frames[1] as MarketFrame).message, { schemaId: 9 });
    const tooShortForAHeader = Uint8Array.of(1, 2, 3);
    const sent = [...frames.slice(0, 10), truncated, wrongSchema, tooShortForAHeader, ...frames.slice(10)];
    for (const f of sent) exchange.broadcast(f instanceof Uint8Array ? f : f.bytes);
    await until(() => i.decoder.stats.frames === sent.length);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(await stored(streamNames)).toEqual(expectedByStream(frames));
    expect(await i.metrics.value(i.metrics.decodeErrors, { error: 'BufferTooShortError' })).toBe(2);
    expect(await i.metrics.value(i.metrics.decodeErrors, { error: 'SchemaMismatchError' })).toBe(1);
    expect(await i.metrics.total(i.metrics.decodeErrors)).toBe(3);
    expect(i.supervisor.connected).toBe(true);
  });

  it('counts a frame over the decoder input area as a decode error and keeps going; one over the socket limit costs a reconnect', async () => {
    const { streamNames, ingestor: i } = await setUp();
    const frames = new MarketScript().take(20);
    // Schema-valid, 42,000 trades: 1,050,040 bytes, beyond the 1 MiB the decoder holds.
    const oversized = encodeTrades({
      eventTimeUs: 1,
      transactTimeUs: 1,
      priceExponent: -8,
      qtyExponent: -8,
      trades: Array.from({ length: 42_000 }, (_, k) => ({
        id: 1 + k,
        priceMantissa: 6_000_000_000_000,
        qtyMantissa: 1,
        isBuyerMaker: false,
      })),
      symbol: 'BTCUSDT',
    });
    for (const f of frames.slice(0, 10)) exchange.broadcast(f.bytes);
    exchange.broadcast(oversized);
    for (const f of frames.slice(10)) exchange.broadcast(f.bytes);
    await until(() => i.decoder.stats.frames === 21, 20_000);
    expect(i.decoder.stats.errorsByName.FrameTooLarge).toBe(1);
    expect(await i.metrics.value(i.metrics.decodeErrors, { error: 'FrameTooLargeError' })).toBe(1);
    expect(await i.publisher.flush(5000)).toBe(true);
    expect(await stored(streamNames)).toEqual(expectedByStream(frames));
    expect(i.supervisor.connected).toBe(true);

    // Beyond MAX_MESSAGE_BYTES the socket refuses the message before buffering it: counted the same way.
    exchange.broadcast(new Uint8Array(MAX_MESSAGE_BYTES + 1));
    await until(() => i.decoder.stats.errorsByName.FrameTooLarge === 2, 20_000);
    expect(i.decoder.stats.errors).toBe(2);
    await exchange.waitForConnections(1, 20_000);
    await until(() => i.supervisor.connected, 20_000);
  });

  /**
   * Staleness is judged on the ingestor's clock; these tests move that clock themselves, so a busy
   * machine that delays the test's own timers cannot make a live connection look stale, nor the
   * reverse.
   */
  function manualClock() {
    let ms = Date.now();
    return {
      nowMs: () => ms,
      nowUs: () => ms * 1000,
      advance(byMs: number) {
        ms += byMs;
      },
    };
  }
  const staleReconnects = (i: SbeIngestor) => i.metrics.value(i.metrics.reconnects, { reason: 'stale' });
  async function untilAsync(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await tick(5);
    }
  }

  it('replaces a connection that stalls (open but silent)', async () => {
    const clock = manualClock();
    const { ingestor: i } = await setUp({ staleAfterMs: 200, clock });
    exchange.broadcast(new MarketScript().next().bytes);
    await until(() => i.decoder.stats.frames === 1);
    // The exchange sends nothing more while 450 ms pass: stale after 200.
    clock.advance(450);
    await untilAsync(async () => (await staleReconnects(i)) >= 1);
    await until(() => i.supervisor.connected);
  });

  it('replaces a connection whose frames stop advancing in exchange time', async () => {
    const clock = manualClock();
    let staleSeen = false;
    const { ingestor: i } = await setUp({
      staleAfterMs: 200,
      clock,
      log: (_level, message) => {
        if (message.includes('stale')) staleSeen = true;
      },
    });
    const stuck = new MarketScript().next().bytes;
    // The server keeps sending, but only the same old event: no market progress, 10 ms at a time.
    for (let sent = 1; !staleSeen; sent++) {
      if (sent > 100) throw new Error('never judged stale');
      exchange.broadcast(stuck);
      await until(() => i.decoder.stats.frames >= sent || staleSeen);
      clock.advance(10);
    }
    await untilAsync(async () => (await staleReconnects(i)) >= 1);
  });

  it('keeps a connection whose exchange time advances, however old it is (a replay)', async () => {
    const clock = manualClock();
    const { ingestor: i } = await setUp({ staleAfterMs: 200, clock });
    const script = new MarketScript(); // 2024 event times
    // 600 ms of the ingestor's time, a frame with a newer event time every 10 ms.
    for (let k = 1; k <= 60; k++) {
      exchange.broadcast(script.next().bytes);
      await until(() => i.decoder.stats.frames === k);
      clock.advance(10);
    }
    expect(await staleReconnects(i)).toBe(0);
    expect(i.supervisor.connected).toBe(true);
  });

  it('is refused without the right API key and reports unhealthy', async () => {
    exchange = await startScriptedExchange('the-real-key');
    ingestor = new SbeIngestor({
      wsBaseUrl: exchange.url,
      apiKey: 'wrong',
      symbols: ['BTCUSDT'],
      kinesis: kinesis.client,
      streamNames: { trade: 't', bestbidask: 'b', depth: 'd' },
      reconnect: { baseMs: 20, capMs: 60_000 },
    });
    await ingestor.start();
    expect(ingestor.supervisor.connected).toBe(false);
    expect(ingestor.health().status).toBe('unhealthy');
    expect(exchange.connections()).toHaveLength(0);
  });
});
