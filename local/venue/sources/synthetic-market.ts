/**
 * A seeded stochastic order book for one symbol, calibrated on real BTCUSDT statistics (the
 * 2024-08-08/09 recording and Binance's published stream rates). Pure and clock-free: the caller
 * drives it with `advanceTo(timeUs)` and gets the exchange events of every 20 ms window up to then,
 * so a long span can be simulated at full speed and the same seed always gives the same market.
 *
 * The model, per 20 ms window (Binance's SBE `<s>@depth` cadence):
 * - a public fair price moves so that the 10 s mid-return std is `returnStdBp10s` (4 bp); once per
 *   window makers re-centre the top of the book on it: quotes on the wrong side of the fair price
 *   are cancelled (or, sometimes, swept by a taker), and new quotes join it at one tick. With
 *   `informedFlow: false` the fair price is a pure random walk; by default part of its moves come
 *   from a latent value it learns gradually through the informed flow (informed-flow.ts), which
 *   gives the book and the tape a weak, real signal and the venue an exact oracle forecast;
 * - taker orders arrive as a Poisson process whose rate jumps during rare bursts (one every 90 s
 *   on average, about a second each, near 1,000 trades/s); each walks the opposite side and
 *   prints one or more trades per level; with informed flow they lean toward the latent value;
 * - background maker activity (adds, cancels, resizes) lands at a log-uniform depth, so it is
 *   densest at the top; its count per window is log-normal (mean ~49 changes, so ~46 distinct
 *   levels per diff with a tail to ~1,000); with informed flow their sizes skew toward it;
 * - at the window's end a spread left wider than one tick is closed with probability
 *   `spreadCloseProbability`, which sets how often the book shows a one-tick spread (~90%).
 * Every book change takes the next update id; every fill the next trade id; the window's changes
 * become one depth diff with U = previous u + 1. A bestBidAsk event follows every action that moved
 * the top of the book.
 */

import { Rng } from '../../../core/random/rng.ts';
import type { PriceLevel, Trade } from '../../../core/sbe/messages.ts';
import type { LevelChange, MarketEvent } from '../market-events.ts';
import { OrderBook, Side } from '../order-book.ts';
import {
  type InformedFlowParams,
  type InformedFlowVariances,
  informedFlowVariances,
  resolveInformedFlow,
} from './informed-flow.ts';

export type { InformedFlowParams } from './informed-flow.ts';

/** 0.01 USDT, the BTCUSDT tick, as a mantissa with exponent -8. */
export const TICK = 1_000_000;
/** 0.00001 BTC, the BTCUSDT lot step. */
export const LOT = 1_000;

export interface SyntheticMarketParams {
  symbol: string;
  seed: number;
  /** Exchange time of the opening book (µs). */
  startTimeUs: number;
  /** @default 61_800 USDT (the 2024-08-08 recording's level) */
  startPriceMantissa?: number;
  /** @default 50_000_000_000 (Binance's BTCUSDT ids are about 5e10) */
  firstUpdateId?: number;
  /** @default 3_700_000_000 */
  firstTradeId?: number;
  /** @default 20_000 (20 ms, the SBE depth stream's cadence) */
  diffIntervalUs?: number;
  /** Std of 10 s mid returns, basis points. @default 4 (the 2024 session's random-walk RMSE) */
  returnStdBp10s?: number;
  /** Taker orders per second outside bursts. @default 5 */
  takerOrdersPerS?: number;
  /** Mean seconds between bursts. @default 90 */
  burstEveryS?: number;
  /** Mean burst length, seconds. @default 1 */
  burstLengthS?: number;
  /** Taker orders per second during a burst. @default 300 */
  burstTakerOrdersPerS?: number;
  /** Mean background maker changes per window. @default 49 */
  makerChangesPerWindow?: number;
  /** Levels each side hovers around. @default 3000 */
  levelsPerSide?: number;
  /** Chance that makers close a spread wider than one tick at a window end. @default 0.65 */
  spreadCloseProbability?: number;
  /** Probability that a re-centring is done by a taker sweep rather than by cancels. @default 0.03 */
  sweepProbability?: number;
  /**
   * The informed flow (informed-flow.ts): a latent value revealed through the order flow, and the
   * oracle forecast it gives. `false`: the fair price is a pure random walk and the oracle is 0.
   * @default {} (DEFAULT_INFORMED_FLOW: strength 0.14)
   */
  informedFlow?: InformedFlowParams | false;
  /** How much oracle history `oracleAt` keeps, seconds. @default 900 */
  oracleHistoryS?: number;
}

