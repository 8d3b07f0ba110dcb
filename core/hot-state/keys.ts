/**
 * Redis key names of the hot state (docs/adr/0003-redis-hot-state.md). Every key of a symbol carries
 * the `{SYMBOL}` hash tag so all of them live in one cluster slot: the Lua scripts, MULTI and the
 * re-anchor's RENAME need that on a cluster.
 */
export interface SymbolKeys {
  bids: string;
  asks: string;
  bidQty: string;
  askQty: string;
  meta: string;
  diffs: string;
  bestBidAsk: string;
  tradeState: string;
  tradeWindow(windowMs: number): string;
  features: string;
  featureState: string;
  predictions: string;
  /** Stream of the served candidate's switches, with the scores behind each. */
  servingSwitches: string;
  /** Every candidate's rolling scorecard (JSON), rewritten as ticks are scored. */
  candidateScores: string;
  /** The online learner's state (an `online` model artifact, JSON). */
  onlineModel: string;
  reanchorLock: string;
  reanchorRequests: string;
  /** Temporary book keys a re-anchor builds before its atomic swap (same hash tag). */
  temporary(token: string): { bids: string; asks: string; bidQty: string; askQty: string };
}

export function symbolKeys(symbol: string): SymbolKeys {
  const tag = `{${symbol}}`;
  return {
    bids: `ob:${tag}:bids`,
    asks: `ob:${tag}:asks`,
    bidQty: `ob:${tag}:bidqty`,
    askQty: `ob:${tag}:askqty`,
    meta: `ob:${tag}:meta`,
    diffs: `ob:${tag}:diffs`,
    bestBidAsk: `bba:${tag}`,
    tradeState: `tr:${tag}:state`,
    tradeWindow: (windowMs) => `tr:${tag}:${windowMs / 1000}s`,
    features: `feat:${tag}`,
    featureState: `feat:${tag}:state`,
    predictions: `pred:${tag}`,
    servingSwitches: `pred:${tag}:switches`,
    candidateScores: `pred:${tag}:candidates`,
    onlineModel: `model:${tag}:online`,
    reanchorLock: `reanchor:${tag}`,
    reanchorRequests: `reanchor:${tag}:requests`,
    temporary: (token) => ({
      bids: `ob:${tag}:tmp:${token}:bids`,
      asks: `ob:${tag}:tmp:${token}:asks`,
      bidQty: `ob:${tag}:tmp:${token}:bidqty`,
      askQty: `ob:${tag}:tmp:${token}:askqty`,
    }),
  };
}
