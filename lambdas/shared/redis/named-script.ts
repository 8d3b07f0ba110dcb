/**
 * A Lua script whose KEYS and fixed ARGV are named once, in one typed table: the script reads them
 * as `K.<name>` and `A.<name>` (a prelude binds each name to its position), and the caller passes
 * objects keyed by the same names, which `args` lays out in that order. Neither side counts
 * positions, so adding an argument is one line in the table. Variable-length arguments follow the
 * fixed ones: the script finds the first at `ARGV[FIXED + 1]`.
 */

export type ScriptArg = string | number | Buffer;

export interface NamedScriptSpec<K extends string, A extends string> {
  /** KEYS, in order. */
  readonly keys: readonly K[];
  /** The fixed ARGV, in order. */
  readonly args: readonly A[];
  /** The script, reading `K.<key>`, `A.<arg>`, and `ARGV[FIXED + i]` for the variable part. */
  readonly body: string;
}

export interface NamedScript<K extends string, A extends string> {
  /** Prelude and body, for `defineCommand`. */
  readonly lua: string;
  readonly numberOfKeys: number;
  /** KEYS then ARGV in the script's order, then `rest` (the variable part). */
  args(
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, ScriptArg>>,
    rest?: readonly ScriptArg[],
  ): ScriptArg[];
}

const LUA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function namedScript<const K extends string, const A extends string>(
  spec: NamedScriptSpec<K, A>,
): NamedScript<K, A> {
  for (const name of [...spec.keys, ...spec.args]) {
    if (!LUA_NAME.test(name)) throw new Error(`Script argument name '${name}' is not a Lua identifier.`);
  }
  const bind = (table: string, names: readonly string[]) =>
    `local ${table === 'KEYS' ? 'K' : 'A'} = {${names.map((n, i) => `${n} = ${table}[${i + 1}]`).join(', ')}}`;
  const lua = [
    bind('KEYS', spec.keys),
    bind('ARGV', spec.args),
    `local FIXED = ${spec.args.length}`,
    spec.body,
  ].join('\n');
  return {
    lua,
    numberOfKeys: spec.keys.length,
    args(keys, args, rest = []) {
      return [...spec.keys.map((name) => keys[name]), ...spec.args.map((name) => args[name]), ...rest];
    },
  };
}