/** The oracle forecast as of a past instant (`oracleAt`), or why there is none. */
export type OracleAt =
  | { ok: true; asOfUs: number; forecast: number }
  | { ok: false; reason: string; oldestUs: number; newestUs: number };

type Required_ = Required<SyntheticMarketParams>;

const DEFAULTS: Omit<Required_, 'symbol' | 'seed' | 'startTimeUs'> = {
  startPriceMantissa: 61_800 * 1e8,
  firstUpdateId: 50_000_000_000,
  firstTradeId: 3_700_000_000,
  diffIntervalUs: 20_000,
  returnStdBp10s: 4,
  takerOrdersPerS: 5,
  burstEveryS: 90,
  burstLengthS: 1,
  burstTakerOrdersPerS: 300,
  makerChangesPerWindow: 49,
  levelsPerSide: 3000,
  spreadCloseProbability: 0.65,
  sweepProbability: 0.03,
  informedFlow: {},
  oracleHistoryS: 900,
};

/** Mean gap between adjacent levels in ticks (the 2024 snapshot's median is 8-24 ticks). */
const MEAN_LEVEL_GAP_TICKS = 15;
/** The log-normal sigma of the maker change count: gives a tail to about 1,000 levels. */
const MAKER_COUNT_SIGMA = 1.35;
/** Changes, not levels: repeats at the same level make this about 1,000 distinct levels at most. */
const MAX_MAKER_CHANGES = 1500;
/** A taker order walks at most this many levels (the rest is cancelled, like an IOC order). */
const MAX_LEVELS_PER_TAKER = 25;
/** Makers skew the sizes they add toward the latent value within this many levels of the top. */
const SKEWED_LEVELS = 10;
/** Levels further than this from the top are pruned (~6% at 61,800). */
const MAX_DEPTH_TICKS = 370_000;

interface Action {
  timeUs: number;
  kind: 'recentre' | 'taker' | 'maker';
}

export class SyntheticMarket {
  readonly symbol: string;
  private readonly p: Required_;
  private readonly rng: Rng;
  private readonly book = new OrderBook();
  private fair: number;
  private windowStartUs: number;
  private nextUpdateId: number;
  private nextTradeId: number;
  private burstUntilUs = -1;
  private nextBurstUs: number;
  private lastTop = [0, 0, 0, 0];
  /** ln of the fair price's mantissa; `fair` is its exponential. */
  private logFair: number;
  /** Informed flow: the latent value minus the fair price (log), and the model's constants. */
  private gap = 0;
  private readonly flow: (Required<InformedFlowParams> & InformedFlowVariances) | undefined;
  private readonly publicStd: number;
  private readonly latentDiffusionStd: number;
  private readonly jumpProbability: number;
  private readonly jumpStd: number;
  /** The lean of informed takers and the makers' size skew, tanh(gap / gap std), this window. */
  private conviction = 0;
  /** Oracle history: per completed window j (0 = the opening), at j mod capacity. */
  private readonly gapHistory: Float64Array;
  private readonly deviationHistory: Float64Array;
  private windowsDone = 0;

