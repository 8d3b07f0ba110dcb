/** The REST poller's environment: zod, parsed once at start-up, failing fast with the variable's name. */
import { z } from 'zod';
import {
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  REST_DEPTH_EVERY_RUNS,
  REST_DEPTH_LIMIT,
  REST_INITIAL_LOOKBACK_MS,
  REST_WEIGHT_SHARE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { BINANCE_REST_API_URL } from '../../core/market/venue-endpoints.ts';
import { awsVariables, parseEnvironment, symbolsVariable } from '../shared/runtime-config.ts';

export const restPollerEnvironment = z.object({
  [BRONZE_BUCKET]: z.string().min(3),
  [BINANCE_REST_URL]: z.url().default(BINANCE_REST_API_URL),
  [SYMBOLS]: symbolsVariable,
  // The IP's shared REST budget and Retry-After gate live in Redis, beside the re-anchor's (ADR 0075).
  [REDIS_URL]: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  [REDIS_AUTH_SECRET_ARN]: z.string().startsWith('arn:').optional(),
  // Half of the IP's 6,000/min: the re-anchor's 250-weight snapshots need the other half in a storm.
  [REST_WEIGHT_SHARE]: z.coerce.number().gt(0).max(1).default(0.5),
  [REST_DEPTH_EVERY_RUNS]: z.coerce.number().int().min(1).default(5),
  [REST_DEPTH_LIMIT]: z.coerce.number().int().min(1).max(5000).default(1000),
  [REST_INITIAL_LOOKBACK_MS]: z.coerce.number().int().min(0).default(3_600_000),
  ...awsVariables,
});

export type RestPollerEnvironment = z.infer<typeof restPollerEnvironment>;

export function parseRestPollerEnvironment(env: Record<string, string | undefined>): RestPollerEnvironment {
  return parseEnvironment(restPollerEnvironment, env);
}
