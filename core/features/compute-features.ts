/**
 * The feature vector at one instant: a pure function of the book-derived state, the current top of
 * the book, the trade windows and the time. Definitions (docs/adr/0030-features.md):
 *
 * T = nowUs floored to the 100 ms grid; every windowed feature covers (T - W, T].
 * - microprice_minus_mid_bp: 1e4 * (microprice - mid) / mid, microprice = (Pa qb + Pb qa) / (qb + qa)
 * - spread_bp:               1e4 * (Pa - Pb) / mid
 * - imbalance_lK:            (sum of bid qty - sum of ask qty) / (their total) over the best K levels
 * - imbalance_lK_avg_Ws:     the mean of imbalance_lK as of each grid point in (T - W, T]
 *                            (FeatureState.imbalanceAverage): the instant's top sizes are mostly noise
 * - ofi_Ws:                  FeatureState.ofi (Cont–Kukanov–Stoikov, in mean top sizes)
 * - tfi_Ws:                  (taker buy volume - taker sell volume) / volume; 0 for an observed
 *                            window without trades (no flow is balanced flow; trade_count says it)
 * - ret_Ws_bp:               1e4 * ln(M(T) / M(T - W)), M = mid on the 100 ms grid
 * - rv_Ws_bp:                1e4 * sqrt(sum of squared 1 s log returns of M over (T - W, T])
 * - trade_count_Ws:          number of trades in the window
 * NaN marks insufficient input: an empty side or crossed book, fewer than K levels, a window not
 * observed since its start (warm-up), or samples evicted because `nowUs` trails the data too far.
 */
import type { TradeWindows } from '../trades/trade-windows.ts';
import { type BookTop, imbalance, validBest } from './book-top.ts';

export { imbalance };

import { FEATURE_COUNT, FEATURE_INDEX, type FeatureVector } from './feature-names.ts';
import { type FeatureState, GRID_US } from './feature-state.ts';

const BP = 1e4;
const SECOND_US = 1_000_000;

export function computeFeatures(
  state: FeatureState,
  book: BookTop,
  trades: TradeWindows,
  nowUs: number,
): FeatureVector {
  const t = Math.floor(nowUs / GRID_US) * GRID_US;
  const v = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
  const i = FEATURE_INDEX;

  const best = validBest(book);
  if (best) {
    const { bidPrice: pb, bidQty: qb, askPrice: pa, askQty: qa } = best;
    const mid = (pb + pa) / 2;
    const micro = (pa * qb + pb * qa) / (qb + qa);
    v[i.microprice_minus_mid_bp] = (BP * (micro - mid)) / mid;
    v[i.spread_bp] = (BP * (pa - pb)) / mid;
    v[i.imbalance_l1] = imbalance(book, 1);
    v[i.imbalance_l5] = imbalance(book, 5);
    v[i.imbalance_l10] = imbalance(book, 10);
  }
  v[i.imbalance_l1_avg_2s] = state.imbalanceAverage(1, 2000, t);
  v[i.imbalance_l10_avg_10s] = state.imbalanceAverage(10, 10_000, t);

  v[i.ofi_1s] = state.ofi(1000, t);
  v[i.ofi_5s] = state.ofi(5000, t);
  v[i.ofi_10s] = state.ofi(10_000, t);

  writeTradeFeatures(v, trades, t);

  const midNow = state.midAt(t);
  const ret = (windowUs: number): number => BP * Math.log(midNow / state.midAt(t - windowUs));
  v[i.ret_1s_bp] = ret(SECOND_US);
  v[i.ret_5s_bp] = ret(5 * SECOND_US);
  v[i.ret_10s_bp] = ret(10 * SECOND_US);
  v[i.ret_30s_bp] = ret(30 * SECOND_US);
  v[i.ret_60s_bp] = ret(60 * SECOND_US);

  v[i.rv_10s_bp] = realisedVolatility(state, t, 10);
  v[i.rv_60s_bp] = realisedVolatility(state, t, 60);

  return { eventTimeUs: t, values: v };
}

/**
 * The vector with its trade features (tfi_*, trade_count_*) computed again from `trades`, at the
 * vector's own instant; the book features are kept. Inference uses it to complete the depth
 * consumer's vector with the trades processed since (trades arrive on their own stream, ADR 0003).
 */
export function withTradeFeatures(vector: FeatureVector, trades: TradeWindows): FeatureVector {
  const values = Float64Array.from(vector.values);
  writeTradeFeatures(values, trades, vector.eventTimeUs);
  return { eventTimeUs: vector.eventTimeUs, values };
}

/** Trade-flow imbalance and trade counts over (t - W, t], t on the 100 ms grid. */
function writeTradeFeatures(v: Float64Array, trades: TradeWindows, t: number): void {
  const i = FEATURE_INDEX;
  const tfi = (windowMs: number): number => {
    const s = trades.stats(windowMs, t);
    if (!s.complete) return Number.NaN;
    const total = s.buyVolume + s.sellVolume;
    return total > 0 ? (s.buyVolume - s.sellVolume) / total : 0;
  };
  v[i.tfi_1s] = tfi(1000);
  v[i.tfi_5s] = tfi(5000);
  v[i.tfi_10s] = tfi(10_000);
  v[i.tfi_30s] = tfi(30_000);
  const count = (windowMs: number): number => {
    const s = trades.stats(windowMs, t);
    return s.complete ? s.count : Number.NaN;
  };
  v[i.trade_count_1s] = count(1000);
  v[i.trade_count_10s] = count(10_000);
  v[i.trade_count_60s] = count(60_000);
}

/** 1e4 * sqrt(sum over the window's seconds of ln(M(end of second) / M(start of second))^2). */
function realisedVolatility(state: FeatureState, t: number, seconds: number): number {
  let sum = 0;
  let later = state.midAt(t);
  for (let j = 1; j <= seconds; j++) {
    const earlier = state.midAt(t - j * SECOND_US);
    const r = Math.log(later / earlier);
    sum += r * r;
    later = earlier;
  }
  return BP * Math.sqrt(sum);
}
