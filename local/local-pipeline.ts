/**
 * The whole pipeline on one machine, wired as docs/architecture.md describes: the local venue (or
 * real Binance), the SBE ingestor, Kinesis and S3 in process reached through the real AWS SDK
 * clients, the Lambda handlers (aggregator, archiver, REST poller, gap detector, data connector)
 * driven by a local Kinesis event source and a local scheduler with AWS's event shapes, Redis, the
 * re-anchor, PGlite, the inference service with its model store, and the first model's training.
 */

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { redactCredentials } from '../core/config/redact.ts';
import { symbolKeys } from '../core/hot-state/keys.ts';
import { kinesisStreamNames } from '../core/market/streams.ts';
import type { ParityReport } from '../core/model/feature-parity.ts';
import { WeightBudget } from '../core/rate-limit/weight-budget.ts';
import { DataConnector } from '../lambdas/data-connector/data-connector.ts';
import { S3BronzeSource } from '../lambdas/data-connector/s3-bronze-source.ts';
import { GapDetector } from '../lambdas/gap-detector/gap-detector.ts';
import { createGapDetectorHandler } from '../lambdas/gap-detector/handler.ts';
import { RedisGapSignals } from '../lambdas/gap-detector/redis-gap-signals.ts';
import { ArchivingSnapshotSource } from '../lambdas/re-anchor/archiving-snapshot-source.ts';
import { ReAnchor } from '../lambdas/re-anchor/re-anchor.ts';
import { systemClock } from '../lambdas/rest-poller/guarded-rest.ts';
import { createRestPollerHandler } from '../lambdas/rest-poller/handler.ts';
import { RestPoller } from '../lambdas/rest-poller/rest-poller.ts';
import { BinanceRestClient } from '../lambdas/shared/binance/binance-rest-client.ts';
import { RedisRestLimiter, restLimitScope } from '../lambdas/shared/binance/redis-rest-limiter.ts';
import { S3BronzeReader } from '../lambdas/shared/bronze/s3-bronze-reader.ts';
import { S3BronzeWriter } from '../lambdas/shared/bronze/s3-bronze-writer.ts';
import { S3CheckpointStore } from '../lambdas/shared/bronze/s3-checkpoint-store.ts';
import { connectRedis } from '../lambdas/shared/redis/redis-connection.ts';
import { RedisHotState } from '../lambdas/shared/redis/redis-hot-state.ts';
import { MarketDataRepository } from '../lambdas/shared/sql/market-data-repository.ts';
import { loadMigrations } from '../lambdas/shared/sql/migrations.ts';
import { openSqlClient, sqlTargetFromUrl } from '../lambdas/shared/sql/open-sql-client.ts';
import type { SqlClient } from '../lambdas/shared/sql/sql-client.ts';
import { createStreamArchiverHandler } from '../lambdas/stream-archiver/handler.ts';
import { StreamArchiver } from '../lambdas/stream-archiver/stream-archiver.ts';
import { WasmSbeDecoder } from '../native/wasm-decoder.ts';
import {
  auditFeatureParity,
  auditTradeIds,
  type TradeIdAudit,
  tradeIdCoverage,
  tradeIdGapFigure,
} from './bronze-audit.ts';
import type { SourceChoice, StartOptions } from './cli-options.ts';
import { type EmulatorThread, startKinesisThread, startS3Thread } from './emulators/emulator-thread.ts';
import { FirstModelTrainer } from './first-model.ts';
import { KinesisEventSource } from './kinesis-event-source.ts';
import { syntheticOnlinePrior } from './online-prior.ts';
import { ReanchorRunner } from './reanchor-runner.ts';
import { type KeySpaceLock, lockKeySpace } from './redis-key-space-lock.ts';
import { ensureRedis, type LocalRedis } from './redis-server.ts';
import type { RunSummary } from './run-summary.ts';
import { LocalSchedule } from './scheduler.ts';
import type { AggregatorReport } from './services/aggregator-host.ts';
import { AggregatorThread } from './services/aggregator-thread.ts';
import type { InferenceNotice } from './services/inference-host.ts';
import { InferenceThread } from './services/inference-thread.ts';
import { IngestorThread } from './services/ingestor-thread.ts';
import { type LoopDelay, watchLoopDelay } from './threads/loop-delay.ts';
import { decodeTrades } from './trade-tap.ts';
import { VenueThread } from './venue-thread.ts';

const BINANCE_WS = 'wss://stream-sbe.binance.com:9443';
const BINANCE_REST = 'https://api.binance.com';
/** The venue accepts any non-empty key, like Binance accepts any valid one for public streams. */
const LOCAL_API_KEY = 'local-venue-key';
/** How often the Redis book is compared with the venue's true book. */
const TRUTH_CHECK_MS = 1000;
const TRUTH_CHECK_LEVELS = 20;
/** The final check compares every level a REST snapshot can hold (Binance's deepest view). */
const FULL_BOOK_LEVELS = 5000;
/**
 * How deep the final check compares, given the last re-anchor's snapshot depth. A full-depth snapshot
 * holds the whole book: compare all of it. A shallower one (the REST budget chose 1000 levels) leaves
 * the book unknown past its last level, and every level removed near the top since pulls one of those
 * unknown levels into the top N: compare the top half, which a session's price moves do not reach.
 */
