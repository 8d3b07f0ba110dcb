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
  /** Capped stream of served (or flagged) predictions. */
  predictions: string;
  /** The served model's running score (hash), rewritten with each prediction. */
  predictionScore: string;
  /** Stream of the served candidate's switches, with the scores behind each. */
  servingSwitches: string;
  /** Every candidate's rolling scorecard (JSON), rewritten as ticks are scored. */
  candidateScores: string;
  /** The online learner's state (an `online` model artifact, JSON). */
  onlineModel: string;
  /** The re-anchor's lock; its value is the fencing token of the run holding it. */
  reanchorLock: string;
  /** Counter the fencing tokens come from (INCR): a newer run always holds a larger token. */
  reanchorFence: string;
  /** Stream of re-anchor requests the aggregator appends when it marks the book stale. */
  reanchorRequests: string;
  /** Temporary book keys a re-anchor builds before its atomic swap (same hash tag). */
  temporary(token: string): BookSideKeys;
  /** Where the swap moves the live book aside, to be freed off Redis' main thread (same hash tag). */
  retired(token: string): BookSideKeys;
}

/** The four keys of one copy of a book: the two sorted price sets and their quantity hashes. */
export interface BookSideKeys {
  bids: string;
  asks: string;
  bidQty: string;
  askQty: string;
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
    predictionScore: `pred:${tag}:score`,
    servingSwitches: `pred:${tag}:switches`,
    candidateScores: `pred:${tag}:candidates`,
    onlineModel: `model:${tag}:online`,
    reanchorLock: `reanchor:${tag}`,
    reanchorFence: `reanchor:${tag}:fence`,
    reanchorRequests: `reanchor:${tag}:requests`,
    temporary: (token) => ({
      bids: `ob:${tag}:tmp:${token}:bids`,
      asks: `ob:${tag}:tmp:${token}:asks`,
      bidQty: `ob:${tag}:tmp:${token}:bidqty`,
      askQty: `ob:${tag}:tmp:${token}:askqty`,
    }),
    retired: (token) => ({
      bids: `ob:${tag}:tmp:${token}:bids:retired`,
      asks: `ob:${tag}:tmp:${token}:asks:retired`,
      bidQty: `ob:${tag}:tmp:${token}:bidqty:retired`,
      askQty: `ob:${tag}:tmp:${token}:askqty:retired`,
    }),
  };
}
