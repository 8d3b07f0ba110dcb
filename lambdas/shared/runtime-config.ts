/** Environment parsing shared by the Lambda handlers: zod, parsed once, failing fast with the name. */
import { z } from 'zod';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BINANCE_REST_URL,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { BINANCE_REST_API_URL, SYMBOL_PATTERN } from '../../core/market/venue-endpoints.ts';

/** `SYMBOLS` (or `--symbols`): comma-separated, upper-cased, at least one, each like BTCUSDT. */
export const symbolsVariable = z
  .string()
  .default('BTCUSDT')
  .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()))
  .pipe(z.array(z.string().regex(SYMBOL_PATTERN, 'a symbol like BTCUSDT')).min(1));

/** Region (Binance answers fastest from Tokyo) and the endpoint override of LocalStack or the emulators. */
export const awsVariables = {
  [AWS_REGION]: z.string().default('ap-northeast-1'),
  [AWS_ENDPOINT_URL]: z.url().optional(),
};

export const lambdaEnvironment = z.object({
  [REDIS_URL]: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  [REDIS_AUTH_SECRET_ARN]: z.string().startsWith('arn:').optional(),
  [REANCHOR_FUNCTION_NAME]: z.string().min(1).optional(),
  [BINANCE_REST_URL]: z.url().default(BINANCE_REST_API_URL),
  [SYMBOLS]: symbolsVariable,
  ...awsVariables,
});

export type LambdaEnvironment = z.infer<typeof lambdaEnvironment>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The environment parsed with `schema` (defaults applied), or a ConfigError that names every bad
 * variable at once: each Lambda and container parses its variables this way, once, at start-up.
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  what = 'configuration',
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
  throw new ConfigError(`Invalid ${what}: ${problems.join('; ')}`);
}

export function parseLambdaEnvironment(env: Record<string, string | undefined>): LambdaEnvironment {
  return parseEnvironment(lambdaEnvironment, env);
}
