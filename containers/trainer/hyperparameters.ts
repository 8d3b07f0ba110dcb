/**
 * Training hyperparameters: defaults chosen before looking at any test span (small data: a small,
 * regularised network and early stopping), overridable by SageMaker's hyperparameters.json (every
 * value arrives as a string there, hence the coercion) or the command line.
 */
import { z } from 'zod';

const units = z.union([
  z.array(z.coerce.number().int().positive()),
  z.string().transform((s, ctx) => {
    const parts = s.split(',').map((p) => Number(p.trim()));
    if (parts.some((n) => !Number.isInteger(n) || n <= 0)) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a comma-separated list of positive integers` });
      return z.NEVER;
    }
    return parts;
  }),
]);

export const hyperparametersSchema = z.object({
  /** Hidden layer widths; the output layer (1 unit, linear) is added. */
  hiddenUnits: units.default([32, 16]),
  activation: z.enum(['relu', 'tanh', 'elu']).default('relu'),
  learningRate: z.coerce.number().positive().default(1e-3),
  batchSize: z.coerce.number().int().positive().default(32),
  maxEpochs: z.coerce.number().int().positive().default(300),
  /** Epochs without a better validation loss before stopping (the best weights are kept). */
  patience: z.coerce.number().int().positive().default(25),
  l2: z.coerce.number().nonnegative().default(1e-3),
  dropout: z.coerce.number().min(0).max(0.9).default(0.1),
  seed: z.coerce.number().int().default(1),
  clipZ: z.coerce.number().positive().default(5),
  trainFraction: z.coerce.number().gt(0).lt(1).default(0.6),
  validationFraction: z.coerce.number().gt(0).lt(1).default(0.2),
  /** Gap between segments; at least the 10 s label horizon. */
  purgeUs: z.coerce.number().int().positive().default(10_000_000),
  /** Walk-forward folds of `npm run eval`. */
  folds: z.coerce.number().int().positive().default(4),
  minHeldOutRows: z.coerce.number().int().positive().default(30),
});

export type Hyperparameters = z.infer<typeof hyperparametersSchema>;

export class HyperparameterError extends Error {
  override readonly name = 'HyperparameterError';
}

export function parseHyperparameters(input: unknown): Hyperparameters {
  const r = hyperparametersSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  throw new HyperparameterError(
    `Invalid hyperparameters: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
  );
}
