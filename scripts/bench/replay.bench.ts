/**
 * `npm run bench:replay [-- --hours 1,6 --workers 2 --part-hours 1]`: history replay at scale. For each
 * length, a synthetic history (npm run record, seed 1, one file per hour, each beginning at a REST
 * snapshot; generated once into /tmp/replay-bench/<h>h) is replayed through core/features in parts
 * of `--part-hours` (the unit a day-long history splits on: a day; shorter here so that a few hours
 * still make parts), once with one worker thread and once with `--workers`, each in its own process.
 * Prints one line per length:
 *   {"bench":"replay","marketHours","events","eventsPerS","peakRssMb","workers","speedupVsOneWorker",
 *    "oneWorker":{"eventsPerS","peakRssMb"},"projectedDaySecondsPerCore"}
 * `projectedDaySecondsPerCore`: 24 h of this market at the one-worker rate. The synthetic market
 * makes about 290 lines/s (diffs every 20 ms, bookTicker, trades), about twice the 2024 recording's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '1,6' },
    workers: { type: 'string', default: '2' },
    'part-hours': { type: 'string', default: '1' },
  },
});
const tsx = ['--import', 'tsx'];
const workers = Number(values.workers);

function history(hours: number): string {
  const dir = `/tmp/replay-bench/${hours}h`;
  if (!existsSync(dir) || readdirSync(dir).length < hours) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`[bench:replay] generating ${hours} h of synthetic market into ${dir}\n`);
    execFileSync(
      process.execPath,
      [
        ...tsx,
        'scripts/record.ts',
        '--duration',
        `${hours}h`,
        '--rotate',
        '1h',
        '--seed',
        '1',
        '--out',
        `${dir}/h.txt.gz`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return dir;
}

function run(dir: string, n: number): { events: number; seconds: number; peakRssMb: number } {
  const out = execFileSync(
    process.execPath,
    [
      ...tsx,
      'scripts/bench/replay-run.ts',
      '--dir',
      dir,
      '--workers',
      String(n),
      '--part-hours',
      values['part-hours'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.toString().trim().split('\n').at(-1) as string);
}

for (const hours of values.hours.split(',').map(Number)) {
  const dir = history(hours);
  const one = run(dir, 1);
  // A history of one part has nothing to run in parallel: its figures are the one worker's.
  const parallel = hours / Number(values['part-hours']) >= 2;
  const many = parallel ? run(dir, workers) : one;
  const rate = (r: { events: number; seconds: number }) => Math.round(r.events / r.seconds);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'replay',
      marketHours: hours,
      events: many.events,
      eventsPerS: rate(many),
      peakRssMb: many.peakRssMb,
      workers: parallel ? workers : 1,
      speedupVsOneWorker: parallel ? Number((one.seconds / many.seconds).toFixed(2)) : null,
      oneWorker: { eventsPerS: rate(one), peakRssMb: one.peakRssMb, seconds: one.seconds },
      projectedDaySecondsPerCore: Math.round((one.seconds / hours) * 24),
    })}\n`,
  );
}
