/** The gap detector's environment: zod, parsed once at start-up, failing fast with the variable's name. */
import { z } from 'zod';
import {
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  GAP_DEPTH_SILENCE_MS,
  GAP_VOLUME_TOLERANCE,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { BINANCE_REST_API_URL } from '../../core/market/venue-endpoints.ts';
import { awsVariables, parseEnvironment, symbolsVariable } from '../shared/runtime-config.ts';

export const gapDetectorEnvironment = z.object({
  [BRONZE_BUCKET]: z.string().min(3),
  [REDIS_URL]: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  [REDIS_AUTH_SECRET_ARN]: z.string().startsWith('arn:').optional(),
  [REANCHOR_FUNCTION_NAME]: z.string().min(1),
  [BINANCE_REST_URL]: z.url().default(BINANCE_REST_API_URL),
  [SYMBOLS]: symbolsVariable,
  // The rule: no depth event for more than 5 s of exchange time is a gap.
  [GAP_DEPTH_SILENCE_MS]: z.coerce.number().int().min(100).default(5_000),
  [GAP_VOLUME_TOLERANCE]: z.coerce.number().min(0).max(1).default(0),
  ...awsVariables,
});

export type GapDetectorEnvironment = z.infer<typeof gapDetectorEnvironment>;

export function parseGapDetectorEnvironment(env: Record<string, string | undefined>): GapDetectorEnvironment {
  return parseEnvironment(gapDetectorEnvironment, env);
}