function finalCheckLevels(snapshotLimit: number | undefined): number {
  if (snapshotLimit === undefined || snapshotLimit >= FULL_BOOK_LEVELS) return FULL_BOOK_LEVELS;
  return Math.floor(snapshotLimit / 2);
}
export const BRONZE_BUCKET_LOCAL = 'btcusdt-bronze-local';
/** The region the emulators and their clients say they are in (events carry it in their ARNs). */
const LOCAL_REGION = 'ap-northeast-1';
/**
 * EventBridge runs the poller and the gap detector every minute in AWS; local sessions last a minute
 * or two, so they run faster here to show their work (the code and event shapes are the same).
 */
const POLLER_EVERY_MS = 10_000;
const GAP_DETECTOR_EVERY_MS = 15_000;
const DATA_CONNECTOR_EVERY_MS = 20_000;
/** How often the consumers off the hot path poll Kinesis (the aggregator's source polls every 5 ms). */
const ARCHIVER_POLL_MS = 250;
const TRADE_TAP_POLL_MS = 100;
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const STREAM_NAMES = kinesisStreamNames();

export type Log = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface TimelineEvent {
  timeMs: number;
  kind:
    | 'no-book'
    | 'gap'
    | 'checksum'
    | 'reanchor'
    | 'reanchor-failed'
    | 'ingestor-gap'
    | 'reconnect'
    | 'decode-error'
    | 'model-switch';
  detail: string;
}

export interface RecentTrade {
  id: number;
  timeMs: number;
  price: number;
  qty: number;
  /** The taker's side. */
  side: 'buy' | 'sell';
}

export interface PredictionPoint {
  eventTimeMs: number;
  mid: number;
  predictedMid?: number;
  realizedMid?: number;
  flag?: string;
}

const TIMELINE_MAX = 200;
/**
 * The parity audit replays the whole session's bronze in memory when the run stops. An hour of the
 * synthetic market is about 900,000 frames (250 frames/s); beyond that the audit is skipped, and says
 * so, rather than hold the stop and the memory.
 */
const PARITY_AUDIT_MAX_S = 3600;
/** The same bound in frames, for --speed max, where a short run holds hours of market time. */
const PARITY_AUDIT_MAX_FRAMES = 900_000;
const RECENT_TRADES = 50;
const PREDICTIONS_KEPT = 300;

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

const nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

interface StoredIds {
  tradeId?: number;
  aggTradeId?: number;
  updateId?: number;
}

/** The highest trade, aggregate and book update ids stored for `symbols` (undefined: none, or no tables yet). */
async function idsAlreadyStored(sql: SqlClient, symbols: readonly string[]): Promise<StoredIds | undefined> {
  const num = (v: string | number | null | undefined) =>
    v === null || v === undefined ? undefined : Number(v);
  try {
    const list = symbols.map((_, i) => `$${i + 1}`).join(', ');
    const trades = await sql.query<{ t: string | number | null; a: string | number | null }>(
      `SELECT max(last_trade_id) AS t, max(agg_trade_id) AS a FROM agg_trades WHERE symbol IN (${list})`,
      [...symbols],
    );
    const books = await sql.query<{ u: string | number | null }>(
      `SELECT max(last_update_id) AS u FROM book_snapshots WHERE symbol IN (${list})`,
      [...symbols],
    );
    const ids: StoredIds = {};
    const t = num(trades.rows[0]?.t);
    const a = num(trades.rows[0]?.a);
    const u = num(books.rows[0]?.u);
    if (t !== undefined) ids.tradeId = t;
    if (a !== undefined) ids.aggTradeId = a;
    if (u !== undefined) ids.updateId = u;
    return Object.keys(ids).length > 0 ? ids : undefined;
  } catch {
    return undefined; // a fresh database: the tables come with the migrations
  }
}