  constructor(params: SyntheticMarketParams, rng = new Rng(params.seed)) {
    this.p = { ...DEFAULTS, ...params, informedFlow: params.informedFlow ?? {} } as Required_;
    this.symbol = params.symbol;
    this.rng = rng;
    this.fair = this.p.startPriceMantissa;
    this.logFair = Math.log(this.fair);
    this.windowStartUs = this.p.startTimeUs;
    this.nextUpdateId = this.p.firstUpdateId;
    this.nextTradeId = this.p.firstTradeId;
    this.nextBurstUs = this.p.startTimeUs + this.rng.exponential(this.p.burstEveryS * 1e6);
    const returnVar10s = (this.p.returnStdBp10s * 1e-4) ** 2;
    const windowsPer10s = 10_000_000 / this.p.diffIntervalUs;
    if (this.p.informedFlow === false) {
      // Random walk: variance over 10 s = variance per window * windows in 10 s.
      this.flow = undefined;
      this.publicStd = Math.sqrt(returnVar10s / windowsPer10s);
      this.latentDiffusionStd = 0;
      this.jumpProbability = 0;
      this.jumpStd = 0;
    } else {
      const params_ = resolveInformedFlow(this.p.informedFlow);
      const v = informedFlowVariances(params_, returnVar10s, this.p.diffIntervalUs);
      this.flow = { ...params_, ...v };
      this.publicStd = Math.sqrt(v.publicVar);
      this.jumpProbability = Math.min(1, (params_.jumpsPerMinute * this.p.diffIntervalUs) / 60e6);
      this.latentDiffusionStd = Math.sqrt(v.latentVar * (1 - params_.jumpShare));
      this.jumpStd =
        this.jumpProbability > 0 ? Math.sqrt((v.latentVar * params_.jumpShare) / this.jumpProbability) : 0;
    }
    const capacity = Math.max(1, Math.ceil((this.p.oracleHistoryS * 1e6) / this.p.diffIntervalUs) + 1);
    this.gapHistory = new Float64Array(capacity);
    this.deviationHistory = new Float64Array(capacity);
    this.buildOpeningBook();
    this.recordOracleState();
  }

  /** The window (µs) after which the market publishes a depth diff (20 ms). */
  get windowUs(): number {
    return this.p.diffIntervalUs;
  }

  /** Whether the informed flow is on (else the fair price is a pure random walk). */
  get informedFlow(): boolean {
    return this.flow !== undefined;
  }

  /**
   * The oracle: E[ln(mid(t + h) / mid(t)) | everything the venue knows at t], t = `timeUs`, mid the
   * book's (best bid + best ask) / 2, in natural-log units (the training label's). 0 without informed
   * flow. Only whole windows move the published mid, so h counts floor(h / window) of them.
   */
  oracleForecast(horizonUs: number): number {
    return this.forecastFrom(this.gap, this.logFair - this.logMid(), horizonUs);
  }

  /**
   * The oracle as of the last window ending at or before `atUs` (kept for `oracleHistoryS`), for the
   * venue's truth endpoint.
   */
  oracleAt(atUs: number, horizonUs: number): OracleAt {
    const dt = this.p.diffIntervalUs;
    const capacity = this.gapHistory.length;
    const oldest = Math.max(0, this.windowsDone - capacity + 1);
    const at = (j: number) => this.p.startTimeUs + j * dt;
    const range = { oldestUs: at(oldest), newestUs: at(this.windowsDone) };
    const j = Math.floor((atUs - this.p.startTimeUs) / dt);
    if (j > this.windowsDone)
      return { ok: false, reason: 'the market has not reached that time yet', ...range };
    if (j < oldest) return { ok: false, reason: 'that time is older than the kept oracle history', ...range };
    const k = j % capacity;
    return {
      ok: true,
      asOfUs: at(j),
      forecast: this.forecastFrom(
        this.gapHistory[k] as number,
        this.deviationHistory[k] as number,
        horizonUs,
      ),
    };
  }

  private forecastFrom(gap: number, deviation: number, horizonUs: number): number {
    if (!this.flow) return 0;
    const n = Math.floor(horizonUs / this.p.diffIntervalUs);
    return gap * (1 - (1 - this.flow.kappa) ** n) + deviation;
  }

  private logMid(): number {
    const bid = this.book.best(Side.Bid);
    const ask = this.book.best(Side.Ask);
    return bid === undefined || ask === undefined ? this.logFair : Math.log((bid + ask) / 2);
  }

