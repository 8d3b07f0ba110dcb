/**
 * Lua scripts of the hot state (docs/adr/0003-redis-hot-state.md). They hold no market rules (those
 * are in core/): only compare-and-set on the version the caller planned on, and the writes. Every
 * key a script touches shares the symbol's hash tag, so they run on a cluster too.
 */
import { namedScript } from './named-script.ts';

/**
 * Depth batch. Every diff is logged (a re-anchor replays them), the newest received event time is
 * kept (`receivedEventTimeUs`: the gap detector's evidence that the depth stream flows while the book
 * is stale), then, if the book is still at `expectedVersion`, the level changes are applied and the
 * meta, checks and features written; a stale mark appends a typed re-anchor request
 * (core/hot-state/reanchor-request.ts). Variable part: `bidCount` (price, qty) pairs, `askCount`
 * pairs, `logCount` (U, u, frame) triples.
 * Returns {1|0 (applied | conflict), version, epoch, updateId, stale, tradeVersion, tradeState|false}:
 * the trade state only when its version differs from `cachedTradeVersion`.
 */
export const APPLY_DEPTH = namedScript({
  keys: [
    'meta',
    'bids',
    'asks',
    'bidQty',
    'askQty',
    'diffs',
    'features',
    'featureState',
    'reanchorRequests',
    'tradeState',
  ],
  args: [
    'expectedVersion',
    'updateId',
    'lastEventTimeUs',
    'bidCount',
    'askCount',
    'logCount',
    /** '' when the batch does not mark the book stale. */
    'staleReason',
    'staleExpectedId',
    'staleReceivedId',
    'staleDetail',
    /** '' leaves the features as they are. */
    'featuresJson',
    'featureStateJson',
    'checks',
    'mismatches',
    'diffLogMaxLen',
    'nowUs',
    'cachedTradeVersion',
    /** The newest diff received, applied or not; '0' when the batch had none. */
    'receivedEventTimeUs',
  ],
  body: `
local n_bid, n_ask, n_log = tonumber(A.bidCount), tonumber(A.askCount), tonumber(A.logCount)
local log_at = FIXED + 2 * n_bid + 2 * n_ask
for k = 0, n_log - 1 do
  local i = log_at + 3 * k
  redis.call('XADD', K.diffs, 'MAXLEN', '~', A.diffLogMaxLen, '*', 'U', ARGV[i + 1], 'u', ARGV[i + 2], 'f', ARGV[i + 3])
end
if A.receivedEventTimeUs ~= '0' then
  local seen = tonumber(redis.call('HGET', K.meta, 'receivedEventTimeUs') or '0')
  if tonumber(A.receivedEventTimeUs) > seen then redis.call('HSET', K.meta, 'receivedEventTimeUs', A.receivedEventTimeUs) end
end
local trade = redis.call('HMGET', K.tradeState, 'version', 'state')
local trade_version = trade[1] or '0'
local trade_state = false
if trade_version ~= A.cachedTradeVersion then trade_state = trade[2] or false end
local m = redis.call('HMGET', K.meta, 'version', 'epoch', 'updateId', 'stale')
local version, epoch, update_id, stale = m[1] or '0', m[2] or '0', m[3] or '0', m[4] or ''
if version ~= A.expectedVersion then
  return {0, version, epoch, update_id, stale, trade_version, trade_state}
end
local function apply_side(zset, qty, from, n)
  for k = 0, n - 1 do
    local p, q = ARGV[from + 2 * k + 1], ARGV[from + 2 * k + 2]
    if q == '0' then
      redis.call('ZREM', zset, p)
      redis.call('HDEL', qty, p)
    else
      redis.call('ZADD', zset, p, p)
      redis.call('HSET', qty, p, q)
    end
  end
end
apply_side(K.bids, K.bidQty, FIXED, n_bid)
apply_side(K.asks, K.askQty, FIXED + 2 * n_bid, n_ask)
local new_version = tostring(tonumber(version) + 1)
redis.call('HSET', K.meta, 'version', new_version, 'updateId', A.updateId)
if A.lastEventTimeUs ~= '0' then redis.call('HSET', K.meta, 'eventTimeUs', A.lastEventTimeUs, 'appliedAtUs', A.nowUs) end
if A.checks ~= '0' then redis.call('HINCRBY', K.meta, 'checks', A.checks) end
if A.mismatches ~= '0' then redis.call('HINCRBY', K.meta, 'mismatches', A.mismatches) end
if A.staleReason ~= '' then
  stale = A.staleReason
  redis.call('HSET', K.meta, 'stale', stale, 'staleSinceUs', A.nowUs)
  redis.call('XADD', K.reanchorRequests, 'MAXLEN', '~', '1000', '*', 'reason', stale, 'expectedId', A.staleExpectedId,
    'receivedId', A.staleReceivedId, 'detail', A.staleDetail, 'atUs', A.nowUs)
end
if A.featuresJson ~= '' then redis.call('SET', K.features, A.featuresJson) end
if A.featureStateJson ~= '' then redis.call('SET', K.featureState, A.featureStateJson) end
return {1, new_version, epoch, A.updateId, stale, trade_version, trade_state}
`,
});

