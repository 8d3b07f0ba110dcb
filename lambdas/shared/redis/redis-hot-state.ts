/**
 * The hot state in Redis (docs/adr/0003-redis-hot-state.md): loads a symbol's state for the
 * aggregator's mirror, writes a batch's plans with the compare-and-set scripts in one pipeline (one
 * round trip), and reads the book consistently for readers. ioredis runs the scripts by SHA and
 * falls back to sending them when Redis does not know them yet.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { DepthWrite, StaleReason } from '../../../core/aggregation/depth-batch.ts';
import type { TradeWrite } from '../../../core/aggregation/trade-batch.ts';
import type { Level } from '../../../core/book/order-book.ts';
import { symbolKeys } from '../../../core/hot-state/keys.ts';
import { describeSequenceGap } from '../../../core/hot-state/reanchor-request.ts';
import { TRADE_WINDOWS_MS, windowKey } from '../../../core/trades/trade-windows.ts';
import {
  APPLY_BEST_BID_ASK,
  APPLY_DEPTH,
  APPLY_TRADES,
  READ_BOOK_TOP,
  TRADE_WINDOW_FIELDS,
} from './hot-state-scripts.ts';
import type { ScriptArg } from './named-script.ts';

export interface LoadedDepthState {
  version: number;
  /** 0 until a re-anchor has built the first book. */
  epoch: number;
  updateId: number;
  stale: StaleReason | undefined;
  bids: Level[];
  asks: Level[];
  featureState: unknown;
  tradeVersion: number;
  tradeState: unknown;
}

export interface DepthWriteResult {
  applied: boolean;
  version: number;
  epoch: number;
  updateId: number;
  stale: StaleReason | undefined;
  tradeVersion: number;
  /** Present when the trade state changed since the version the caller holds. */
  tradeState?: unknown;
}

export interface BestBidAskWrite {
  symbol: string;
  bookUpdateId: number;
  eventTimeUs: number;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  priceExponent: number;
  qtyExponent: number;
}

export interface DepthScriptWrite {
  plan: DepthWrite;
  expectedVersion: number;
  featuresJson?: string;
  featureStateJson?: string;
  cachedTradeVersion: number;
}

export interface BatchWrites {
  depth: DepthScriptWrite[];
  trades: TradeWrite[];
  bestBidAsk: BestBidAskWrite[];
}

export interface BatchWriteResults {
  depth: DepthWriteResult[];
  /** Per trade write: the version written, or undefined on conflict. */
  trades: { applied: boolean; version: number }[];
  bestBidAsk: boolean[];
}

export interface BookTopRead {
  updateId: number;
  epoch: number;
  stale: StaleReason | undefined;
  eventTimeUs: number;
  bids: Level[];
  asks: Level[];
}

type ScriptReply = (string | number | null | false)[];

/** READ_BOOK_TOP's reply: updateId, epoch, stale, eventTimeUs, then flat price/qty lists per side. */
type BookTopReply = [string, string, string, string, string[], string[]];

function bookTopFromReply([updateId, epoch, stale, eventTimeUs, bids, asks]: BookTopReply): BookTopRead {
  return {
    updateId: Number(updateId),
    epoch: Number(epoch),
    stale: asStale(stale),
    eventTimeUs: Number(eventTimeUs),
    bids: pairs(bids),
    asks: pairs(asks),
  };
}

interface HotStateCommands {
  applyDepth(...args: (string | number | Buffer)[]): Promise<ScriptReply>;
  applyTrades(numKeys: number, ...args: (string | number)[]): Promise<ScriptReply>;
  applyBestBidAsk(...args: (string | number)[]): Promise<number>;
  readBookTop(...args: (string | number)[]): Promise<BookTopReply>;
}