  private recordOracleState(): void {
    const k = this.windowsDone % this.gapHistory.length;
    this.gapHistory[k] = this.gap;
    this.deviationHistory[k] = this.flow ? this.logFair - this.logMid() : 0;
  }

  /** Exchange time up to which events have been produced. */
  get timeUs(): number {
    return this.windowStartUs;
  }

  /** The opening book as a snapshot event (the venue's truth is seeded with it). */
  openingSnapshot(): MarketEvent {
    return {
      type: 'snapshot',
      symbol: this.symbol,
      timeUs: this.p.startTimeUs,
      lastUpdateId: this.p.firstUpdateId - 1,
      bids: this.book.top(Side.Bid, Number.MAX_SAFE_INTEGER),
      asks: this.book.top(Side.Ask, Number.MAX_SAFE_INTEGER),
    };
  }

  /** The model's own book (read only: for tests and calibration). */
  get currentBook(): OrderBook {
    return this.book;
  }

  /** Produces the events of every whole window ending at or before `timeUs`, in time order. */
  advanceTo(timeUs: number): MarketEvent[] {
    const out: MarketEvent[] = [];
    while (this.windowStartUs + this.p.diffIntervalUs <= timeUs) this.window(out);
    return out;
  }

  private buildOpeningBook(): void {
    const bid = Math.floor(this.fair / TICK) * TICK;
    for (const side of [Side.Bid, Side.Ask] as const) {
      let price = side === Side.Bid ? bid : bid + TICK;
      const dir = side === Side.Bid ? -1 : 1;
      for (let i = 0; i < this.p.levelsPerSide; i++) {
        this.book.set(side, price, this.levelQty(i < 5 ? 3 : 1));
        price += dir * TICK * (1 + this.rng.geometric(1 / MEAN_LEVEL_GAP_TICKS));
      }
    }
    this.book.lastUpdateId = this.p.firstUpdateId - 1;
    this.lastTop = this.top();
  }

  private levelQty(scale: number): number {
    // Median about 0.002 BTC with a heavy tail (the 2024 snapshot's median level is 0.00084 BTC).
    const btc = this.rng.lognormal(Math.log(0.002 * scale), 1.8);
    return Math.max(LOT, Math.min(Math.round((btc * 1e8) / LOT) * LOT, 500 * 1e8));
  }

  /**
   * A maker's new size on `side`, `k` levels from the best: larger on the latent value's side when
   * informed flow is on, within the top SKEWED_LEVELS levels (deeper skew would starve the takers of
   * one side and turn the trade flow against the value).
   */
  private makerQty(side: Side, scale: number, k = 0): number {
    const skew = this.flow && k < SKEWED_LEVELS ? this.flow.quoteSkew * this.conviction : 0;
    // Only the value's side grows: thinning the other side would make takers walk more levels there
    // and print more trades, moving the calibrated trade rate.
    return this.levelQty(scale * Math.exp(Math.max(0, side === Side.Bid ? skew : -skew)));
  }

  /** One step of the fair price (and, with informed flow, of the latent gap): see informed-flow.ts. */
  private stepFair(): void {
    if (!this.flow) {
      this.logFair += this.publicStd * this.rng.normal();
    } else {
      this.logFair += this.flow.kappa * this.gap + this.publicStd * this.rng.normal();
      let shock = this.latentDiffusionStd * this.rng.normal();
      if (this.jumpProbability > 0 && this.rng.chance(this.jumpProbability))
        shock += this.jumpStd * this.rng.normal();
      this.gap = (1 - this.flow.kappa) * this.gap + shock;
      this.conviction = Math.tanh(this.gap / this.flow.gapStd);
    }
    this.fair = Math.exp(this.logFair);
  }

