/**
 * `npm run bench:replay [-- --hours 1,6 --workers 2 --part-hours 1]`: history replay at scale. For each
 * length, a synthetic history (npm run record, seed 1, one file per hour, each beginning at a REST
 * snapshot; generated once into /tmp/replay-bench/<h>h) is replayed through core/features in parts
 * of `--part-hours` (the unit a day-long history splits on: a day; shorter here so that a few hours
 * still make parts), once with one worker thread and once with `--workers`, each in its own process.
 * Prints one line per length:
 *   {"bench":"replay","marketHours","events","eventsPerS","peakRssMb","workers","speedupVsOneWorker",
 *    "cpuSeconds","oneWorker":{"eventsPerS","peakRssMb","seconds","cpuSeconds"},
 *    "projectedDaySecondsPerCore","projectedDayCpuSecondsPerCore","loadAverage":[before, after]}
 * `projectedDaySecondsPerCore`: 24 h of this market at the one-worker rate (wall clock);
 * `projectedDayCpuSecondsPerCore` the same from the CPU time the run took (all its threads), which
 * holds up when other processes share the machine; `loadAverage` says how busy it was. The synthetic
 * market makes about 290 lines/s (diffs every 20 ms with ~50 levels, bookTicker, trades): twice the
 * 2024 recording's lines and about eight times its level updates. A last line replays the 2024
 * recording (../shared/data, when present) in one worker and projects a day at its real rates:
 *   {"bench":"replay","recording":"2024","marketSeconds","cpuSeconds","projectedDayCpuSecondsPerCore"}
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
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

interface Run {
  events: number;
  seconds: number;
  cpuSeconds: number;
  marketSeconds: number;
  peakRssMb: number;
}

function run(source: string[], n: number, partHours = values['part-hours']): Run {
  const out = execFileSync(
    process.execPath,
    [...tsx, 'scripts/bench/replay-run.ts', ...source, '--workers', String(n), '--part-hours', partHours],
    { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.toString().trim().split('\n').at(-1) as string);
}

const load = () => Number((loadavg()[0] as number).toFixed(1));

for (const hours of values.hours.split(',').map(Number)) {
  const dir = history(hours);
  const loadBefore = load();
  const one = run(['--dir', dir], 1);
  // A history of one part has nothing to run in parallel: its figures are the one worker's.
  const parallel = hours / Number(values['part-hours']) >= 2;
  const many = parallel ? run(['--dir', dir], workers) : one;
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
      cpuSeconds: many.cpuSeconds,
      oneWorker: {
        eventsPerS: rate(one),
        peakRssMb: one.peakRssMb,
        seconds: one.seconds,
        cpuSeconds: one.cpuSeconds,
      },
      projectedDaySecondsPerCore: Math.round((one.seconds / hours) * 24),
      projectedDayCpuSecondsPerCore: Math.round((one.cpuSeconds / hours) * 24),
      loadAverage: [loadBefore, load()],
    })}\n`,
  );
}

// The real 2024 recording (10.8 min): the same replay at BTCUSDT's real rates, projected to a day.
const shared = new URL('../../../shared/data/depth/', import.meta.url).pathname;
const recording = [
  'spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
];
if (recording.every((f) => existsSync(shared + f))) {
  const loadBefore = load();
  // Three runs, the least CPU: start-up is a larger share of a short history, and the least is the
  // run the machine disturbed least.
  // One part (the session crosses midnight), replayed in this thread.
  const files = ['--files', recording.map((f) => shared + f).join(',')];
  const runs = [1, 2, 3].map(() => run(files, 0, '100000'));
  const best = runs.reduce((a, b) => (b.cpuSeconds < a.cpuSeconds ? b : a));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'replay',
      recording: '2024',
      events: best.events,
      marketSeconds: best.marketSeconds,
      seconds: best.seconds,
      cpuSeconds: best.cpuSeconds,
      projectedDayCpuSecondsPerCore: Math.round((best.cpuSeconds / best.marketSeconds) * 86_400),
      loadAverage: [loadBefore, load()],
    })}\n`,
  );
}
