/**
 * `npm run cost -- -c env=dev|staging|prod [-c region=…]`: the monthly estimate of one environment,
 * per resource, from its synthesized templates (scripts/cost/). Prints a table and the total; prices
 * are ap-northeast-1's as of PRICES_DATE, and a `*` marks a line priced from an unverified figure.
 */
import { environmentConfigFromContext } from '../lib/config/environment-config.ts';
import { estimateMonthlyCost, totalUsd, UnknownPriceError } from './cost/estimate.ts';
import { PRICES_DATE, PRICES_REGION } from './cost/prices.ts';
import { synthTemplates } from './cost/synth-templates.ts';
import { BTCUSDT_USAGE } from './cost/usage.ts';

function contextOf(argv: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const pair = arg === '-c' || arg === '--context' ? argv[++i] : undefined;
    const match = pair ? /^([A-Za-z]+)=(.*)$/.exec(pair) : undefined;
    if (!match)
      throw new UnknownPriceError(`unexpected argument '${arg}': use -c env=dev|staging|prod [-c region=…]`);
    context[match[1] as string] = match[2] as string;
  }
  return context;
}

try {
  const context = contextOf(process.argv.slice(2));
  const config = environmentConfigFromContext((key) => context[key], process.env);
  const items = estimateMonthlyCost(synthTemplates(config), BTCUSDT_USAGE);
  const usd = (n: number) => `$${n.toFixed(2)}`;
  console.log(
    `Monthly estimate for ${config.prefix} (${config.region}); prices: ${PRICES_REGION}, ${PRICES_DATE}; usage: BTCUSDT (scripts/cost/usage.ts)`,
  );
  if (config.region !== PRICES_REGION)
    console.log(`note: the price table is ${PRICES_REGION}'s, not ${config.region}'s`);
  const width = Math.max(...items.map((i) => i.resource.length));
  for (const i of items) {
    console.log(
      `${usd(i.monthlyUsd).padStart(10)}${i.unverifiedPrice ? '*' : ' '} ${i.service.padEnd(20)} ${i.resource.padEnd(width)}  ${i.detail}`,
    );
  }
  console.log(`${usd(totalUsd(items)).padStart(10)}  total a month`);
  if (items.some((i) => i.unverifiedPrice)) {
    console.log('* priced from a figure not verified against the AWS pricing page (scripts/cost/prices.ts)');
  }
} catch (error) {
  if (!(error instanceof Error)) throw error;
  console.error(`npm run cost: ${error.message}`);
  process.exit(2);
}
