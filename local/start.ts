/**
 * `npm start`: the pipeline on one machine, offline, no AWS account. Runs until Ctrl-C, or for
 * --duration seconds, then writes the --summary JSON. See local/cli-options.ts for the flags.
 */
import { writeFileSync } from 'node:fs';
import { parseStartOptions, UsageError } from './cli-options.ts';
import { type Dashboard, startDashboard } from './dashboard/dashboard-server.ts';
import { LocalPipeline } from './local-pipeline.ts';
import { StatusLine } from './status-line.ts';

let options: ReturnType<typeof parseStartOptions>;
try {
  options = parseStartOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
  console.error(`npm start: ${error.message}`);
  console.error(
    'usage: npm start -- [--duration s] [--summary file.json] [--source sim|replay:<file>|binance] [--speed x|max] [--faults spec] [--symbols A,B] [--seed n] [--kinesis-delivery immediate|polling|fan-out] [--informed-flow off|on|<strength>]',
  );
  process.exit(2);
}

const log = (level: string, message: string, fields?: Record<string, unknown>) =>
  console.error(`[${level}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
const pipeline = new LocalPipeline(options, log, process.env.BINANCE_API_KEY);
const status = new StatusLine(pipeline, process.stderr);

let dashboard: Dashboard | undefined;
let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  status.stop();
  await dashboard?.close();
  log('info', `stopping (${reason}): flushing to Kinesis`);
  const flushed = await pipeline.stop();
  const summary = await pipeline.summary();
  if (options.summary) writeFileSync(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
  process.exit(flushed ? 0 : 1);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  await pipeline.start();
} catch (error) {
  log('error', `could not start: ${(error as Error).message}`);
  await pipeline.stop().catch(() => {});
  process.exit(1);
}
const where = pipeline.venue ? `local venue ${pipeline.venue.restUrl} (${options.source.kind})` : 'Binance';
dashboard = await startDashboard(pipeline, {
  symbol: options.symbols[0] as string,
  source: options.source.kind,
  port: process.env.DASHBOARD_PORT ? Number(process.env.DASHBOARD_PORT) : undefined,
});
log('info', `pipeline running against ${where}; Ctrl-C to stop`);
console.error(`\n  dashboard: ${dashboard.url}\n`);
status.start();
if (options.duration) setTimeout(() => void stop(`${options.duration} s elapsed`), options.duration * 1000);