export class LocalPipeline {
  private kinesis: EmulatorThread<KinesisClient> | undefined;
  s3: EmulatorThread<S3Client> | undefined;
  private schedules: LocalSchedule[] = [];
  private localRedis: LocalRedis | undefined;
  private keySpace: KeySpaceLock | undefined;
  redis: Redis | undefined;
  store: RedisHotState | undefined;
  venue: VenueThread | undefined;
  ingestor: IngestorThread | undefined;
  aggregator: AggregatorThread | undefined;
  private eventSources: KinesisEventSource[] = [];
  reanchors: ReanchorRunner | undefined;
  inference: InferenceThread | undefined;
  sql: SqlClient | undefined;
  firstModel: FirstModelTrainer | undefined;
  private tradeAudit: TradeIdAudit | undefined;
  private parity: ParityReport | undefined;
  private snapshots: ArchivingSnapshotSource | undefined;
  /** The REST clients of the re-anchor, the poller and the gap detector (one limiter, as in AWS). */
  private readonly restClients: BinanceRestClient[] = [];
  private staleAtEnd: string | null = null;
  private conflictingWrites: Record<string, number> | undefined;
  /** The highest ids a persistent database already holds: a synthetic market continues after them. */
  private idsAfter: StoredIds | undefined;
  private truthTimer: NodeJS.Timeout | undefined;
  private startedAtMs = 0;
  /** The process' CPU when the market started (the end of start()), and what the run used by the stop. */
  private runCpu: { at: NodeJS.CpuUsage; wallMs: number } | undefined;
  private runResources: RunSummary['resources'] = null;
  /** The event-loop delay of this thread: what runs here has no thread of its own. */
  private readonly runtimeLoop = watchLoopDelay();
  /** Gaps, re-anchors and connection events, newest last (bounded), for the dashboard. */
  readonly timeline: TimelineEvent[] = [];
  /** The latest trades seen on the trade stream (a second consumer, as an extra Lambda would be). */
  readonly recentTrades: RecentTrade[] = [];
  /** The served candidate over time: every switch with the reason (a switch is minutes apart at least). */
  readonly servedTimeline: { timeMs: number; from: string; to: string; reason: string }[] = [];
  /** Served and flagged predictions with their outcome once scored (bounded). */
  readonly predictions: PredictionPoint[] = [];
  /** Measured while running, reported in the summary. */
  readonly figures = {
    framesArchived: 0,
    bronzeObjects: 0,
    connectorLoads: 0,
    fullBookChecks: 0,
    pollerRuns: 0,
    pollerRequests: 0,
    tradeIdGaps: 0,
    gapFindings: {} as Record<string, number>,
    checksAgainstVenue: 0,
    venueMismatches: [] as string[],
  };