  private inBurst(t: number): boolean {
    if (t >= this.nextBurstUs && t > this.burstUntilUs) {
      const lengthUs = Math.min(3, Math.max(0.3, this.rng.exponential(this.p.burstLengthS))) * 1e6;
      this.burstUntilUs = this.nextBurstUs + lengthUs;
      this.nextBurstUs = this.burstUntilUs + this.rng.exponential(this.p.burstEveryS * 1e6);
    }
    return t <= this.burstUntilUs;
  }

  private window(out: MarketEvent[]): void {
    const t0 = this.windowStartUs;
    const dt = this.p.diffIntervalUs;
    const t1 = t0 + dt;
    const burst = this.inBurst(t0);
    const actions: Action[] = [{ timeUs: t0 + this.rng.int(dt), kind: 'recentre' }];
    const takerRate = burst ? this.p.burstTakerOrdersPerS : this.p.takerOrdersPerS;
    const takers = this.rng.poisson((takerRate * dt) / 1e6);
    for (let i = 0; i < takers; i++) actions.push({ timeUs: t0 + this.rng.int(dt), kind: 'taker' });
    const mu =
      Math.log(this.p.makerChangesPerWindow * (burst ? 3 : 1)) - (MAKER_COUNT_SIGMA * MAKER_COUNT_SIGMA) / 2;
    const makers = Math.min(MAX_MAKER_CHANGES, Math.floor(this.rng.lognormal(mu, MAKER_COUNT_SIGMA)));
    for (let i = 0; i < makers; i++) actions.push({ timeUs: t0 + this.rng.int(dt), kind: 'maker' });
    actions.sort((a, b) => a.timeUs - b.timeUs);

    const firstId = this.nextUpdateId;
    const windowChanges: LevelChange[] = [];
    for (const a of actions) {
      const changes: LevelChange[] = [];
      const trades: Trade[] = [];
      let takerIsBuyer = false;
      if (a.kind === 'recentre') takerIsBuyer = this.recentre(changes, trades);
      else if (a.kind === 'taker') takerIsBuyer = this.taker(changes, trades, burst);
      else this.maker(changes);
      this.emit(out, a.timeUs, changes, trades, takerIsBuyer, windowChanges);
    }
    const closing: LevelChange[] = [];
    this.closeSpread(closing);
    this.prune(closing);
    this.emit(out, t1 - 1, closing, [], false, windowChanges);

    if (windowChanges.length > 0) out.push(this.diff(t1, firstId, windowChanges));
    this.windowStartUs = t1;
    this.windowsDone++;
    this.recordOracleState();
  }

  private emit(
    out: MarketEvent[],
    timeUs: number,
    changes: LevelChange[],
    trades: Trade[],
    takerIsBuyer: boolean,
    windowChanges: LevelChange[],
  ): void {
    if (changes.length > 0) {
      out.push({ type: 'bookChanges', symbol: this.symbol, timeUs, changes });
      for (const c of changes) windowChanges.push(c);
    }
    if (trades.length > 0) {
      for (const t of trades) t.isBuyerMaker = !takerIsBuyer;
      out.push({ type: 'trades', symbol: this.symbol, eventTimeUs: timeUs, transactTimeUs: timeUs, trades });
    }
    const top = this.top();
    if (top.some((v, i) => v !== this.lastTop[i])) {
      this.lastTop = top;
      out.push({
        type: 'bestBidAsk',
        symbol: this.symbol,
        eventTimeUs: timeUs,
        bookUpdateId: this.nextUpdateId - 1,
        bidPriceMantissa: top[0] as number,
        bidQtyMantissa: top[1] as number,
        askPriceMantissa: top[2] as number,
        askQtyMantissa: top[3] as number,
      });
    }
  }

  private top(): number[] {
    const bid = this.book.best(Side.Bid) ?? 0;
    const ask = this.book.best(Side.Ask) ?? 0;
    return [bid, this.book.qtyAt(Side.Bid, bid), ask, this.book.qtyAt(Side.Ask, ask)];
  }

  private change(changes: LevelChange[], side: Side, price: number, qty: number): void {
    this.book.set(side, price, qty);
    const updateId = this.nextUpdateId++;
    this.book.lastUpdateId = updateId;
    changes.push({ side, priceMantissa: price, qtyMantissa: qty, updateId });
  }

