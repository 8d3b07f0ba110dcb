/**
 * CLI: `tsx local/venue/main.ts --port 9443 --source sim --faults drop-diff:every=500`.
 *   --port N            (default 9443; 0 = any free port)
 *   --host H            (default 127.0.0.1)
 *   --source S          sim | replay:<file>[,<file>…]   (default sim)
 *   --seed N            synthetic market and fault seed (default 1)
 *   --informed-flow F   synthetic market's informed flow: off | on | <strength in (0, 1)> (default on)
 *   --speed X           1, 10, … or max                 (default 1)
 *   --faults SPEC       see README.md
 *   --api-keys K1,K2    accepted X-MBX-APIKEY values (default: any non-empty key)
 *   --lifetime-ms N     connection lifetime (default 24 h)
 *   --ping-ms N         server ping interval (default 20 s)
 * Prints one JSON line with the URLs once listening; SIGINT/SIGTERM close it and print the stats.
 */
import { VenueConfigError } from './errors.ts';
import type { Speed } from './market-pump.ts';
import { type SourceOptions, startVenue, type VenueOptions } from './server.ts';
import { type InformedFlowParams, parseInformedFlow } from './sources/informed-flow.ts';

const FLAGS = [
  'port',
  'host',
  'source',
  'seed',
  'informed-flow',
  'speed',
  'faults',
  'api-keys',
  'lifetime-ms',
  'ping-ms',
];

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !FLAGS.includes(name)) {
      throw new VenueConfigError(
        `Unknown argument '${flag}' (known: ${FLAGS.map((f) => `--${f}`).join(' ')}).`,
      );
    }
    const value = argv[++i];
    if (value === undefined) throw new VenueConfigError(`${flag} needs a value.`);
    out.set(name, value);
  }
  return out;
}

function num(args: Map<string, string>, name: string): number | undefined {
  const v = args.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new VenueConfigError(`--${name} ${v} is not a number.`);
  return n;
}

export function optionsFromArgs(argv: string[]): VenueOptions {
  const args = parseArgs(argv);
  const speedText = args.get('speed') ?? '1';
  const speed: Speed = speedText === 'max' ? 'max' : Number(speedText);
  const seed = num(args, 'seed') ?? 1;
  const sourceText = args.get('source') ?? 'sim';
  let source: SourceOptions;
  const flowText = args.get('informed-flow');
  let informedFlow: InformedFlowParams | false | undefined;
  try {
    informedFlow = flowText === undefined ? undefined : parseInformedFlow(flowText);
  } catch (e) {
    throw new VenueConfigError(`--informed-flow: ${(e as Error).message}`);
  }
  if (sourceText === 'sim')
    source = { kind: 'sim', seed, speed, ...(informedFlow === undefined ? {} : { model: { informedFlow } }) };
  else if (sourceText.startsWith('replay:'))
    source = { kind: 'replay', path: sourceText.slice(7).split(','), speed };
  else throw new VenueConfigError(`--source ${sourceText} is neither 'sim' nor 'replay:<file>[,<file>]'.`);
  const options: VenueOptions = { port: num(args, 'port') ?? 9443, source, faultSeed: seed };
  const host = args.get('host');
  if (host) options.host = host;
  const faults = args.get('faults');
  if (faults) options.faults = faults;
  const keys = args.get('api-keys');
  if (keys) options.apiKeys = keys.split(',');
  const lifetime = num(args, 'lifetime-ms');
  if (lifetime !== undefined) options.connectionLifetimeMs = lifetime;
  const ping = num(args, 'ping-ms');
  if (ping !== undefined) options.pingIntervalMs = ping;
  return options;
}

async function main(): Promise<void> {
  const venue = await startVenue(optionsFromArgs(process.argv.slice(2)));
  console.log(
    JSON.stringify({
      venue: 'listening',
      wsUrl: venue.wsUrl,
      restUrl: venue.restUrl,
      symbols: venue.symbols,
    }),
  );
  const stop = async () => {
    await venue.close();
    console.log(
      JSON.stringify({ venue: 'closed', stats: venue.stats(), faults: venue.injectedFaults.length }),
    );
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  });
}