/** The fields of each trade-window hash, in the order ARGV carries them. */
export const TRADE_WINDOW_FIELDS = [
  'count',
  'volume',
  'buyVolume',
  'sellVolume',
  'vwap',
  'last',
  'high',
  'low',
  'asOfUs',
] as const;

/**
 * Trade batch. KEYS: 1 trade state, 2… one hash per window. ARGV: 1 expectedVersion, 2 version,
 * 3 stateJson, then per window the TRADE_WINDOW_FIELDS values. Returns {1, version} or
 * {0, currentVersion} on conflict.
 */
export const APPLY_TRADES = `
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return {0, current} end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
local names = {${TRADE_WINDOW_FIELDS.map((f) => `'${f}'`).join(', ')}}
for w = 2, #KEYS do
  local args = {}
  for f = 1, #names do
    args[#args + 1] = names[f]
    args[#args + 1] = ARGV[3 + (w - 2) * #names + f]
  end
  redis.call('HSET', KEYS[w], unpack(args))
end
return {1, ARGV[2]}
`;

/**
 * Best bid/ask as reported, newest id wins (ids may jump: Binance culls stale events).
 * KEYS: 1 bba. ARGV: bookUpdateId, eventTimeUs, bidPrice, bidQty, askPrice, askQty, priceExponent,
 * qtyExponent. Returns 1 if written, 0 if older than what is there.
 */
export const APPLY_BEST_BID_ASK = `
local current = tonumber(redis.call('HGET', KEYS[1], 'bookUpdateId') or '-1')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'bookUpdateId', ARGV[1], 'eventTimeUs', ARGV[2], 'bidPrice', ARGV[3],
  'bidQty', ARGV[4], 'askPrice', ARGV[5], 'askQty', ARGV[6], 'priceExponent', ARGV[7], 'qtyExponent', ARGV[8])
return 1
`;

/**
 * A consistent read of the top of the book: KEYS 1 meta, 2 bids, 3 asks, 4 bidqty, 5 askqty;
 * ARGV 1 depth. Returns {updateId, epoch, stale, eventTimeUs, {bid p, q, …}, {ask p, q, …}}.
 */
export const READ_BOOK_TOP = `
local m = redis.call('HMGET', KEYS[1], 'updateId', 'epoch', 'stale', 'eventTimeUs')
local n = tonumber(ARGV[1]) - 1
local function side(prices, qty)
  local out = {}
  for _, p in ipairs(prices) do
    out[#out + 1] = p
    out[#out + 1] = redis.call('HGET', qty, p)
  end
  return out
end
return {m[1] or '0', m[2] or '0', m[3] or '', m[4] or '0',
  side(redis.call('ZREVRANGE', KEYS[2], 0, n), KEYS[4]), side(redis.call('ZRANGE', KEYS[3], 0, n), KEYS[5])}
`;

