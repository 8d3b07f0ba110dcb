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
