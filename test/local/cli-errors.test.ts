/**
 * The command-line entry points fail as a user should see it: the real commands in child processes,
 * one line on stderr naming the problem (no stack trace, credentials redacted), a non-zero exit
 * code, and no temporary folder left behind.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_DB } from '../support/redis.ts';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the command left in its TMPDIR (tsx's own cache excluded). */
  leftInTmp: string[];
}

const scratch = mkdtempSync(join(tmpdir(), 'cli-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  // tsx keeps its transform cache in TMPDIR: one shared cache, so each child does not transform
  // the whole tree again.
  const cache = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  mkdirSync(cache, { recursive: true });
  symlinkSync(cache, join(tmp, `tsx-${process.getuid?.() ?? 0}`));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_OPTIONS: '--openssl-legacy-provider',
      TMPDIR: tmp,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const leftInTmp = readdirSync(tmp).filter((f) => !f.startsWith('tsx-'));
  return { code, stdout, stderr, leftInTmp };
}

/** The lines a user sees on stderr, without the pipeline's own `[info]`/`[warn]` log lines. */
const errorLines = (stderr: string) =>
  stderr.split('\n').filter((l) => l.trim() !== '' && !/^\[(info|warn|error)\]/.test(l));

/** A recording of `count` depth diffs, 100 ms apart, in the combined-stream line format. */
function depthLines(count: number): string[] {
  const t0 = 1_723_161_253_937;
  return Array.from({ length: count }, (_, i) => {
    const data = {
      e: 'depthUpdate',
      E: t0 + i * 100,
      s: 'BTCUSDT',
      U: 1000 + i * 2,
      u: 1001 + i * 2,
      b: [[`${61_737 + (i % 7)}.63000000`, '1.00000000']],
      a: [[`${61_837 + (i % 5)}.64000000`, '1.00000000']],
    };
    return `${(t0 + i * 100) * 1_000_000} ${JSON.stringify({ stream: 'btcusdt@depth@100ms', data })}`;
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.concurrent('command-line errors', { timeout: 120_000 }, () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('npm start --help prints the usage and exits 0', async () => {
    const r = await run('local/start.ts', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm start -- \[options\]/);
    expect(r.stdout).toContain('--duration <s>');
  });

  it('npm start with DASHBOARD_PORT=abc: one line naming the variable, exit 2', async () => {
    const r = await run('local/start.ts', ['--duration', '5'], { DASHBOARD_PORT: 'abc' });
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      'npm start: DASHBOARD_PORT=abc must be a TCP port number (0-65535) (npm start -- --help for the usage)',
    ]);
  });

  it('npm start with a DASHBOARD_PORT that is taken: an error, not another port', async () => {
    const r = await run('local/start.ts', ['--duration', '5'], { DASHBOARD_PORT: String(takenPort) });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `npm start: DASHBOARD_PORT ${takenPort} is taken by another process: free it or pick another port.`,
    ]);
  });

  it('npm start with a REDIS_URL nobody answers: one line, the password redacted, nothing left behind', async () => {
    const port = await closedPort();
    const r = await run('local/start.ts', ['--duration', '5'], {
      REDIS_URL: `redis://user:hunter2@127.0.0.1:${port}/1`,
      DASHBOARD_PORT: '0',
    });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `npm start: REDIS_URL redis://user:***@127.0.0.1:${port}/1 does not answer.`,
    ]);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
    expect(r.leftInTmp).toEqual([]);
  });

  it('npm start --source binance with no network: one line and exit 1, not 0 frames and exit 0', async () => {
    const port = await closedPort();
    const r = await run('local/start.ts', ['--duration', '5', '--source', 'binance'], {
      BINANCE_API_KEY: 'some-key',
      BINANCE_REST_URL: `http://127.0.0.1:${port}`,
      BINANCE_WS_URL: `ws://127.0.0.1:${port}`,
      DASHBOARD_PORT: '0',
    });
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `npm start: cannot reach Binance at http://127.0.0.1:${port} (ECONNREFUSED): --source binance needs network access.`,
    ]);
    expect(r.leftInTmp).toEqual([]);
  });

  it('npm run train with a --data path that does not exist: one line, exit 1', async () => {
    const r = await run('scripts/train.ts', ['--data', '/nonexistent']);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['npm run train: --data /nonexistent: no such file or directory.']);
  });

  it('npm run eval on a 10-line recording: says it is too short and how long it must be', async () => {
    const path = join(scratch, 'ten-lines.txt');
    writeFileSync(path, `${depthLines(10).join('\n')}\n`);
    const r = await run('scripts/eval.ts', ['--data', path]);
    expect(r.code).toBe(1);
    const [line, ...rest] = errorLines(r.stderr).filter((l) => !l.startsWith('[eval]'));
    expect(rest).toEqual([]);
    expect(line).toMatch(
      /^npm run eval: .*ten-lines\.txt is too short: 0 complete labelled rows, and a 4-fold walk-forward evaluation needs at least \d+ \(about [\d.]+ minutes of market data/,
    );
  });

  it('npm start on a truncated gzip recording: names the file and where it ends, stops with its summary', async () => {
    const path = join(scratch, 'truncated.txt.gz');
    const whole = gzipSync(`${depthLines(1000).join('\n')}\n`);
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const summaryPath = join(scratch, 'truncated-summary.json');
    const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redis.pathname = `/${REDIS_DB.cliErrors}`;
    const r = await run(
      'local/start.ts',
      ['--source', `replay:${path}`, '--speed', '10', '--duration', '600', '--summary', summaryPath],
      { REDIS_URL: redis.toString(), DASHBOARD_PORT: '0' },
    );
    expect(r.code).toBe(1);
    // One line naming the file, the line and the byte where it ends (Node's own warnings aside).
    const ours = errorLines(r.stderr).filter((l) => l.startsWith('npm start:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(
      /^npm start: .*truncated\.txt\.gz:\d+: cannot be read at byte \d+ \(unexpected end of file: a truncated or damaged file\?\)\.$/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // It stopped on the failure (long before --duration), and still wrote its summary.
    expect(existsSync(summaryPath)).toBe(true);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary.durationS).toBeLessThan(600);
    expect(summary.source).toBe(`replay:${path}`);
    expect(r.leftInTmp).toEqual([]);
  });
});