const pairs = (flat: string[]): Level[] => {
  const out: Level[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([Number(flat[i]), Number(flat[i + 1])]);
  return out;
};

const hashLevels = (h: Record<string, string>): Level[] =>
  Object.entries(h).map(([p, q]) => [Number(p), Number(q)] as const);

const asStale = (s: string | null | undefined): StaleReason | undefined =>
  s === 'gap' || s === 'checksum' || s === 'no-book' ? s : undefined;

/** NaN (an empty window's VWAP) travels as 'NaN', which Number() reads back. */
const num = String;

export class RedisHotState {
  private readonly commands: HotStateCommands;

  constructor(
    readonly redis: Redis,
    /** Diffs kept for replay: 4096 is ~80 s of 20 ms diffs, far longer than a re-anchor takes. */
    private readonly diffLogMaxLen = 4096,
  ) {
    redis.defineCommand('applyDepth', { numberOfKeys: APPLY_DEPTH.numberOfKeys, lua: APPLY_DEPTH.lua });
    redis.defineCommand('applyTrades', { lua: APPLY_TRADES });
    redis.defineCommand('applyBestBidAsk', { numberOfKeys: 1, lua: APPLY_BEST_BID_ASK });
    redis.defineCommand('readBookTop', { numberOfKeys: 5, lua: READ_BOOK_TOP });
    this.commands = redis as unknown as HotStateCommands;
  }

  /** Everything the depth consumer mirrors, read in one MULTI so it is consistent. */
  async loadDepth(symbol: string): Promise<LoadedDepthState> {
    const k = symbolKeys(symbol);
    const results = await this.redis
      .multi()
      .hgetall(k.meta)
      .hgetall(k.bidQty)
      .hgetall(k.askQty)
      .get(k.featureState)
      .hmget(k.tradeState, 'version', 'state')
      .exec();
    const value = (i: number) => {
      const [error, v] = results?.[i] ?? [new Error('no reply'), undefined];
      if (error) throw error;
      return v;
    };
    const meta = value(0) as Record<string, string>;
    const [tradeVersion, tradeState] = value(4) as [string | null, string | null];
    const featureState = value(3) as string | null;
    return {
      version: Number(meta.version ?? 0),
      epoch: Number(meta.epoch ?? 0),
      updateId: Number(meta.updateId ?? 0),
      stale: asStale(meta.stale),
      bids: hashLevels(value(1) as Record<string, string>),
      asks: hashLevels(value(2) as Record<string, string>),
      featureState: featureState ? JSON.parse(featureState) : undefined,
      tradeVersion: Number(tradeVersion ?? 0),
      tradeState: tradeState ? JSON.parse(tradeState) : undefined,
    };
  }

  async loadTrades(symbol: string): Promise<{ version: number; state: unknown }> {
    const [version, state] = await this.redis.hmget(symbolKeys(symbol).tradeState, 'version', 'state');
    return { version: Number(version ?? 0), state: state ? JSON.parse(state) : undefined };
  }

  /** Every write of one batch in one pipeline: one round trip. */
  async write(writes: BatchWrites, nowUs: number): Promise<BatchWriteResults> {
    const pipeline = this.redis.pipeline() as ChainableCommander & HotStateCommands;
    for (const w of writes.depth) this.queueDepth(pipeline, w, nowUs);
    for (const w of writes.trades) this.queueTrades(pipeline, w);
    for (const w of writes.bestBidAsk) {
      pipeline.applyBestBidAsk(
        symbolKeys(w.symbol).bestBidAsk,
        w.bookUpdateId,
        w.eventTimeUs,
        w.bidPrice,
        w.bidQty,
        w.askPrice,
        w.askQty,
        w.priceExponent,
        w.qtyExponent,
      );
    }
    const replies = (await pipeline.exec()) ?? [];
    const reply = (i: number) => {
      const [error, value] = replies[i] ?? [new Error('no reply'), undefined];
      if (error) throw error;
      return value;
    };
    let i = 0;
    const depth = writes.depth.map(() => {
      const r = reply(i++) as ScriptReply;
      const tradeState = r[6];
      return {
        applied: r[0] === 1,
        version: Number(r[1]),
        epoch: Number(r[2]),
        updateId: Number(r[3]),
        stale: asStale(r[4] as string),
        tradeVersion: Number(r[5]),
        ...(typeof tradeState === 'string' ? { tradeState: JSON.parse(tradeState) } : {}),
      };
    });
    const trades = writes.trades.map(() => {
      const r = reply(i++) as ScriptReply;
      return { applied: r[0] === 1, version: Number(r[1]) };
    });
    const bestBidAsk = writes.bestBidAsk.map(() => reply(i++) === 1);
    return { depth, trades, bestBidAsk };
  }

  /** The top `depth` levels per side with the meta they belong to, read atomically. */
  async readBookTop(symbol: string, depth = 20): Promise<BookTopRead> {
    const k = symbolKeys(symbol);
    return bookTopFromReply(
      await this.commands.readBookTop(k.meta, k.bids, k.asks, k.bidQty, k.askQty, depth),
    );
  }

  /**
   * What inference reads every tick, in one round trip: the top of book, the depth consumer's feature
   * vector and the trade windows' state (to complete the vector's trade features, ADR 0003).
   */
  async readForInference(
    symbol: string,
  ): Promise<{ top: BookTopRead; featuresJson: string | null; tradeStateJson: string | null }> {
    const k = symbolKeys(symbol);
    const pipeline = this.redis.pipeline() as ChainableCommander & HotStateCommands;
    void pipeline.readBookTop(k.meta, k.bids, k.asks, k.bidQty, k.askQty, 1);
    pipeline.get(k.features);
    pipeline.hget(k.tradeState, 'state');
    const replies = (await pipeline.exec()) ?? [];
    const [top, features, tradeState] = [0, 1, 2].map((i) => {
      const [error, value] = replies[i] ?? [new Error('no reply')];
      if (error) throw error;
      return value;
    });
    return {
      top: bookTopFromReply(top as BookTopReply),
      featuresJson: features as string | null,
      tradeStateJson: tradeState as string | null,
    };
  }

  private queueDepth(pipeline: HotStateCommands, w: DepthScriptWrite, nowUs: number): void {
    const p = w.plan;
    const k = symbolKeys(p.symbol);
    const stale = p.markStale;
    const rest: ScriptArg[] = [];
    for (const [price, qty] of p.bidChanges) rest.push(price, qty);
    for (const [price, qty] of p.askChanges) rest.push(price, qty);
    for (const d of p.log)
      rest.push(
        d.firstUpdateId,
        d.lastUpdateId,
        Buffer.from(d.frame.buffer, d.frame.byteOffset, d.frame.byteLength),
      );
    const args = APPLY_DEPTH.args(
      k,
      {
        expectedVersion: w.expectedVersion,
        updateId: p.updateId,
        lastEventTimeUs: p.lastEventTimeUs,
        bidCount: p.bidChanges.length,
        askCount: p.askChanges.length,
        logCount: p.log.length,
        staleReason: stale?.reason ?? '',
        staleExpectedId: stale?.expectedId ?? 0,
        staleReceivedId: stale?.receivedId ?? 0,
        staleDetail: stale ? describeSequenceGap(stale) : '',
        featuresJson: w.featuresJson ?? '',
        featureStateJson: w.featureStateJson ?? '',
        checks: p.checks,
        mismatches: p.mismatches,
        diffLogMaxLen: this.diffLogMaxLen,
        nowUs,
        cachedTradeVersion: w.cachedTradeVersion,
        receivedEventTimeUs: p.receivedEventTimeUs,
      },
      rest,
    );
    void pipeline.applyDepth(...args);
  }

  private queueTrades(pipeline: HotStateCommands, w: TradeWrite): void {
    const k = symbolKeys(w.symbol);
    const args: (string | number)[] = [k.tradeState, ...TRADE_WINDOWS_MS.map((ms) => k.tradeWindow(ms))];
    args.push(w.expectedVersion, w.version, JSON.stringify(w.state));
    for (const ms of TRADE_WINDOWS_MS) {
      const s = w.stats[windowKey(ms)];
      args.push(
        num(s.count),
        num(s.volume),
        num(s.buyVolume),
        num(s.sellVolume),
        num(s.vwap),
        num(s.last),
        num(s.high),
        num(s.low),
        w.asOfUs,
      );
    }
    void pipeline.applyTrades(1 + TRADE_WINDOWS_MS.length, ...args);
  }
}

export { TRADE_WINDOW_FIELDS };