  /** Moves the fair price and re-centres the top of the book on it. Returns the taker side if swept. */
  private recentre(changes: LevelChange[], trades: Trade[]): boolean {
    this.stepFair();
    const targetBid = Math.floor(this.fair / TICK) * TICK;
    const targetAsk = targetBid + TICK;
    const sweep = this.rng.chance(this.p.sweepProbability);
    // Asks at or below the target bid, and bids at or above the target ask, are stale.
    let takerIsBuyer = false;
    for (const side of [Side.Ask, Side.Bid] as const) {
      const stale = (price: number) => (side === Side.Ask ? price <= targetBid : price >= targetAsk);
      let best = this.book.best(side);
      let levels = 0;
      while (best !== undefined && stale(best) && this.book.size(side) > 1) {
        if (sweep && levels < MAX_LEVELS_PER_TAKER) {
          this.fill(changes, trades, side, best, this.book.qtyAt(side, best));
          takerIsBuyer = side === Side.Ask;
        } else {
          this.change(changes, side, best, 0);
        }
        levels++;
        best = this.book.best(side);
      }
    }
    // Makers join the fair price at one tick.
    if ((this.book.best(Side.Bid) ?? 0) < targetBid && targetBid < (this.book.best(Side.Ask) ?? Infinity)) {
      this.change(changes, Side.Bid, targetBid, this.makerQty(Side.Bid, 5));
    }
    if ((this.book.best(Side.Ask) ?? Infinity) > targetAsk && targetAsk > (this.book.best(Side.Bid) ?? 0)) {
      this.change(changes, Side.Ask, targetAsk, this.makerQty(Side.Ask, 5));
    }
    return takerIsBuyer;
  }

  /** Fills `qty` at one level: one or more trades (several resting orders), one book change. */
  private fill(changes: LevelChange[], trades: Trade[], side: Side, price: number, qty: number): void {
    const resting = this.book.qtyAt(side, price);
    const lots = qty / LOT;
    const prints = Math.min(lots, 1 + this.rng.geometric(0.6));
    let left = lots;
    for (let i = 0; i < prints; i++) {
      // Leave at least one lot for each print still to come: Binance never prints a zero quantity.
      const later = prints - i - 1;
      const part =
        later === 0 ? left : Math.min(left - later, Math.max(1, Math.floor((left * this.rng.next()) / 2)));
      left -= part;
      trades.push({
        id: this.nextTradeId++,
        priceMantissa: price,
        qtyMantissa: part * LOT,
        isBuyerMaker: false,
      });
    }
    this.change(changes, side, price, resting - qty);
  }

  private taker(changes: LevelChange[], trades: Trade[], burst: boolean): boolean {
    const bid = this.book.best(Side.Bid);
    const ask = this.book.best(Side.Ask);
    if (bid === undefined || ask === undefined) return false;
    const mid = (bid + ask) / 2;
    // Takers lean toward the fair price (the book follows them) and, informed, toward the latent value.
    const informed = this.flow ? this.flow.takerLean * this.conviction : 0;
    const pBuy = Math.min(1, Math.max(0, 0.5 + 0.3 * Math.tanh((this.fair - mid) / (50 * TICK)) + informed));
    const buy = this.rng.chance(pBuy);
    const side = buy ? Side.Ask : Side.Bid;
    // Informed takers also trade larger on the value's side and smaller against it; the factor is
    // divided by its mean so the average order size (so trade rates and volume) does not change.
    let sizeLean = 0;
    if (this.flow) {
      const lean = this.flow.takerSizeLean * this.conviction;
      sizeLean = (buy ? lean : -lean) - Math.log(pBuy * Math.exp(lean) + (1 - pBuy) * Math.exp(-lean));
    }
    let remaining =
      Math.max(1, Math.round(this.rng.lognormal(Math.log(burst ? 0.004 : 0.002) + sizeLean, 1.5) * 1e5)) *
      LOT;
    for (
      let levels = 0;
      remaining > 0 && levels < MAX_LEVELS_PER_TAKER && this.book.size(side) > 1;
      levels++
    ) {
      const price = this.book.best(side) as number;
      const qty = Math.min(remaining, this.book.qtyAt(side, price));
      this.fill(changes, trades, side, price, qty);
      remaining -= qty;
    }
    return buy;
  }

