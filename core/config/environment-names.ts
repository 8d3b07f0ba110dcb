/**
 * The names of the environment variables the runtime reads: the one place they are defined.
 *
 * CDK constructs (lib/) set them and the runtime's zod parsers (lambdas/, containers/, local/) read
 * them, both through these constants, so a rename cannot leave the two sides disagreeing. Pure
 * constants: nothing here reads the environment (core/ never touches it).
 */

/** Powertools for AWS Lambda: read by its Logger and Metrics, also on Fargate. */
export const POWERTOOLS_SERVICE_NAME = 'POWERTOOLS_SERVICE_NAME';
export const POWERTOOLS_METRICS_NAMESPACE = 'POWERTOOLS_METRICS_NAMESPACE';
export const POWERTOOLS_LOG_LEVEL = 'POWERTOOLS_LOG_LEVEL';

/** `--enable-source-maps` so stack traces point at the TypeScript sources. */
export const NODE_OPTIONS = 'NODE_OPTIONS';

/** Which deployment this process belongs to: `dev`, `staging`, `prod` or `local`. */
export const PIPELINE_ENV = 'PIPELINE_ENV';

/** AWS SDK v3 endpoint override (LocalStack, kinesalite, s3rver). Every client must honour it. */
export const AWS_ENDPOINT_URL = 'AWS_ENDPOINT_URL';
/** Set by Lambda and ECS; locally it falls back to the config default. */
export const AWS_REGION = 'AWS_REGION';

/** The symbols the pipeline follows, comma separated (`BTCUSDT`). */
export const SYMBOLS = 'SYMBOLS';

/** Kinesis stream names, one per SBE stream family. */
export const STREAM_TRADE = 'STREAM_TRADE';
export const STREAM_BESTBIDASK = 'STREAM_BESTBIDASK';
export const STREAM_DEPTH = 'STREAM_DEPTH';

/** S3 buckets: raw frames and REST responses (bronze), and model artifacts. */
export const BRONZE_BUCKET = 'BRONZE_BUCKET';
export const MODELS_BUCKET = 'MODELS_BUCKET';

/** Redis hot state: `rediss://host:port` in AWS, `redis://127.0.0.1:6379` locally. */
export const REDIS_URL = 'REDIS_URL';
/** Secrets Manager ARN of the Redis AUTH token (JSON `{ "token": "…" }`); unset locally. */
export const REDIS_AUTH_SECRET_ARN = 'REDIS_AUTH_SECRET_ARN';

/** Aurora PostgreSQL through the RDS Data API. */
export const DB_CLUSTER_ARN = 'DB_CLUSTER_ARN';
export const DB_SECRET_ARN = 'DB_SECRET_ARN';
export const DB_NAME = 'DB_NAME';
/** A plain PostgreSQL URL, used instead of the Data API locally (pg or PGlite). */
export const DATABASE_URL = 'DATABASE_URL';

/** Binance endpoints (the local venue's URLs locally) and the Ed25519 API key. */
export const BINANCE_WS_URL = 'BINANCE_WS_URL';
export const BINANCE_REST_URL = 'BINANCE_REST_URL';
/** Secrets Manager ARN of the Binance API key (JSON `{ "apiKey": "…", "privateKeyPem": "…" }`). */
export const BINANCE_API_KEY_SECRET_ARN = 'BINANCE_API_KEY_SECRET_ARN';
/** The API key itself, only for local runs (never set in AWS). */
export const BINANCE_API_KEY = 'BINANCE_API_KEY';

/** Port of a container's HTTP endpoints (/health, /metrics); the ECS health check calls it. */
export const HTTP_PORT = 'HTTP_PORT';
/**
 * Address a container's HTTP server binds. Loopback by default: the ECS health check runs inside
 * the task, and nothing outside it needs these endpoints; `0.0.0.0` exposes them (then restrict the
 * security group).
 */
export const HTTP_HOST = 'HTTP_HOST';

/** The Lambda the gap detector invokes to rebuild a book. */
export const REANCHOR_FUNCTION_NAME = 'REANCHOR_FUNCTION_NAME';

/** REST poller: its share of Binance's 6,000/min request weight (0-1; the re-anchor uses the rest). */
export const REST_WEIGHT_SHARE = 'REST_WEIGHT_SHARE';
/** REST poller: a depth snapshot every N runs, and its limit (weight 5/25/50/250). */
export const REST_DEPTH_EVERY_RUNS = 'REST_DEPTH_EVERY_RUNS';
export const REST_DEPTH_LIMIT = 'REST_DEPTH_LIMIT';
/** REST poller: how far back a poller without a checkpoint starts (ms). */
export const REST_INITIAL_LOOKBACK_MS = 'REST_INITIAL_LOOKBACK_MS';
/** Gap detector: exchange-time silence of the depth stream that counts as a gap (ms). */
export const GAP_DEPTH_SILENCE_MS = 'GAP_DEPTH_SILENCE_MS';
/** Gap detector: relative tolerance of streamed vs kline volume per minute. */
export const GAP_VOLUME_TOLERANCE = 'GAP_VOLUME_TOLERANCE';

/** The trainer's data source (`--data` spec: recordings, a bronze directory, postgres:// or pglite:). */
export const TRAINER_DATA = 'TRAINER_DATA';
/** A local directory used as the model store when MODELS_BUCKET is unset (the S3 layout under it). */
export const MODEL_STORE_DIR = 'MODEL_STORE_DIR';
/** Days the history replay array job covers (its array size), ending yesterday (UTC). */
export const REPLAY_DAYS = 'REPLAY_DAYS';
/** The child's index in an AWS Batch array job (set by Batch). */
export const AWS_BATCH_JOB_ARRAY_INDEX = 'AWS_BATCH_JOB_ARRAY_INDEX';

/** Every name above, for tests that check nothing is set outside this module. */
export const ENVIRONMENT_NAMES = [
  POWERTOOLS_SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL,
  NODE_OPTIONS,
  PIPELINE_ENV,
  AWS_ENDPOINT_URL,
  AWS_REGION,
  SYMBOLS,
  STREAM_TRADE,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  BRONZE_BUCKET,
  MODELS_BUCKET,
  REDIS_URL,
  REDIS_AUTH_SECRET_ARN,
  DB_CLUSTER_ARN,
  DB_SECRET_ARN,
  DB_NAME,
  DATABASE_URL,
  BINANCE_WS_URL,
  BINANCE_REST_URL,
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_API_KEY,
  HTTP_PORT,
  HTTP_HOST,
  REANCHOR_FUNCTION_NAME,
  REST_WEIGHT_SHARE,
  REST_DEPTH_EVERY_RUNS,
  REST_DEPTH_LIMIT,
  REST_INITIAL_LOOKBACK_MS,
  GAP_DEPTH_SILENCE_MS,
  GAP_VOLUME_TOLERANCE,
  TRAINER_DATA,
  MODEL_STORE_DIR,
  REPLAY_DAYS,
  AWS_BATCH_JOB_ARRAY_INDEX,
] as const;

export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
