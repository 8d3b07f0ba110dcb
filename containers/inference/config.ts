/** The inference service's configuration, parsed once at start-up (zod), failing fast with the name. */
import { z } from 'zod';
import {
  BRONZE_BUCKET,
  HTTP_HOST,
  HTTP_PORT,
  MODELS_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { awsVariables, parseEnvironment, symbolsVariable } from '../../lambdas/shared/runtime-config.ts';

const schema = z.object({
  [REDIS_URL]: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  [REDIS_AUTH_SECRET_ARN]: z.string().startsWith('arn:').optional(),
  [MODELS_BUCKET]: z.string().min(3),
  [BRONZE_BUCKET]: z.string().min(3),
  [SYMBOLS]: symbolsVariable,
  ...awsVariables,
  [HTTP_PORT]: z.coerce.number().int().min(0).max(65535).default(8080),
  [HTTP_HOST]: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
});

export function parseInferenceConfig(env: Record<string, string | undefined>) {
  return parseEnvironment(schema, env, 'inference configuration');
}
