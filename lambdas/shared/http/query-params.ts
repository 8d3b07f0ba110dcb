/**
 * Query parameters validated with zod before they reach any logic: every number bounded, every
 * problem answered with 400 and a sentence naming the parameter, never a 500 from deeper down.
 */
import { z } from 'zod';

/** An optional integer parameter within [min, max], written in decimal digits. */
export function integerParam(min: number, max: number) {
  const range = `an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^-?\d{1,16}$/, `must be ${range}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${range}`).max(max, `must be ${range}`))
    .optional();
}

export type QueryResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses `params` with `schema` (an object of optional string parameters); unknown names are ignored. */
export function parseQuery<T extends z.ZodType>(schema: T, params: URLSearchParams): QueryResult<z.infer<T>> {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) raw[k] = v;
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const message = result.error.issues
    .map((i) => {
      const name = i.path.join('.');
      return `${name} ${i.message}${name in raw ? `, got '${raw[name]}'` : ''}`;
    })
    .join('; ');
  return { ok: false, message: `Bad query: ${message}.` };
}