  constructor(
    private readonly options: StartOptions,
    private readonly log: Log,
    private readonly binanceApiKey: string | undefined,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {}

  async start(): Promise<void> {
    this.startedAtMs = Date.now();
    if (this.options.source.kind === 'binance') await this.probeBinance();
    this.localRedis = await ensureRedis(this.env);
    this.redis = connectRedis(this.localRedis.url, undefined, (level, message, fields) =>
      this.log(level, message, fields),
    );
    // One owner per key space: a second run on the same database and symbols stops here, naming the first.
    this.keySpace = await lockKeySpace(
      this.redis,
      this.options.symbols,
      redactCredentials(this.localRedis.url),
    );
    // A local run owns its symbols' hot state: stale books or trade ids from an earlier run go.
    for (const symbol of this.options.symbols) await this.dropSymbol(symbol);
    this.store = new RedisHotState(this.redis);
    // Postgres (PGlite embedded unless DATABASE_URL says otherwise), loaded from bronze by the
    // connector. Opened first: a directory another run holds stops this one before anything starts.
    this.sql = await openSqlClient(sqlTargetFromUrl(this.env.DATABASE_URL ?? 'pglite:memory'));
    this.idsAfter = await idsAlreadyStored(this.sql, this.options.symbols);
    this.kinesis = await startKinesisThread(LOCAL_REGION, Object.values(STREAM_NAMES), this.log);
    const { wsBaseUrl, restUrl, apiKey } = await this.marketEndpoint(this.options.source);
    // The raw-stream archive, the REST poller and the re-anchor write bronze to S3 (s3rver, in process).
    this.s3 = await startS3Thread(LOCAL_REGION, [BRONZE_BUCKET_LOCAL], this.log);
    const writer = new S3BronzeWriter(this.s3.client, BRONZE_BUCKET_LOCAL);
    // Every REST caller shares one weight budget and Retry-After gate in Redis, as the Lambdas do (ADR 0075).
    const limiter = new RedisRestLimiter(this.redis, { scope: restLimitScope(restUrl) });
    const restClient = () => {
      const client = new BinanceRestClient(restUrl, 10_000, undefined, limiter);
      this.restClients.push(client);
      return client;
    };

    this.snapshots = new ArchivingSnapshotSource(restClient(), writer, nowUs, (error, key) =>
      this.log('error', 'snapshot not archived to bronze', { key, error: String(error) }),
    );
    this.reanchors = new ReanchorRunner(
      new ReAnchor({
        redis: this.redis,
        decoder: new WasmSbeDecoder(),
        snapshots: this.snapshots,
        nowUs,
        limiter,
      }),
      this.redis,
      this.log,
      (result) => {
        if (result.status === 'swapped') {
          this.event(
            'reanchor',
            `${result.symbol} at ${result.updateId}: ${result.levels} levels, ${Math.round(result.durationMs)} ms`,
          );
        } else if (result.status === 'failed') {
          this.event('reanchor-failed', `${result.symbol}: ${result.error.message}`);
        }
      },
    );
    this.aggregator = await AggregatorThread.start(
      {
        redisUrl: this.localRedis.url,
        aws: { region: this.kinesis.region, endpoint: this.kinesis.endpoint },
        streamNames: Object.values(STREAM_NAMES),
        delivery: this.options['kinesis-delivery'],
        ...(this.venue ? { venueClock: this.venue.clockShare } : {}),
      },
      this.log,
      {
        notice: (n) => this.event(n.kind, n.detail),
        reanchor: (symbol) => this.reanchors?.request(symbol),
      },
    );

    const reader = new S3BronzeReader(this.s3.client, BRONZE_BUCKET_LOCAL);
    const checkpoints = new S3CheckpointStore(this.s3.client, BRONZE_BUCKET_LOCAL);
    const archive = createStreamArchiverHandler({
      archiver: new StreamArchiver({ writer, decoder: new WasmSbeDecoder() }),
      record: (outcome) => {
        this.figures.framesArchived += outcome.frames;
      },
      log: (level, message, fields) => {
        if (level !== 'info') this.log(level, message, fields);
      },
    });
    for (const streamName of Object.values(STREAM_NAMES)) {
      const source = new KinesisEventSource({
        client: this.kinesis.client,
        streamName,
        region: this.kinesis.region,
        handler: archive,
        batchSize: 500,
        // Bronze is not latency-sensitive: fuller batches make fewer, larger objects.
        batchingWindowMs: 5000,
        // Polled four times a second, not every 5 ms: each GetRecords costs the SDK and the
        // emulator CPU that the hot path's consumer needs (docs/adr/0140).
        idlePollMs: ARCHIVER_POLL_MS,
        log: this.log,
      });
      await source.start();
      this.eventSources.push(source);
    }
    const pollerHandler = createRestPollerHandler({
      poller: new RestPoller(
        {
          rest: restClient(),
          writer,
          reader,
          checkpoints,
          budget: new WeightBudget({ share: 0.5 }),
          clock: systemClock,
        },
        { symbols: this.options.symbols },
      ),
      record: (result) => {
        this.figures.pollerRuns++;
        this.figures.pollerRequests += result.requests;
      },
      log: (level, message, fields) => {
        if (level !== 'info') this.log(level, message, fields);
      },
    });
    const gapHandler = createGapDetectorHandler({
      detector: new GapDetector(
        {
          reader,
          writer,
          checkpoints,
          signals: new RedisGapSignals(this.redis),
          reanchor: { trigger: async ({ symbol }) => this.reanchors?.request(symbol) },
          rest: restClient(),
          decoder: new WasmSbeDecoder(),
          nowMs: () => Date.now(),
        },
        {},
      ),
      symbols: this.options.symbols,
      record: (result) => {
        for (const f of result.findings) {
          this.figures.gapFindings[f.reason] = (this.figures.gapFindings[f.reason] ?? 0) + 1;
          if (f.reason === 'trade-id-gap') this.figures.tradeIdGaps++;
        }
      },
      log: (level, message, fields) => {
        if (level !== 'info') this.log(level, message, fields);
      },
    });
    this.schedules = [
      new LocalSchedule('rest-poller', POLLER_EVERY_MS, pollerHandler, this.kinesis.region, this.log),
      new LocalSchedule('gap-detector', GAP_DETECTOR_EVERY_MS, gapHandler, this.kinesis.region, this.log),
    ];
    for (const schedule of this.schedules) schedule.start();

    const tapDecoder = new WasmSbeDecoder();
    const tradeTap = new KinesisEventSource({
      client: this.kinesis.client,
      streamName: STREAM_NAMES.trade,
      region: this.kinesis.region,
      // The dashboard's recent trades: redrawn once a second.
      idlePollMs: TRADE_TAP_POLL_MS,
      handler: async (event) => {
        for (const r of event.Records) {
          for (const trade of decodeTrades(tapDecoder, Buffer.from(r.kinesis.data, 'base64'))) {
            pushBounded(this.recentTrades, trade, RECENT_TRADES);
          }
        }
      },
    });
    await tradeTap.start();
    this.eventSources.push(tradeTap);

    // Inference, with the champion in the local model store (kept across runs; the random walk until
    // one exists), in its own thread and up before the market starts.
    const modelStoreDir = this.env.MODEL_STORE_DIR ?? join(REPO_ROOT, '.local/models');
    this.inference = await InferenceThread.start(
      {
        redisUrl: this.localRedis.url,
        symbols: this.options.symbols,
        s3: { region: this.s3.region, endpoint: this.s3.endpoint, bucket: BRONZE_BUCKET_LOCAL },
        modelStoreDir,
        ...(this.venue ? { venueRestUrl: this.venue.restUrl } : {}),
        // A warm start learned on the default synthetic market (local/online-prior.ts).
        ...(this.options.source.kind === 'sim'
          ? { onlinePrior: await syntheticOnlinePrior(this.options['informed-flow']) }
          : {}),
      },
      this.log,
      (notice) => this.onInference(notice),
    );
    const connector = new DataConnector({
      sql: this.sql,
      bronze: new S3BronzeSource(this.s3.client, BRONZE_BUCKET_LOCAL),
      migrations: await loadMigrations(join(REPO_ROOT, 'lambdas/data-connector/migrations')),
      nowUs,
      log: (level, message, fields) => {
        if (level !== 'info') this.log(level, message, fields);
      },
    });
    await connector.migrate();
    const symbol = this.options.symbols[0] as string;
    this.firstModel = new FirstModelTrainer(
      this.sql,
      modelStoreDir,
      symbol,
      () => this.inference?.refreshModels() ?? Promise.resolve(false),
      this.log,
      await this.inference.championVersion(),
    );
    this.schedules.push(
      new LocalSchedule(
        'data-connector',
        DATA_CONNECTOR_EVERY_MS,
        async () => {
          this.figures.connectorLoads += (await connector.catchUp(this.options.symbols)).loaded;
          await this.firstModel?.tick();
        },
        this.kinesis.region,
        this.log,
      ),
    );
    this.schedules.at(-1)?.start();

    // Everything heavy (PGlite, migrations, models) is up before the market starts: the venue
    // holds it until this subscription, and a blocked event loop would stall the feed.
    this.ingestor = await IngestorThread.start(
      {
        wsBaseUrl,
        apiKey,
        symbols: this.options.symbols,
        aws: { region: this.kinesis.region, endpoint: this.kinesis.endpoint },
        streamNames: STREAM_NAMES,
      },
      this.log,
      (notice) => this.event(notice.kind, notice.detail),
    );
    if (this.venue) this.truthTimer = setInterval(() => void this.checkAgainstVenue(), TRUTH_CHECK_MS);
    this.runCpu = { at: process.cpuUsage(), wallMs: Date.now() };
  }

  /** What inference tells of each prediction served or scored and each switch: the dashboard's series. */
  private onInference(n: InferenceNotice): void {
    if (n.kind === 'switch') {
      const e = n.event;
      this.servedTimeline.push({ timeMs: e.timeUs / 1000, from: e.from, to: e.to, reason: e.reason });
      this.event('model-switch', `${n.symbol} ${e.from} -> ${e.to}: ${e.reason}`);
    } else if (n.kind === 'served') {
      const p = n.prediction;
      pushBounded(
        this.predictions,
        {
          eventTimeMs: p.eventTimeUs / 1000,
          mid: p.mid / 1e8,
          ...(p.predictedMid !== undefined ? { predictedMid: p.predictedMid / 1e8 } : {}),
          ...(p.flag ? { flag: p.flag } : {}),
        },
        PREDICTIONS_KEPT,
      );
    } else {
      for (const s of n.scored) {
        const point = this.predictions.find((p) => p.eventTimeMs === s.eventTimeUs / 1000);
        if (point) point.realizedMid = (s.midAtPrediction * Math.exp(s.realizedLogReturn)) / 1e8;
      }
    }
  }

  private async marketEndpoint(
    source: SourceChoice,
  ): Promise<{ wsBaseUrl: string; restUrl: string; apiKey: string }> {
    if (source.kind === 'binance') {
      if (!this.binanceApiKey) {
        throw new Error('--source binance needs BINANCE_API_KEY (an Ed25519 key) in the environment.');
      }
      return {
        wsBaseUrl: this.env.BINANCE_WS_URL ?? BINANCE_WS,
        restUrl: this.env.BINANCE_REST_URL ?? BINANCE_REST,
        apiKey: this.binanceApiKey,
      };
    }
    // A synthetic market's ids continue after what the database holds, so that an earlier run's rows
    // are never mistaken for this run's (a replay's ids are the recording's: the same rows again).
    const after = this.idsAfter;
    this.venue = await VenueThread.start(
      {
        source:
          source.kind === 'sim'
            ? {
                kind: 'sim',
                seed: this.options.seed,
                speed: this.options.speed,
                symbols: this.options.symbols,
                model: {
                  informedFlow: this.options['informed-flow'],
                  ...(after?.tradeId !== undefined ? { firstTradeId: after.tradeId + 1 } : {}),
                  ...(after?.updateId !== undefined ? { firstUpdateId: after.updateId + 1 } : {}),
                },
              }
            : { kind: 'replay', path: source.path, speed: this.options.speed },
        ...(after?.aggTradeId !== undefined && source.kind === 'sim'
          ? { truth: { firstAggTradeId: after.aggTradeId + 1 } }
          : {}),
        startOn: 'first-subscription',
        faults: this.options.faults,
        faultSeed: this.options.seed,
      },
      this.log,
    );
    return { wsBaseUrl: this.venue.wsUrl, restUrl: this.venue.restUrl, apiKey: LOCAL_API_KEY };
  }

  /**
   * Live Binance must answer before anything starts: with no network a run would otherwise idle to
   * its end and report 0 frames as if nothing had happened.
   */
  private async probeBinance(): Promise<void> {
    const restUrl = this.env.BINANCE_REST_URL ?? BINANCE_REST;
    try {
      const response = await fetch(`${restUrl}/api/v3/ping`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `cannot reach Binance at ${restUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}): --source binance needs network access.`,
      );
    }
  }

  /** The Redis book (top levels) against the venue's true book at the same update id. */
  private async checkAgainstVenue(levels = TRUTH_CHECK_LEVELS): Promise<void> {
    if (!this.store || !this.venue) return;
    for (const symbol of this.options.symbols) {
      const top = await this.store.readBookTop(symbol, levels).catch(() => undefined);
      if (!top || top.epoch === 0 || top.stale) continue;
      // Undefined: outside the venue's retained history.
      const truth = await this.venue.bookAt(symbol, top.updateId, levels).catch(() => undefined);
      if (!truth?.exact) continue;
      this.figures.checksAgainstVenue++;
      const same = (
        ours: readonly (readonly [number, number])[],
        theirs: { priceMantissa: number; qtyMantissa: number }[],
      ) =>
        ours.length === theirs.length &&
        ours.every(([p, q], i) => theirs[i]?.priceMantissa === p && theirs[i]?.qtyMantissa === q);
      if (!same(top.bids, truth.bids) || !same(top.asks, truth.asks)) {
        this.figures.venueMismatches.push(`${symbol}@${top.updateId}`);
        this.log('error', 'Redis book differs from the venue truth', { symbol, updateId: top.updateId });
      }
    }
  }

  /** Stops reading, flushes the ingestor, drains Kinesis through the aggregator, closes stand-ins. */
  async stop(): Promise<boolean> {
    // The market first: at --speed max it would otherwise keep producing (hours of market time)
    // while everything below flushes, drains and audits it.
    await this.venue?.stopMarket().catch(() => {});
    this.runResources = this.resourcesSinceMarketStart();
    clearInterval(this.truthTimer);
    await this.inference?.stop();
    const flushed = (await this.ingestor?.stop()) ?? true;
    const drained = (
      await Promise.all([
        this.aggregator?.drain(10_000) ?? true,
        ...this.eventSources.map((s) => s.drain(10_000)),
      ])
    ).every(Boolean);
    await this.checkAgainstVenue(finalCheckLevels(this.reanchors?.lastSwap?.snapshotLimit));
    this.figures.fullBookChecks++;
    // A last poll and gap check so that the session's final seconds are covered too.
    for (const schedule of this.schedules) await schedule.runNow();
    await Promise.all(this.schedules.map((s) => s.stop()));
    await this.snapshots?.flush();
    this.figures.bronzeObjects = await this.countBronzeObjects();
    if (this.s3) {
      const reader = new S3BronzeReader(this.s3.client, BRONZE_BUCKET_LOCAL);
      const symbol = this.options.symbols[0] as string;
      this.tradeAudit = await auditTradeIds(reader, symbol).catch(() => undefined);
      if (this.elapsedS() > PARITY_AUDIT_MAX_S || this.figures.framesArchived > PARITY_AUDIT_MAX_FRAMES) {
        this.log('info', 'feature parity not checked: the session is too long to replay in memory at stop', {
          sessionS: Math.round(this.elapsedS()),
          maxS: PARITY_AUDIT_MAX_S,
          framesArchived: this.figures.framesArchived,
          maxFrames: PARITY_AUDIT_MAX_FRAMES,
        });
      } else {
        this.parity = await auditFeatureParity(reader, symbol, new WasmSbeDecoder()).catch((error) => {
          this.log('warn', 'feature parity not checked', { error: String(error) });
          return undefined;
        });
      }
    }
    if (this.sql) {
      this.conflictingWrites = await new MarketDataRepository(this.sql)
        .conflictingWrites()
        .catch(() => undefined);
      const total = Object.values(this.conflictingWrites ?? {}).reduce((n, k) => n + k, 0);
      if (total > 0) {
        this.log('warn', 'Postgres kept rows that other data was written under (conflicting writes)', {
          ...this.conflictingWrites,
        });
      }
    }
    this.staleAtEnd = this.store ? await this.staleAtStop(this.store) : null;
    await Promise.all(this.eventSources.map((s) => s.stop()));
    await this.aggregator?.stop();
    await this.reanchors?.stop();
    await this.venue?.close();
    await this.kinesis?.close();
    await this.s3?.close();
    await this.sql?.close();
    await this.keySpace?.release();
    this.redis?.disconnect();
    await this.localRedis?.stop();
    this.runtimeLoop.stop();
    return flushed && drained;
  }

  /** The aggregator's counts and latencies (its thread's latest report; zeros before the first). */
  get aggregatorFigures(): AggregatorReport {
    return (
      this.aggregator?.report ?? {
        diffsApplied: 0,
        trades: 0,
        depth20Checks: 0,
        depth20Mismatches: 0,
        gapsDetected: 0,
        checksumRequests: 0,
        failedBatches: 0,
        deadLetters: 0,
        exchangeToRedis: { p50: null, p99: null },
        ingestToRedis: { p50: null, p99: null },
        latency: [],
      }
    );
  }

  /** CPU of the whole process (every thread) from the market's start to the stop: what the work costs. */
  private resourcesSinceMarketStart(): RunSummary['resources'] {
    if (!this.runCpu) return null;
    const used = process.cpuUsage(this.runCpu.at);
    const cpuS = (used.user + used.system) / 1e6;
    const wallS = (Date.now() - this.runCpu.wallMs) / 1000;
    return {
      cpuS: Math.round(cpuS * 10) / 10,
      wallS: Math.round(wallS * 10) / 10,
      cores: Math.round((cpuS / wallS) * 100) / 100,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  }

  /** Every service thread's event-loop delay, and this thread's. */
  loopDelays(): Record<string, LoopDelay> {
    const out: Record<string, LoopDelay> = { runtime: this.runtimeLoop.read() };
    const threads = {
      venue: this.venue,
      ingestor: this.ingestor,
      aggregator: this.aggregator,
      inference: this.inference,
      kinesis: this.kinesis,
      s3: this.s3,
    };
    for (const [name, thread] of Object.entries(threads)) if (thread?.loopDelay) out[name] = thread.loopDelay;
    return out;
  }

  /** Why the book is not fresh at the stop: a book never anchored is not a fresh one. */
  private async staleAtStop(store: RedisHotState): Promise<string | null> {
    const top = await store.readBookTop(this.options.symbols[0] as string, 1).catch(() => undefined);
    if (!top) return 'unreadable';
    if (top.epoch === 0) return 'no-book';
    return top.stale ?? null;
  }

  private async countBronzeObjects(): Promise<number> {
    if (!this.s3) return 0;
    return (await new S3BronzeReader(this.s3.client, BRONZE_BUCKET_LOCAL).list('bronze/')).length;
  }

  event(kind: TimelineEvent['kind'], detail: string): void {
    pushBounded(this.timeline, { timeMs: Date.now(), kind, detail }, TIMELINE_MAX);
  }

  elapsedS(): number {
    return (Date.now() - this.startedAtMs) / 1000;
  }

  /** The version of the forecast inference serves right now. */
  get servedVersion(): string {
    return this.inference?.report?.modelVersion ?? 'random-walk';
  }

  private predictionSummary(): RunSummary['predictions'] {
    const scores = this.options.symbols.map((s) => this.inference?.report?.scores[s]);
    const first = scores[0];
    if (!first)
      return {
        count: 0,
        scored: 0,
        rmseRatioVsRandomWalk: null,
        hitRate: null,
        model: this.servedVersion,
        flagged: {},
        served: 'random-walk',
        candidates: {},
        switches: [],
      };
    return {
      count: scores.reduce((n, s) => n + (s?.count ?? 0), 0),
      scored: scores.reduce((n, s) => n + (s?.scored ?? 0), 0),
      // With several symbols the first one's ratio is reported; per-symbol scores are in Redis.
      rmseRatioVsRandomWalk: first.rmseRatioVsRandomWalk,
      hitRate: first.hitRate,
      model: this.servedVersion,
      flagged: { ...(this.inference?.report?.flaggedBy ?? {}) },
      ...this.candidateSummary(),
    };
  }

  /** Every candidate's rolling scorecard for the first symbol, and the served candidate over time. */
  candidateSummary(): Pick<RunSummary['predictions'], 'served' | 'candidates' | 'switches'> {
    const symbol = this.options.symbols[0] as string;
    const report = this.inference?.report?.candidates[symbol];
    const round = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(4)));
    return {
      served: report?.served ?? 'random-walk',
      candidates: Object.fromEntries(
        Object.entries(report?.candidates ?? {}).map(([name, c]) => [
          name,
          {
            kind: c.kind,
            version: c.version,
            n: c.n,
            rmseRatioVsRandomWalk: round(c.rmseRatioVsRandomWalk),
            corr: round(c.corr),
            hitRate: round(c.hitRate),
            tVsRandomWalk: round(c.lossDiffVsRandomWalk?.t ?? null),
            skillCaptured: round(c.skillCaptured),
          },
        ]),
      ),
      switches: [...this.servedTimeline],
    };
  }

