import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseIngestorConfig } from '../../containers/sbe-ingestor/config.ts';
import { serverPort, startHealthServer } from '../../containers/sbe-ingestor/health-server.ts';
import { SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { MarketScript } from '../support/market-frames.ts';
import { type ScriptedExchange, startScriptedExchange } from '../support/scripted-exchange.ts';

describe('ingestor HTTP endpoints', () => {
  let kinesis: KinesisEmulator;
  let exchange: ScriptedExchange;
  let ingestor: SbeIngestor;
  let base: string;
  let close: () => void;

  beforeAll(async () => {
    kinesis = await startKinesisEmulator();
    for (const s of ['h-trade', 'h-bba', 'h-depth']) await kinesis.createStream(s);
    exchange = await startScriptedExchange('k');
    ingestor = new SbeIngestor({
      wsBaseUrl: exchange.url,
      apiKey: 'k',
      symbols: ['BTCUSDT'],
      kinesis: kinesis.client,
      streamNames: { trade: 'h-trade', bestbidask: 'h-bba', depth: 'h-depth' },
    });
    const server = await startHealthServer(ingestor, 0, '127.0.0.1');
    base = `http://127.0.0.1:${serverPort(server)}`;
    close = () => server.close();
    await ingestor.start();
    await exchange.waitForConnections(1);
    for (const f of new MarketScript().take(60)) exchange.broadcast(f.bytes);
    while (ingestor.decoder.stats.frames < 60) await new Promise((r) => setTimeout(r, 5));
    await ingestor.publisher.flush();
  });
  afterAll(async () => {
    close();
    await ingestor.stop(1000);
    await exchange.close();
    await kinesis.close();
  });

  it('/health has the seeds shape with each component and its figures', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'healthy',
      service: 'sbe-ingestor',
      components: {
        websocket: { status: 'healthy', connected: true, connections: 1 },
        kinesis: { status: 'healthy', bufferedBytes: 0 },
        decoder: { status: 'healthy', frames: 60, decoded: 60, errors: 0 },
      },
    });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
  });

  it('/metrics serves Prometheus text with the seeds names', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/ingestor_sbe_messages_total\{stream="depth"\} 30/);
    expect(text).toMatch(/ingestor_sbe_messages_total\{stream="trade"\} 20/);
    expect(text).toContain('ingestor_sbe_sequence_gaps_total');
    expect(text).toMatch(/ingestor_kinesis_frames_put_total\{stream="bestbidask"\} 10/);
  });

  it('/stats and /health/detailed answer JSON; unknown paths 404', async () => {
    const stats = await (await fetch(`${base}/stats`)).json();
    expect(stats.ingestor_sbe_messages_total).toContainEqual({ labels: { stream: 'depth' }, value: 30 });
    const detailed = await (await fetch(`${base}/health/detailed`)).json();
    expect(detailed.decodeErrorsByType.BufferTooShort).toBe(0);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('ingestor configuration', () => {
  it('applies defaults and splits symbols', () => {
    const config = parseIngestorConfig({ BINANCE_API_KEY: 'key', SYMBOLS: 'btcusdt, ethusdt' });
    expect(config.SYMBOLS).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(config.BINANCE_WS_URL).toBe('wss://stream-sbe.binance.com:9443');
    expect(config.STREAM_DEPTH).toBe('market-sbe-depth');
    expect(config.HTTP_PORT).toBe(8080);
  });

  it('fails fast naming the variable at fault', () => {
    expect(() => parseIngestorConfig({})).toThrow(/BINANCE_API_KEY/);
    expect(() => parseIngestorConfig({ BINANCE_API_KEY: 'k', HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT/);
    expect(() => parseIngestorConfig({ BINANCE_API_KEY: 'k', SYMBOLS: 'BTC-USDT' })).toThrow(ConfigError);
  });
});
