/**
 * GapSignals on Redis (core/hot-state/keys.ts): `ob:{S}:meta` (stale, staleSinceUs, eventTimeUs,
 * receivedEventTimeUs, updateId, reanchors, reanchoredAtUs), `bba:{S}` eventTimeUs, and the `reanchor:{S}:requests`
 * stream the aggregator appends to when it marks the book stale (typed fields:
 * core/hot-state/reanchor-request.ts). One pipeline, one round trip.
 */
import type { Redis } from 'ioredis';
import { symbolKeys } from '../../core/hot-state/keys.ts';
import { reanchorRequestFromFields } from '../../core/hot-state/reanchor-request.ts';
import type { GapSignals, GapSignalsSnapshot } from './ports.ts';

/** Requests read per run: far above what one minute produces (one per gap, then the book is stale). */
const MAX_REQUESTS = 1000;

const num = (v: string | null | undefined) =>
  v === null || v === undefined || v === '' ? undefined : Number(v);

export class RedisGapSignals implements GapSignals {
  constructor(private readonly redis: Redis) {}

  async read(symbol: string, afterId: string): Promise<GapSignalsSnapshot> {
    const k = symbolKeys(symbol);
    const results = await this.redis
      .pipeline()
      .hgetall(k.meta)
      .hget(k.bestBidAsk, 'eventTimeUs')
      .xrange(k.reanchorRequests, `(${afterId}`, '+', 'COUNT', MAX_REQUESTS)
      .exec();
    if (!results) throw new Error(`Redis returned no results for ${symbol}'s gap signals.`);
    for (const [error] of results) if (error) throw error;
    const meta = (results[0]?.[1] ?? {}) as Record<string, string>;
    const bba = results[1]?.[1] as string | null;
    const entries = (results[2]?.[1] ?? []) as [string, string[]][];
    const snapshot: GapSignalsSnapshot = {
      meta: { reanchors: num(meta.reanchors) ?? 0 },
      requests: entries.map(([id, fields]) => reanchorRequestFromFields(id, fields)),
    };
    if (meta.stale) snapshot.meta.stale = meta.stale;
    const fields = {
      staleSinceUs: meta.staleSinceUs,
      eventTimeUs: meta.eventTimeUs,
      receivedEventTimeUs: meta.receivedEventTimeUs,
      updateId: meta.updateId,
      reanchoredAtUs: meta.reanchoredAtUs,
    };
    for (const [name, value] of Object.entries(fields)) {
      const n = num(value);
      if (n !== undefined) (snapshot.meta as unknown as Record<string, number>)[name] = n;
    }
    const bbaTime = num(bba);
    if (bbaTime !== undefined) snapshot.bestBidAskEventTimeUs = bbaTime;
    return snapshot;
  }
}