  private maker(changes: LevelChange[]): void {
    const side = this.rng.chance(0.5) ? Side.Bid : Side.Ask;
    const size = this.book.size(side);
    if (size === 0) return;
    const k = Math.min(size - 1, Math.floor(Math.exp(this.rng.next() * Math.log(size + 1))) - 1);
    const price = this.book.priceAt(side, k) as number;
    const ratio = size / this.p.levelsPerSide;
    const pAdd = Math.min(0.8, Math.max(0.1, 0.4 / ratio));
    const pCancel = Math.min(0.8, Math.max(0.1, 0.3 * ratio));
    const r = this.rng.next();
    const dir = side === Side.Bid ? -1 : 1;
    if (r < pAdd) {
      const deeper = this.book.priceAt(side, k + 1);
      if (deeper === undefined) {
        const gap = 1 + this.rng.geometric(1 / MEAN_LEVEL_GAP_TICKS);
        this.change(changes, side, price + dir * gap * TICK, this.makerQty(side, 1, k));
        return;
      }
      const gapTicks = Math.abs(deeper - price) / TICK;
      if (gapTicks >= 2) {
        const at = price + dir * TICK * (1 + Math.floor((gapTicks - 1) * this.rng.next()));
        this.change(changes, side, at, this.makerQty(side, 1, k));
        return;
      }
      this.change(changes, side, price, this.book.qtyAt(side, price) + this.makerQty(side, 1, k));
    } else if (r < pAdd + pCancel) {
      if (size > 1) this.change(changes, side, price, 0);
    } else {
      const resized = Math.round((this.book.qtyAt(side, price) * this.rng.lognormal(0, 0.7)) / LOT) * LOT;
      this.change(changes, side, price, Math.max(LOT, resized));
    }
  }

  /** Makers close a gap at the top, toward the fair price, most of the time. */
  private closeSpread(changes: LevelChange[]): void {
    const bid = this.book.best(Side.Bid);
    const ask = this.book.best(Side.Ask);
    if (bid === undefined || ask === undefined || ask - bid <= TICK) return;
    if (!this.rng.chance(this.p.spreadCloseProbability)) return;
    if (this.fair >= (bid + ask) / 2) this.change(changes, Side.Bid, ask - TICK, this.makerQty(Side.Bid, 2));
    else this.change(changes, Side.Ask, bid + TICK, this.makerQty(Side.Ask, 2));
  }

  /** Keeps the book within MAX_DEPTH_TICKS of the top on both sides. */
  private prune(changes: LevelChange[]): void {
    for (const side of [Side.Bid, Side.Ask] as const) {
      const best = this.book.best(side);
      const deepest = this.book.priceAt(side, this.book.size(side) - 1);
      if (best !== undefined && deepest !== undefined && Math.abs(best - deepest) > MAX_DEPTH_TICKS * TICK) {
        this.change(changes, side, deepest, 0);
      }
    }
  }

  private diff(timeUs: number, firstId: number, changes: LevelChange[]): MarketEvent {
    // A diff carries each changed level once, with its quantity at the end of the window.
    const finals: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
    for (const c of changes) finals[c.side].set(c.priceMantissa, c.qtyMantissa);
    const levels = (side: Side): PriceLevel[] =>
      [...finals[side]].map(([priceMantissa, qtyMantissa]) => ({ priceMantissa, qtyMantissa }));
    return {
      type: 'depthDiff',
      symbol: this.symbol,
      eventTimeUs: timeUs,
      firstUpdateId: firstId,
      lastUpdateId: this.nextUpdateId - 1,
      bids: levels(Side.Bid),
      asks: levels(Side.Ask),
    };
  }
}
