/**
 * What REST derives from the trade tape: aggregate trades (`/api/v3/aggTrades`) and 1-minute klines
 * (`/api/v3/klines`, longer intervals are built from them). Bounded rings, like the ground truth.
 *
 * Binance: "Trades that fill at the time, from the same taker order, with the same price will have
 * the quantity aggregated." The venue aggregates consecutive trade ids with the same transact time,
 * price and side (a recording does not say which taker order a trade came from).
 */
import type { Trade } from '../../core/sbe/messages.ts';

export interface AggTrade {
  aggId: number;
  priceMantissa: number;
  qtyMantissa: number;
  firstTradeId: number;
  lastTradeId: number;
  timeUs: number;
  isBuyerMaker: boolean;
}

export interface AggTradeQuery {
  fromId?: number;
  startTimeUs?: number;
  endTimeUs?: number;
  limit: number;
}

export class AggTradeLog {
  private readonly aggIds: Float64Array;
  private readonly prices: Float64Array;
  private readonly qtys: Float64Array;
  private readonly firstIds: Float64Array;
  private readonly lastIds: Float64Array;
  private readonly times: Float64Array;
  private readonly makers: Uint8Array;
  private total = 0;
  private nextAggId: number;

  constructor(
    private readonly capacity: number,
    firstAggId: number,
  ) {
    this.nextAggId = firstAggId;
    this.aggIds = new Float64Array(capacity);
    this.prices = new Float64Array(capacity);
    this.qtys = new Float64Array(capacity);
    this.firstIds = new Float64Array(capacity);
    this.lastIds = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.makers = new Uint8Array(capacity);
  }

  add(t: Trade, timeUs: number): void {
    if (this.total > 0) {
      const slot = (this.total - 1) % this.capacity;
      const extends_ =
        this.lastIds[slot] === t.id - 1 &&
        this.prices[slot] === t.priceMantissa &&
        this.times[slot] === timeUs &&
        this.makers[slot] === (t.isBuyerMaker ? 1 : 0);
      if (extends_) {
        this.qtys[slot] = (this.qtys[slot] as number) + t.qtyMantissa;
        this.lastIds[slot] = t.id;
        return;
      }
    }
    const slot = this.total % this.capacity;
    this.aggIds[slot] = this.nextAggId++;
    this.prices[slot] = t.priceMantissa;
    this.qtys[slot] = t.qtyMantissa;
    this.firstIds[slot] = t.id;
    this.lastIds[slot] = t.id;
    this.times[slot] = timeUs;
    this.makers[slot] = t.isBuyerMaker ? 1 : 0;
    this.total++;
  }

  private at(i: number): AggTrade {
    const slot = i % this.capacity;
    return {
      aggId: this.aggIds[slot] as number,
      priceMantissa: this.prices[slot] as number,
      qtyMantissa: this.qtys[slot] as number,
      firstTradeId: this.firstIds[slot] as number,
      lastTradeId: this.lastIds[slot] as number,
      timeUs: this.times[slot] as number,
      isBuyerMaker: this.makers[slot] === 1,
    };
  }

