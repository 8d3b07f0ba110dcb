/** The ingestor's configuration, parsed once from the environment at start-up (fails fast, naming the variable). */
import { z } from 'zod';
import {
  BINANCE_API_KEY,
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_WS_URL,
  HTTP_HOST,
  HTTP_PORT,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { STREAM_TABLE } from '../../core/market/streams.ts';
import { BINANCE_SBE_WS_URL } from '../../core/market/venue-endpoints.ts';
import { awsVariables, parseEnvironment, symbolsVariable } from '../../lambdas/shared/runtime-config.ts';

const schema = z
  .object({
    [BINANCE_WS_URL]: z.url().default(BINANCE_SBE_WS_URL),
    [BINANCE_API_KEY]: z.string().min(1).optional(),
    [BINANCE_API_KEY_SECRET_ARN]: z.string().startsWith('arn:').optional(),
    [SYMBOLS]: symbolsVariable,
    [STREAM_TRADE]: z.string().default(STREAM_TABLE.trade.kinesisBaseName),
    [STREAM_BESTBIDASK]: z.string().default(STREAM_TABLE.bestbidask.kinesisBaseName),
    [STREAM_DEPTH]: z.string().default(STREAM_TABLE.depth.kinesisBaseName),
    ...awsVariables,
    [HTTP_PORT]: z.coerce.number().int().min(0).max(65535).default(8080),
    [HTTP_HOST]: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
  })
  .refine((env) => env[BINANCE_API_KEY] || env[BINANCE_API_KEY_SECRET_ARN], {
    message: `Set ${BINANCE_API_KEY} (local runs) or ${BINANCE_API_KEY_SECRET_ARN} (AWS): Binance SBE streams require an API key.`,
  });

export type IngestorConfig = z.infer<typeof schema>;

export { ConfigError } from '../../lambdas/shared/runtime-config.ts';

export function parseIngestorConfig(env: Record<string, string | undefined>): IngestorConfig {
  return parseEnvironment(schema, env, 'ingestor configuration');
}
