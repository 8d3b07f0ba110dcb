/**
 * `npm start` flags (the command contract): --duration <s>, --summary <file.json>,
 * --source sim|replay:<file>|binance, --speed <x|max>, --faults <spec>, --symbols <A,B>, --seed <n>,
 * --kinesis-delivery immediate|polling|fan-out (the aggregator's event source, as in AWS),
 * --informed-flow off|on|<strength> (the synthetic market's, local/venue/sources/informed-flow.ts).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { symbolsVariable } from '../lambdas/shared/runtime-config.ts';
import { type InformedFlowParams, parseInformedFlow } from './venue/sources/informed-flow.ts';

/** `replay:<file>[,<file>…]`: recordings played in order (a session split across files). */
export type SourceChoice = { kind: 'sim' } | { kind: 'replay'; path: string[] } | { kind: 'binance' };

const schema = z.object({
  duration: z.coerce.number().positive().optional(),
  summary: z.string().min(1).optional(),
  source: z
    .string()
    .default('sim')
    .transform((s, ctx): SourceChoice => {
      if (s === 'sim' || s === 'binance') return { kind: s };
      if (s.startsWith('replay:') && s.length > 'replay:'.length) {
        return { kind: 'replay', path: s.slice('replay:'.length).split(',') };
      }
      ctx.addIssue({ code: 'custom', message: `expected sim, replay:<file> or binance, got "${s}"` });
      return z.NEVER;
    }),
  speed: z
    .string()
    .default('1')
    .transform((s, ctx) => {
      if (s === 'max') return 'max' as const;
      const n = Number(s);
      if (Number.isFinite(n) && n > 0) return n;
      ctx.addIssue({ code: 'custom', message: `expected a positive number or max, got "${s}"` });
      return z.NEVER;
    }),
  faults: z.string().optional(),
  symbols: symbolsVariable,
  seed: z.coerce.number().int().default(1),
  'kinesis-delivery': z.enum(['immediate', 'polling', 'fan-out']).default('immediate'),
  'informed-flow': z
    .string()
    .optional()
    .transform((s, ctx): InformedFlowParams | false | undefined => {
      if (s === undefined) return undefined;
      try {
        return parseInformedFlow(s);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
});

export type StartOptions = z.infer<typeof schema>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const START_USAGE = `usage: npm start -- [options]
  --duration <s>                      stop after s seconds and write the summary (default: until Ctrl-C)
  --summary <file.json>               write the run summary there
  --source sim|replay:<file>[,<file>]|binance
                                      the market: synthetic (default), a recording, or live Binance
  --speed <x|max>                     market speed for sim and replay (default 1)
  --faults <spec>                     fault injection, e.g. drop-diff:every=300,disconnect:at=25s
  --symbols <A,B>                     symbols (default BTCUSDT)
  --seed <n>                          seed of the synthetic market and the faults (default 1)
  --kinesis-delivery immediate|polling|fan-out
                                      how the aggregator's event source reads Kinesis (default immediate)
  --informed-flow off|on|<strength>   the synthetic market's informed flow
  -h, --help                          print this and exit
environment: REDIS_URL, DATABASE_URL (postgres://… or pglite:<dir>), DASHBOARD_PORT (default 8787,
  any free port if taken; an explicit port must be free), MODEL_STORE_DIR, BINANCE_API_KEY`;

/** `--help` asked for: print START_USAGE and exit 0. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** The environment `npm start` reads, checked before anything starts (one line naming the variable). */
const environmentSchema = z.object({
  DASHBOARD_PORT: z.coerce
    .number({ message: 'must be a TCP port number (0-65535)' })
    .int('must be a TCP port number (0-65535)')
    .min(0, 'must be a TCP port number (0-65535)')
    .max(65535, 'must be a TCP port number (0-65535)')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/\S+|pglite:.+)$/, 'must be postgres://… or pglite:<dir>')
    .optional(),
});

export type StartEnvironment = z.infer<typeof environmentSchema>;

export function parseStartEnvironment(env: Record<string, string | undefined>): StartEnvironment {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const result = environmentSchema.safeParse(present);
  if (result.success) return result.data;
  throw new UsageError(
    result.error.issues
      .map((i) => `${i.path.join('.')}=${String(present[i.path[0] as string])} ${i.message}`)
      .join('; '),
  );
}

export function parseStartOptions(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      summary: { type: 'string' },
      source: { type: 'string' },
      speed: { type: 'string' },
      faults: { type: 'string' },
      symbols: { type: 'string' },
      seed: { type: 'string' },
      'kinesis-delivery': { type: 'string' },
      'informed-flow': { type: 'string' },
    },
  });
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
}