  /** What every REST caller sent and was refused, and why re-anchors waited (instead of a ban). */
  private restSummary(): RunSummary['rest'] {
    const sum = (pick: (c: BinanceRestClient['counters']) => number) =>
      this.restClients.reduce((n, c) => n + pick(c.counters), 0);
    const deferred: Record<string, number> = {};
    for (const c of this.restClients) {
      for (const [reason, n] of Object.entries(c.counters.deferred))
        deferred[reason] = (deferred[reason] ?? 0) + n;
    }
    const runner = this.reanchors;
    const reanchorsDeferred = { ...(runner?.deferred ?? {}) };
    const snapshotDepths: Record<string, number> = {};
    for (const r of runner?.results ?? []) {
      if (r.status === 'swapped')
        snapshotDepths[r.snapshotLimit] = (snapshotDepths[r.snapshotLimit] ?? 0) + 1;
    }
    const waits = Object.values(reanchorsDeferred).reduce((n, k) => n + k, 0);
    const shallow = Object.entries(snapshotDepths).filter(([limit]) => Number(limit) < FULL_BOOK_LEVELS);
    const shallowCount = shallow.reduce((n, [, k]) => n + k, 0);
    const parts: string[] = [];
    if (shallowCount > 0) parts.push(`${shallowCount} re-anchors took a shallower snapshot`);
    if (waits > 0) {
      const why = Object.entries(reanchorsDeferred).map(([r, n]) => `${r} ${n}`);
      parts.push(`${waits} waited for REST (${why.join(', ')})`);
    }
    const reason =
      parts.length > 0
        ? `the gap rate outran the REST weight budget: ${parts.join(' and ')}, rather than earn a ban`
        : null;
    return {
      requests: sum((c) => c.requests),
      weight: sum((c) => c.weight),
      rateLimited429: sum((c) => c.rateLimited429),
      banned418: sum((c) => c.banned418),
      deferred,
      reanchorsDeferred,
      reanchorsCoalesced: runner?.coalesced ?? 0,
      snapshotDepths,
      reason,
    };
  }

