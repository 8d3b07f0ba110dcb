/**
 * One measured replay for scripts/bench/replay.bench.ts (its own process, so peak RSS is its own):
 * `tsx scripts/bench/replay-run.ts --dir <history dir> --workers N --part-hours H` prints
 * {"events","rows","seconds","peakRssMb"}. Progress on stderr.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { planParts, progressLine, replayParts } from '../../containers/trainer/replay-parts.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, workers: { type: 'string' }, 'part-hours': { type: 'string' } },
});
const dir = values.dir as string;
const files = readdirSync(dir).map((f) => join(dir, f));
const parts = await planParts(files, Number(values['part-hours'] ?? 24) * 3_600_000_000);
let last = 0;
const result = await replayParts(parts, {
  workers: Number(values.workers ?? 1),
  source: dir,
  onProgress: (p) => {
    const now = performance.now();
    if (now - last < 2000) return;
    last = now;
    process.stderr.write(`${progressLine(p)}\n`);
  },
});
process.stdout.write(
  `${JSON.stringify({
    events: result.events,
    rows: result.dataset.rows.length,
    parts: parts.length,
    seconds: Number(result.seconds.toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
