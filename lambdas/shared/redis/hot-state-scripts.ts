/**
 * Lua scripts of the hot state (docs/adr/0003-redis-hot-state.md). They hold no market rules (those
 * are in core/): only compare-and-set on the version the caller planned on, and the writes. Every
 * key a script touches shares the symbol's hash tag, so they run on a cluster too.
 */

/**
 * Depth batch. KEYS: 1 meta, 2 bids, 3 asks, 4 bidqty, 5 askqty, 6 diffs, 7 features, 8 featstate,
 * 9 reanchor requests, 10 trade state.
 * ARGV: 1 expectedVersion, 2 updateId, 3 lastEventTimeUs, 4 nBid, 5 nAsk, 6 nLog, 7 staleReason
 * ('' none), 8 staleDetail, 9 featuresJson ('' none), 10 featureStateJson ('' none), 11 checks,
 * 12 mismatches, 13 diffLogMaxLen, 14 nowUs, 15 cachedTradeVersion, 16 receivedEventTimeUs (the
 * newest diff received, applied or not: meta `receivedEventTimeUs`, the gap detector's evidence
 * that the depth stream flows while the book is stale), then nBid (price, qty) pairs, nAsk pairs,
 * nLog (U, u, frame) triples.
 * Returns {1|0 (applied | conflict), version, epoch, updateId, stale, tradeVersion, tradeState|false}:
 * the trade state only when its version differs from the caller's.
 */
export const APPLY_DEPTH = `
local n_bid, n_ask, n_log = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local base = 16
local log_at = base + 2 * n_bid + 2 * n_ask
-- Every diff is logged, applied or not: a re-anchor replays them.
for k = 0, n_log - 1 do
  local i = log_at + 3 * k
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[13], '*', 'U', ARGV[i + 1], 'u', ARGV[i + 2], 'f', ARGV[i + 3])
end
if ARGV[16] ~= '0' then
  local seen = tonumber(redis.call('HGET', KEYS[1], 'receivedEventTimeUs') or '0')
  if tonumber(ARGV[16]) > seen then redis.call('HSET', KEYS[1], 'receivedEventTimeUs', ARGV[16]) end
end
local trade = redis.call('HMGET', KEYS[10], 'version', 'state')
local trade_version = trade[1] or '0'
local trade_state = false
if trade_version ~= ARGV[15] then trade_state = trade[2] or false end
local m = redis.call('HMGET', KEYS[1], 'version', 'epoch', 'updateId', 'stale')
local version, epoch, update_id, stale = m[1] or '0', m[2] or '0', m[3] or '0', m[4] or ''
if version ~= ARGV[1] then
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
apply_side(KEYS[2], KEYS[4], base, n_bid)
apply_side(KEYS[3], KEYS[5], base + 2 * n_bid, n_ask)
local new_version = tostring(tonumber(version) + 1)
redis.call('HSET', KEYS[1], 'version', new_version, 'updateId', ARGV[2])
if ARGV[3] ~= '0' then redis.call('HSET', KEYS[1], 'eventTimeUs', ARGV[3], 'appliedAtUs', ARGV[14]) end
if ARGV[11] ~= '0' then redis.call('HINCRBY', KEYS[1], 'checks', ARGV[11]) end
if ARGV[12] ~= '0' then redis.call('HINCRBY', KEYS[1], 'mismatches', ARGV[12]) end
if ARGV[7] ~= '' then
  stale = ARGV[7]
  redis.call('HSET', KEYS[1], 'stale', stale, 'staleSinceUs', ARGV[14])
  redis.call('XADD', KEYS[9], 'MAXLEN', '~', '1000', '*', 'reason', stale, 'detail', ARGV[8], 'atUs', ARGV[14])
end
if ARGV[9] ~= '' then redis.call('SET', KEYS[7], ARGV[9]) end
if ARGV[10] ~= '' then redis.call('SET', KEYS[8], ARGV[10]) end
return {1, new_version, epoch, ARGV[2], stale, trade_version, trade_state}
`;

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
 * The re-anchor's atomic swap. KEYS: 1 meta, 2 bids, 3 asks, 4 bidqty, 5 askqty, 6-9 the temporary
 * bids, asks, bidqty, askqty, 10 diffs, 11 lock, 12 feature state. ARGV: 1 fencing token, 2 id of the
 * last diff-log entry replayed ('0-0' if none), 3 updateId, 4 eventTimeUs, 5 nowUs, 6 the feature
 * state advanced through the replayed diffs ('' leaves it: the aggregator was feeding it).
 * Returns {1, epoch, µs the script ran by Redis' clock} swapped; {0, lastLogId} when diffs arrived
 * after the replay (catch up, retry); {-1} when the lock is no longer ours (a newer re-anchor must win). Live keys are replaced by
 * RENAME, never cleared first: a reader sees the old book or the new one, nothing in between.
 * The retired keys share the hash tag (they are derived from the temporary ones).
 */
export const SWAP_BOOK = `
local started = redis.call('TIME')
if redis.call('GET', KEYS[11]) ~= ARGV[1] then return {-1} end
local newest = redis.call('XREVRANGE', KEYS[10], '+', '-', 'COUNT', 1)
local newest_id = '0-0'
if #newest > 0 then newest_id = newest[1][1] end
if newest_id ~= ARGV[2] then return {0, newest_id} end
for i = 0, 3 do
  local tmp, live = KEYS[6 + i], KEYS[2 + i]
  -- RENAME over the live key would free the old book inside this script (milliseconds for 5000
  -- levels); moving it aside and UNLINKing frees it on Redis' background thread instead.
  local retired = tmp .. ':retired'
  if redis.call('EXISTS', live) == 1 then redis.call('RENAME', live, retired) end
  if redis.call('EXISTS', tmp) == 1 then
    redis.call('RENAME', tmp, live)
    -- Temporary keys expire in case their re-anchor dies; the live book must not.
    redis.call('PERSIST', live)
  end
  redis.call('UNLINK', retired)
end
local m = redis.call('HMGET', KEYS[1], 'version', 'epoch')
local version = tonumber(m[1] or '0') + 1
local epoch = tonumber(m[2] or '0') + 1
redis.call('HSET', KEYS[1], 'version', version, 'epoch', epoch, 'updateId', ARGV[3], 'reanchoredAtUs', ARGV[5])
if ARGV[4] ~= '0' then redis.call('HSET', KEYS[1], 'eventTimeUs', ARGV[4]) end
redis.call('HDEL', KEYS[1], 'stale', 'staleSinceUs')
redis.call('HINCRBY', KEYS[1], 'reanchors', 1)
if ARGV[6] ~= '' then redis.call('SET', KEYS[12], ARGV[6]) end
redis.call('DEL', KEYS[11])
local ended = redis.call('TIME')
return {1, tostring(epoch), (ended[1] - started[1]) * 1000000 + (ended[2] - started[2])}
`;

/** Deletes the lock only if it still holds our token. KEYS: 1 lock. ARGV: 1 token. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