  private async dropSymbol(symbol: string): Promise<void> {
    const redis = this.redis as Redis;
    const k = symbolKeys(symbol);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*{${symbol}}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.del(`${k.reanchorLock}:fence`);
  }

  async summary(): Promise<RunSummary> {
    const i = this.ingestor?.report;
    const venueStats = this.venue?.finalStats ?? this.venue?.latestStats;
    const f = this.figures;
    const a = this.aggregatorFigures;
    const replay = this.options.source.kind === 'replay';
    return {
      durationS: Math.round(this.elapsedS() * 10) / 10,
      source:
        this.options.source.kind === 'replay'
          ? `replay:${this.options.source.path}`
          : this.options.source.kind,
      frames: {
        received: i?.frames.received ?? 0,
        decoded: i?.frames.decoded ?? 0,
        decodeErrors: i?.frames.errors ?? 0,
      },
      kinesis: {
        recordsPut: i?.publisher.recordsPut ?? 0,
        recordsFailed: i?.publisher.recordsFailed ?? 0,
        framesPut: i?.publisher.framesPut ?? 0,
        bytesPut: i?.publisher.bytesPut ?? 0,
      },
      book: {
        gapsDetected: a.gapsDetected,
        reanchors: this.reanchors?.swaps ?? 0,
        checksAgainstVenue: this.venue ? f.checksAgainstVenue : null,
        mismatches: this.venue ? f.venueMismatches.length : null,
        depth20Checks: a.depth20Checks,
        depth20Mismatches: a.depth20Mismatches,
        diffsApplied: a.diffsApplied,
        staleAtEnd: this.staleAtEnd,
        fullBookChecks: f.fullBookChecks,
      },
      predictions: this.predictionSummary(),
      rest: this.restSummary(),
      featureParity: this.parity
        ? {
            served: this.parity.served,
            identical: this.parity.identical,
            tradesInFlight: this.parity.tradesInFlight,
            other: this.parity.other,
            missingOffline: this.parity.missingOffline,
            afterTapeEnd: this.parity.afterTapeEnd,
            differingByFeature: this.parity.differingByFeature,
            examples: this.parity.examples,
          }
        : null,
      latencyMs: {
        // A replay's exchange times are historical: only the path from the ingestor is measurable.
        exchangeToRedisP50: replay ? null : a.exchangeToRedis.p50,
        exchangeToRedisP99: replay ? null : a.exchangeToRedis.p99,
        exchangeClock: this.venue ? 'venue-market' : 'wall',
        ingestToRedisP50: a.ingestToRedis.p50,
        ingestToRedisP99: a.ingestToRedis.p99,
        inferenceP99: this.inference?.report?.latencyP99Ms ?? null,
      },
      eventLoopDelayMs: this.loopDelays(),
      resources: this.runResources,
      bronze: {
        objects: f.bronzeObjects,
        tradeIdGaps: this.tradeAudit ? tradeIdGapFigure(this.tradeAudit) : null,
        tradeIdCoverage: this.tradeAudit ? tradeIdCoverage(this.tradeAudit) : null,
        tradeIdGapsFoundAndBackfilled: f.tradeIdGaps,
        tradeIdsCheckedThrough: this.tradeAudit?.checkedThrough ?? null,
        framesArchived: f.framesArchived,
        pollerRuns: f.pollerRuns,
        gapFindings: f.gapFindings,
      },
      ingestor: {
        sequenceGaps: i?.sequenceGaps ?? {},
        reconnects: i?.reconnects ?? {},
        overflowFrames: i?.publisher.framesRefused ?? 0,
      },
      aggregator: { trades: a.trades, failedBatches: a.failedBatches, deadLetters: a.deadLetters },
      model: {
        firstModel: this.firstModel?.state ?? null,
        postgresObjectsLoaded: f.connectorLoads,
        postgresConflictingWrites: this.conflictingWrites ?? null,
      },
      ...(venueStats
        ? {
            venue: {
              framesSent: venueStats.ws.framesSent,
              faultsInjected: venueStats.faults,
              ...(this.venue?.finalAnchors ? { bookAnchor: this.venue.finalAnchors } : {}),
              ...(venueStats.market.error ? { marketError: venueStats.market.error } : {}),
            },
          }
        : {}),
    };
  }
}