/**
 * The re-anchor's atomic swap. Checks the lock still holds `token` ({-1} if not: a newer re-anchor
 * must win) and that no diff arrived after `lastLogId`, the last diff-log entry replayed ('0-0' if
 * none; {0, newest id} if one did: catch up, retry); then moves each live book key aside and renames
 * the temporary one over it, bumps version and epoch, clears the stale mark, writes the feature state
 * advanced through the replay (`featureStateJson`; '' leaves it: the aggregator was feeding it) and
 * releases the lock. Returns {1, epoch, µs the script ran by Redis' clock}.
 * Live keys are replaced by RENAME, never cleared first: a reader sees the old book or the new one,
 * nothing in between. RENAME over the live key would free the old book inside this script
 * (milliseconds for 5000 levels), so the old book is moved aside (`retired*`, with a TTL) and the
 * caller UNLINKs it once it has the reply: freeing it on Redis' background thread from inside the
 * script kept a core busy while the reply was on its way (the swap's round-trip tail on 2 cores).
 */
export const SWAP_BOOK = namedScript({
  keys: [
    'meta',
    'bids',
    'asks',
    'bidQty',
    'askQty',
    'tmpBids',
    'tmpAsks',
    'tmpBidQty',
    'tmpAskQty',
    'retiredBids',
    'retiredAsks',
    'retiredBidQty',
    'retiredAskQty',
    'diffs',
    'reanchorLock',
    'featureState',
  ],
  args: ['token', 'lastLogId', 'updateId', 'eventTimeUs', 'nowUs', 'featureStateJson', 'retiredTtlMs'],
  body: `
local started = redis.call('TIME')
if redis.call('GET', K.reanchorLock) ~= A.token then return {-1} end
local newest = redis.call('XREVRANGE', K.diffs, '+', '-', 'COUNT', 1)
local newest_id = '0-0'
if #newest > 0 then newest_id = newest[1][1] end
if newest_id ~= A.lastLogId then return {0, newest_id} end
for _, side in ipairs({
  {K.bids, K.tmpBids, K.retiredBids}, {K.asks, K.tmpAsks, K.retiredAsks},
  {K.bidQty, K.tmpBidQty, K.retiredBidQty}, {K.askQty, K.tmpAskQty, K.retiredAskQty},
}) do
  local live, tmp, retired = side[1], side[2], side[3]
  if redis.call('EXISTS', live) == 1 then
    redis.call('RENAME', live, retired)
    -- Freed after the reply (BookAnchoring.dropRetired); expires by itself if nobody does.
    redis.call('PEXPIRE', retired, A.retiredTtlMs)
  end
  if redis.call('EXISTS', tmp) == 1 then
    redis.call('RENAME', tmp, live)
    -- Temporary keys expire in case their re-anchor dies; the live book must not.
    redis.call('PERSIST', live)
  end
end
local m = redis.call('HMGET', K.meta, 'version', 'epoch')
local version = tonumber(m[1] or '0') + 1
local epoch = tonumber(m[2] or '0') + 1
redis.call('HSET', K.meta, 'version', version, 'epoch', epoch, 'updateId', A.updateId, 'reanchoredAtUs', A.nowUs)
if A.eventTimeUs ~= '0' then redis.call('HSET', K.meta, 'eventTimeUs', A.eventTimeUs) end
redis.call('HDEL', K.meta, 'stale', 'staleSinceUs')
redis.call('HINCRBY', K.meta, 'reanchors', 1)
if A.featureStateJson ~= '' then redis.call('SET', K.featureState, A.featureStateJson) end
redis.call('DEL', K.reanchorLock)
local ended = redis.call('TIME')
return {1, tostring(epoch), (ended[1] - started[1]) * 1000000 + (ended[2] - started[2])}
`,
});

/** Deletes the lock only if it still holds our token. KEYS: 1 lock. ARGV: 1 token. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
