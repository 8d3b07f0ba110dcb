/**
 * `npm start`: the pipeline on one machine, offline, no AWS account. Runs until Ctrl-C, or for
 * --duration seconds, then writes the --summary JSON. See local/cli-options.ts for the flags.
 * Every failure to start is one line on stderr (credentials redacted) and a non-zero exit, with
 * whatever had started stopped and its temporary folders removed.
 */
import { writeFileSync } from 'node:fs';
import { redactCredentials } from '../core/config/redact.ts';
import { EXIT_FAILURE, EXIT_USAGE, exitWithFailure } from './cli-errors.ts';
import {
  parseStartEnvironment,
  parseStartOptions,
  START_USAGE,
  type StartEnvironment,
  UsageError,
  wantsHelp,
} from './cli-options.ts';
import { assertPortFree, type Dashboard, startDashboard } from './dashboard/dashboard-server.ts';
import { watchParent } from './parent-watch.ts';
import { StatusLine } from './status-line.ts';

const COMMAND = 'npm start';
const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  console.log(START_USAGE);
  process.exit(0);
}
let options: ReturnType<typeof parseStartOptions>;
let environment: StartEnvironment;
try {
  options = parseStartOptions(argv);
  environment = parseStartEnvironment(process.env);
} catch (error) {
  if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
  exitWithFailure(COMMAND, new Error(`${error.message} (npm start -- --help for the usage)`), EXIT_USAGE);
}

// A port the user asked for that is taken fails now, before the (slow) import of the whole pipeline.
if (environment.DASHBOARD_PORT)
  await assertPortFree(environment.DASHBOARD_PORT).catch((e) => exitWithFailure(COMMAND, e));
const { LocalPipeline } = await import('./local-pipeline.ts');

const log = (level: string, message: string, fields?: Record<string, unknown>) =>
  console.error(redactCredentials(`[${level}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`));
const pipeline = new LocalPipeline(options, log, process.env.BINANCE_API_KEY);
const status = new StatusLine(pipeline, process.stderr);

let dashboard: Dashboard | undefined;
let stopping = false;
/** `failure`: why the run cannot go on (said in one line after the summary; the exit is non-zero). */
async function stop(reason: string, failure?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  status.stop();
  await dashboard?.close();
  log('info', `stopping (${reason}): flushing to Kinesis`);
  const flushed = await pipeline.stop();
  const summary = await pipeline.summary();
  if (options.summary) writeFileSync(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
  if (failure) {
    console.error(`${COMMAND}: ${redactCredentials(failure)}`);
    process.exit(EXIT_FAILURE);
  }
  if (summary.frames.received === 0) {
    // A run that saw no market data checked nothing: that is a failure, whatever else went well.
    console.error(
      `${COMMAND}: no market data was received from ${summary.source} in ${summary.durationS} s.`,
    );
    process.exit(EXIT_FAILURE);
  }
  if (!flushed) console.error(`${COMMAND}: not everything received was flushed and drained before the stop.`);
  process.exit(flushed ? 0 : EXIT_FAILURE);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
// kill -9 of npm (or tsx) leaves this process behind: stop with them, freeing the port, Redis and the database.
watchParent((detail) => {
  log('warn', `the launching process exited (${detail}): stopping`);
  void stop('launcher exited');
});

async function failStart(error: unknown): Promise<never> {
  await dashboard?.close().catch(() => {});
  await pipeline.stop().catch(() => {});
  // What ran before the failure (a recording that breaks while the venue reads it) is still reported.
  const summary = options.summary ? await pipeline.summary().catch(() => undefined) : undefined;
  if (options.summary && summary) writeFileSync(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
  exitWithFailure(COMMAND, error);
}

try {
  dashboard = await startDashboard(pipeline, {
    symbol: options.symbols[0] as string,
    source: options.source.kind,
    port: environment.DASHBOARD_PORT,
  });
  await pipeline.start();
} catch (error) {
  await failStart(error);
}
const where = pipeline.venue ? `local venue ${pipeline.venue.restUrl} (${options.source.kind})` : 'Binance';
log('info', `pipeline running against ${where}; Ctrl-C to stop`);
console.error(`\n  dashboard: ${dashboard?.url}\n`);
status.start();
// A market source that fails (a truncated recording) ends the run now, not at its duration.
pipeline.venue?.marketEnded.catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  log('error', `the market source failed: ${message}`);
  void stop('the market source failed', `the market source failed: ${message}`);
});
if (options.duration) setTimeout(() => void stop(`${options.duration} s elapsed`), options.duration * 1000);
