/**
 * The whole pipeline on one machine, wired as DESIGN.md section 5 describes: the local venue (or
 * real Binance), the SBE ingestor, and Kinesis in process, reached through the real AWS SDK client.
 * Later stages (aggregator, Redis state, re-anchor, bronze, inference) join here as they land.
 */
import { SbeIngestor } from '../containers/sbe-ingestor/sbe-ingestor.ts';
import type { StreamKind } from '../containers/sbe-ingestor/stream-kind.ts';
import type { SourceChoice, StartOptions } from './cli-options.ts';
import { type KinesisEmulator, startKinesisEmulator } from './emulators/kinesis-emulator.ts';
import type { RunSummary } from './run-summary.ts';
import { startVenue, type Venue } from './venue/index.ts';

const BINANCE_WS = 'wss://stream-sbe.binance.com:9443';
/** The venue accepts any non-empty key, like Binance accepts any valid one for public streams. */
const LOCAL_API_KEY = 'local-venue-key';

export const STREAM_NAMES: Record<StreamKind, string> = {
  trade: 'market-sbe-trade',
  bestbidask: 'market-sbe-bestbidask',
  depth: 'market-sbe-depth',
};

export type Log = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export class LocalPipeline {
  private kinesis: KinesisEmulator | undefined;
  venue: Venue | undefined;
  ingestor: SbeIngestor | undefined;
  private startedAtMs = 0;

  constructor(
    private readonly options: StartOptions,
    private readonly log: Log,
    private readonly binanceApiKey: string | undefined,
  ) {}

  async start(): Promise<void> {
    this.startedAtMs = Date.now();
    this.kinesis = await startKinesisEmulator();
    await Promise.all(Object.values(STREAM_NAMES).map((s) => this.kinesis?.createStream(s)));
    const { wsBaseUrl, apiKey } = await this.marketEndpoint(this.options.source);
    this.ingestor = new SbeIngestor({
      wsBaseUrl,
      apiKey,
      symbols: this.options.symbols,
      kinesis: this.kinesis.client,
      streamNames: STREAM_NAMES,
      reconnect: { baseMs: 100, capMs: 2000 },
      staleAfterMs: 3000,
      log: (level, message, fields) => {
        if (level !== 'info') this.log(level, message, fields);
      },
    });
    await this.ingestor.start();
  }

  private async marketEndpoint(source: SourceChoice): Promise<{ wsBaseUrl: string; apiKey: string }> {
    if (source.kind === 'binance') {
      if (!this.binanceApiKey) {
        throw new Error('--source binance needs BINANCE_API_KEY (an Ed25519 key) in the environment.');
      }
      return { wsBaseUrl: BINANCE_WS, apiKey: this.binanceApiKey };
    }
    this.venue = await startVenue({
      source:
        source.kind === 'sim'
          ? { kind: 'sim', seed: this.options.seed, speed: this.options.speed, symbols: this.options.symbols }
          : { kind: 'replay', path: source.path, speed: this.options.speed },
      startOn: 'first-subscription',
      faults: this.options.faults,
      faultSeed: this.options.seed,
    });
    return { wsBaseUrl: this.venue.wsUrl, apiKey: LOCAL_API_KEY };
  }

  /** Stops reading, flushes everything buffered to Kinesis, then closes the stand-ins. */
  async stop(): Promise<boolean> {
    const flushed = (await this.ingestor?.stop(10_000)) ?? true;
    await this.venue?.close();
    await this.kinesis?.close();
    return flushed;
  }

  elapsedS(): number {
    return (Date.now() - this.startedAtMs) / 1000;
  }

  async summary(): Promise<RunSummary> {
    const i = this.ingestor;
    const m = i?.metrics;
    const byLabel = async (
      metric: NonNullable<typeof m>['sequenceGaps'],
      key: (l: Record<string, unknown>) => string,
    ) => {
      const out: Record<string, number> = {};
      for (const v of (await metric.get()).values) out[key(v.labels)] = (out[key(v.labels)] ?? 0) + v.value;
      return out;
    };
    const stats = i?.decoder.stats;
    const venueStats = this.venue?.stats();
    return {
      durationS: Math.round(this.elapsedS() * 10) / 10,
      source:
        this.options.source.kind === 'replay'
          ? `replay:${this.options.source.path}`
          : this.options.source.kind,
      frames: {
        received: stats?.frames ?? 0,
        decoded: stats?.decoded ?? 0,
        decodeErrors: stats?.errors ?? 0,
      },
      kinesis: {
        recordsPut: i?.publisher.recordsPut ?? 0,
        recordsFailed: i?.publisher.recordsFailed ?? 0,
        framesPut: i?.publisher.framesPut ?? 0,
      },
      book: { gapsDetected: null, reanchors: null, checksAgainstVenue: null, mismatches: null },
      predictions: { count: null, scored: null, rmseRatioVsRandomWalk: null, hitRate: null },
      latencyMs: { exchangeToRedisP50: null, exchangeToRedisP99: null, inferenceP99: null },
      bronze: { objects: null, tradeIdGaps: null },
      ingestor: {
        sequenceGaps: m ? await byLabel(m.sequenceGaps, (l) => `${l.stream}:${l.reason}`) : {},
        reconnects: m ? await byLabel(m.reconnects, (l) => String(l.reason)) : {},
        overflowFrames: i?.publisher.framesRefused ?? 0,
        exchangeLagMsP50: null,
        exchangeLagMsP99: null,
      },
      ...(venueStats
        ? {
            venue: {
              framesSent: venueStats.ws.framesSent,
              faultsInjected: venueStats.faults,
            },
          }
        : {}),
    };
  }
}
