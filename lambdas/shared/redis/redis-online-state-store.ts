/** OnlineStateStore on Redis: one JSON string per symbol at `model:{SYMBOL}:online`. */
import type { Redis } from 'ioredis';
import { symbolKeys } from '../../../core/hot-state/keys.ts';
import type { OnlineArtifact } from '../../../core/model/artifact.ts';
import type { OnlineStateStore } from '../../../core/model/online-state-store.ts';

export class RedisOnlineStateStore implements OnlineStateStore {
  constructor(private readonly redis: Redis) {}

  async load(symbol: string): Promise<unknown | undefined> {
    const text = await this.redis.get(symbolKeys(symbol).onlineModel);
    return text === null ? undefined : JSON.parse(text);
  }

  async save(symbol: string, artifact: OnlineArtifact): Promise<void> {
    await this.redis.set(symbolKeys(symbol).onlineModel, JSON.stringify(artifact));
  }
}
