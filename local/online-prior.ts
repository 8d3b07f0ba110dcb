/**
 * The online learner's warm start for a local session on the default synthetic market: an `online`
 * artifact (local/models/online-prior-synthetic.json) the learner built over two hours of that market
 * on a seed no session or benchmark uses by default, written by
 * `npm run bench:forecast -- --seed 1001 --save-online local/models/online-prior-synthetic.json`.
 * The learner starts from it instead of from nothing and keeps learning; the champion rule serves it
 * only once its live record earns it (docs/adr/0121-online-warm-start.md). Any other market (the
 * informed flow off or at another strength, a replay, Binance) starts cold: the prior would be wrong.
 */
import { readFile } from 'node:fs/promises';
import type { InformedFlowParams } from './venue/sources/informed-flow.ts';

export const SYNTHETIC_ONLINE_PRIOR = new URL('./models/online-prior-synthetic.json', import.meta.url);

/** The prior's parsed JSON for a synthetic market with this informed-flow setting, else undefined. */
export async function syntheticOnlinePrior(
  informedFlow: InformedFlowParams | false | undefined,
): Promise<unknown> {
  const isDefault =
    informedFlow === undefined || (informedFlow !== false && Object.keys(informedFlow).length === 0);
  if (!isDefault) return undefined;
  return JSON.parse(await readFile(SYNTHETIC_ONLINE_PRIOR, 'utf8'));
}
