/**
 * The aggregator composed once: the hot-state store on a Redis connection, the WASM decoder and the
 * Kinesis handler, used by the Lambda entry point (index.ts) and by the local runtime's aggregator
 * thread, so both run the same wiring.
 */
import type { Redis } from 'ioredis';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { RedisHotState } from '../shared/redis/redis-hot-state.ts';
import { Aggregator } from './aggregator.ts';
import { type AggregatorHandlerDeps, createAggregatorHandler } from './handler.ts';

export interface AggregatorComposition extends Omit<AggregatorHandlerDeps, 'aggregator'> {
  redis: Redis;
  /** Where the decoder's module is (a bundle ships it beside the handler). @default the repository's build */
  wasmUrl?: URL;
}

const wallClockUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

export function composeAggregator(o: AggregatorComposition) {
  const { redis, wasmUrl, ...deps } = o;
  const aggregator = new Aggregator(new RedisHotState(redis), new WasmSbeDecoder(wasmUrl), wallClockUs);
  return createAggregatorHandler({ aggregator, ...deps });
}
