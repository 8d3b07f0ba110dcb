/**
 * `npm run bench:scale`: how the local pipeline's cost grows with the number of symbols. For each
 * count in SCALE_SYMBOLS (default 1,10), `npm start` runs the synthetic market with that many symbols
 * (BTCUSDT, then SYM1USDT, SYM2USDT…) for SCALE_SECONDS (default 60) at 1x, then this reads its
 * summary and Redis: the process' CPU per symbol, Kinesis records and bytes per symbol per second,
 * Redis memory per symbol (every key of the symbol, MEMORY USAGE), exchange → Redis P50/P99 and each
 * service thread's utilization. Prints one JSON line per count. Redis: SCALE_REDIS_URL (default
 * database 9 on 127.0.0.1:6379, which no test uses).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunSummary } from '../../local/run-summary.ts';

const counts = (process.env.SCALE_SYMBOLS ?? '1,10').split(',').map(Number);
const seconds = Number(process.env.SCALE_SECONDS ?? 60);
const redisUrl = process.env.SCALE_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const repoRoot = join(import.meta.dirname, '../..');

const symbolsOf = (n: number) => ['BTCUSDT', ...Array.from({ length: n - 1 }, (_, i) => `SYM${i + 1}USDT`)];

/** The run's summary, and whether it stopped cleanly (everything flushed and drained within its deadline). */
async function run(symbols: string[]): Promise<{ summary: RunSummary; drained: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'scale-'));
  const summaryPath = join(dir, 's.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/start.ts',
      '--duration',
      String(seconds),
      '--summary',
      summaryPath,
      '--symbols',
      symbols.join(','),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_OPTIONS: '--openssl-legacy-provider',
        REDIS_URL: redisUrl,
        MODEL_STORE_DIR: join(dir, 'models'),
        DASHBOARD_PORT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A run that could not drain its backlog by the stop still wrote what it measured: that is a result.
  if (!existsSync(summaryPath))
    throw new Error(`npm start with ${symbols.length} symbols exited ${code}: ${stderr}`);
  return { summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary, drained: code === 0 };
}

async function redisBytes(redis: Redis, symbol: string): Promise<number> {
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*{${symbol}}*`, 'COUNT', 1000);
    for (const key of keys) bytes += (await redis.memory('USAGE', key)) ?? 0;
    cursor = next;
  } while (cursor !== '0');
  return bytes;
}

const redis = new Redis(redisUrl);
for (const n of counts) {
  const symbols = symbolsOf(n);
  const { summary: s, drained } = await run(symbols);
  const perSymbolBytes = await Promise.all(symbols.map((sym) => redisBytes(redis, sym)));
  const wallS = s.resources?.wallS ?? seconds;
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(
    JSON.stringify({
      bench: 'scale',
      symbols: n,
      runS: wallS,
      framesPerS: round(s.frames.received / wallS, 1),
      cpuCores: s.resources?.cores ?? null,
      cpuCoresPerSymbol: s.resources ? round(s.resources.cores / n, 3) : null,
      kinesisRecordsPerSymbolPerS: round(s.kinesis.recordsPut / n / wallS),
      kinesisBytesPerSymbolPerS: Math.round(s.kinesis.bytesPut / n / wallS),
      redisBytesPerSymbol: Math.round(perSymbolBytes.reduce((a, b) => a + b, 0) / n),
      exchangeToRedisP50: s.latencyMs.exchangeToRedisP50,
      exchangeToRedisP99: s.latencyMs.exchangeToRedisP99,
      threadUtilization: Object.fromEntries(
        Object.entries(s.eventLoopDelayMs).map(([name, d]) => [name, d.utilization]),
      ),
      mismatches: s.book.mismatches,
      drained,
      maxRssMb: s.resources?.maxRssMb ?? null,
    }),
  );
}
redis.disconnect();
