/** The inference service's configuration, parsed once at start-up (zod), failing fast with the name. */
import { z } from 'zod';
import {
  AWS_ENDPOINT_URL,
  AWS_REGION,
  BRONZE_BUCKET,
  HTTP_PORT,
  MODELS_BUCKET,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';

const schema = z.object({
  [REDIS_URL]: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
  [REDIS_AUTH_SECRET_ARN]: z.string().startsWith('arn:').optional(),
  [MODELS_BUCKET]: z.string().min(3),
  [BRONZE_BUCKET]: z.string().min(3),
  [SYMBOLS]: z
    .string()
    .default('BTCUSDT')
    .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()))
    .pipe(z.array(z.string().regex(/^[A-Z0-9]{2,20}$/)).min(1)),
  [AWS_REGION]: z.string().default('ap-northeast-1'),
  [AWS_ENDPOINT_URL]: z.url().optional(),
  [HTTP_PORT]: z.coerce.number().int().min(0).max(65535).default(8080),
});

export class InferenceConfigError extends Error {
  override readonly name = 'InferenceConfigError';
}

export function parseInferenceConfig(env: Record<string, string | undefined>) {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new InferenceConfigError(
    `Invalid inference configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}