  /** First absolute index in [lo, total) whose value (read by `get`) is >= target. */
  private search(target: number, get: (slot: number) => number): number {
    let lo = Math.max(0, this.total - this.capacity);
    let hi = this.total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (get(mid % this.capacity) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Binance: "Without startTime or endTime, returns the most recent items up to the limit. With
   * startTime, returns oldest items from startTime up to the limit. With endTime, returns most recent
   * items up to endTime and the limit. With both, behaves like startTime but does not exceed endTime."
   */
  query(q: AggTradeQuery): AggTrade[] {
    const oldest = Math.max(0, this.total - this.capacity);
    const endTime = q.endTimeUs ?? Number.POSITIVE_INFINITY;
    let start: number;
    if (q.fromId !== undefined) {
      start = this.search(q.fromId, (s) => this.aggIds[s] as number);
      if (q.startTimeUs !== undefined) {
        start = Math.max(
          start,
          this.search(q.startTimeUs, (s) => this.times[s] as number),
        );
      }
    } else if (q.startTimeUs !== undefined) {
      start = this.search(q.startTimeUs, (s) => this.times[s] as number);
    } else {
      const end =
        q.endTimeUs === undefined ? this.total : this.search(endTime + 1, (s) => this.times[s] as number);
      start = Math.max(oldest, end - q.limit);
      const out: AggTrade[] = [];
      for (let i = start; i < end; i++) out.push(this.at(i));
      return out;
    }
    const out: AggTrade[] = [];
    for (let i = start; i < this.total && out.length < q.limit; i++) {
      const a = this.at(i);
      if (a.timeUs > endTime) break;
      out.push(a);
    }
    return out;
  }
}

export interface Kline {
  openTimeMs: number;
  closeTimeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume mantissa (exponent -8). */
  volume: number;
  /** Quote volumes as price mantissa x qty mantissa (exponent -16), exact. */
  quoteVolume: bigint;
  trades: number;
  takerBuyVolume: number;
  takerBuyQuoteVolume: bigint;
}

const MINUTE_MS = 60_000;

/** Supported intervals, as Binance names them; all are whole minutes (1s, 1w and 1M are not served). */
export const KLINE_INTERVALS_MS: Readonly<Record<string, number>> = {
  '1m': MINUTE_MS,
  '3m': 3 * MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '2h': 120 * MINUTE_MS,
  '4h': 240 * MINUTE_MS,
  '6h': 360 * MINUTE_MS,
  '8h': 480 * MINUTE_MS,
  '12h': 720 * MINUTE_MS,
  '1d': 1440 * MINUTE_MS,
  '3d': 4320 * MINUTE_MS,
};

export interface KlineQuery {
  intervalMs: number;
  startTimeMs?: number;
  endTimeMs?: number;
  limit: number;
}

/** 1-minute bars built from the trade tape; the last `capacityMinutes` minutes are kept. */
export class KlineLog {
  private readonly bars: Kline[] = [];

  constructor(private readonly capacityMinutes: number) {}

  add(t: Trade, timeUs: number): void {
    const openTimeMs = Math.floor(timeUs / 1000 / MINUTE_MS) * MINUTE_MS;
    let bar = this.bars[this.bars.length - 1];
    if (!bar || bar.openTimeMs < openTimeMs) {
      // Binance also has bars for minutes without trades: flat at the previous close.
      while (bar && bar.openTimeMs + MINUTE_MS < openTimeMs) {
        bar = flatBar(bar.openTimeMs + MINUTE_MS, MINUTE_MS, bar.close);
        this.bars.push(bar);
      }
      bar = flatBar(openTimeMs, MINUTE_MS, t.priceMantissa);
      bar.open = t.priceMantissa;
      this.bars.push(bar);
      if (this.bars.length > this.capacityMinutes)
        this.bars.splice(0, this.bars.length - this.capacityMinutes);
    } else if (bar.openTimeMs > openTimeMs) {
      return; // A late trade for a closed bar (replays may interleave streams); bars stay append-only.
    }
    bar.high = Math.max(bar.high, t.priceMantissa);
    bar.low = Math.min(bar.low, t.priceMantissa);
    bar.close = t.priceMantissa;
    bar.volume += t.qtyMantissa;
    const quote = BigInt(t.priceMantissa) * BigInt(t.qtyMantissa);
    bar.quoteVolume += quote;
    bar.trades++;
    if (!t.isBuyerMaker) {
      bar.takerBuyVolume += t.qtyMantissa;
      bar.takerBuyQuoteVolume += quote;
    }
  }

  query(q: KlineQuery): Kline[] {
    const merged: Kline[] = [];
    for (const bar of this.bars) {
      const openTimeMs = Math.floor(bar.openTimeMs / q.intervalMs) * q.intervalMs;
      let out = merged[merged.length - 1];
      if (!out || out.openTimeMs !== openTimeMs) {
        out = flatBar(openTimeMs, q.intervalMs, bar.open);
        merged.push(out);
      }
      out.high = Math.max(out.high, bar.high);
      out.low = Math.min(out.low, bar.low);
      out.close = bar.close;
      out.volume += bar.volume;
      out.quoteVolume += bar.quoteVolume;
      out.trades += bar.trades;
      out.takerBuyVolume += bar.takerBuyVolume;
      out.takerBuyQuoteVolume += bar.takerBuyQuoteVolume;
    }
    const endTime = q.endTimeMs ?? Number.POSITIVE_INFINITY;
    const inRange = merged.filter(
      (k) => k.openTimeMs <= endTime && (q.startTimeMs === undefined || k.openTimeMs >= q.startTimeMs),
    );
    // Same rule as aggTrades: oldest first from startTime, else the most recent `limit`.
    return q.startTimeMs !== undefined ? inRange.slice(0, q.limit) : inRange.slice(-q.limit);
  }
}

function flatBar(openTimeMs: number, intervalMs: number, price: number): Kline {
  return {
    openTimeMs,
    closeTimeMs: openTimeMs + intervalMs - 1,
    open: price,
    high: price,
    low: price,
    close: price,
    volume: 0,
    quoteVolume: 0n,
    trades: 0,
    takerBuyVolume: 0,
    takerBuyQuoteVolume: 0n,
  };
}
