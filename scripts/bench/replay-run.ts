/**
 * One measured replay for scripts/bench/replay.bench.ts (its own process, so peak RSS is its own):
 * `tsx scripts/bench/replay-run.ts --dir <history dir> | --files a,b --workers N --part-hours H` prints
 * {"events","rows","parts","seconds","cpuSeconds","marketSeconds","peakRssMb"}. `cpuSeconds` is the
 * process's CPU time over all its threads (workers, gunzip's thread pool): what the replay costs
 * whatever else the machine runs. Progress on stderr.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { planParts, progressLine, replayParts } from '../../containers/trainer/replay-parts.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    files: { type: 'string' },
    workers: { type: 'string' },
    'part-hours': { type: 'string' },
  },
});
const dir = values.dir;
const files = dir ? readdirSync(dir).map((f) => join(dir, f)) : (values.files ?? '').split(',');
const cpu0 = process.cpuUsage();
const parts = await planParts(files, Number(values['part-hours'] ?? 24) * 3_600_000_000);
let last = 0;
const result = await replayParts(parts, {
  workers: Number(values.workers ?? 1),
  source: dir ?? 'files',
  onProgress: (p) => {
    const now = performance.now();
    if (now - last < 2000) return;
    last = now;
    process.stderr.write(`${progressLine(p)}\n`);
  },
});
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    events: result.events,
    rows: result.dataset.rows.length,
    parts: parts.length,
    seconds: Number(result.seconds.toFixed(2)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    marketSeconds: Math.round(result.parts.reduce((a, p) => a + (p.marketUs[1] - p.marketUs[0]), 0) / 1e6),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
