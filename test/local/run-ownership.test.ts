/**
 * One owner per state: a run's Redis key space and its PGlite directory are locked with a message
 * naming the other run's pid, released on exit, taken over from a dead pid; and a run dies with the
 * process that launched it (`kill -9` of npm must not leave node running). Real Redis, real files,
 * real processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../lambdas/shared/sql/data-dir-lock.ts';
import { PgliteSqlClient } from '../../lambdas/shared/sql/pglite-sql-client.ts';
import { KeySpaceLockedError, keySpaceLockKey, lockKeySpace } from '../../local/redis-key-space-lock.ts';
import { testRedis, uniqueSymbol } from '../support/redis.ts';

const redis = testRedis();
const symbol = uniqueSymbol();
const dirs: string[] = [];
const REPO = fileURLToPath(new URL('../..', import.meta.url));

afterAll(async () => {
  await redis.del(keySpaceLockKey(symbol));
  redis.disconnect();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The pid of a process that has exited (so a lock it held is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid as number;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('Redis key-space lock', () => {
  it("refuses a second run naming the first one's pid, frees on release, and takes over a dead pid's lock", async () => {
    const first = await lockKeySpace(redis, [symbol], 'redis://127.0.0.1:6379/0');
    const second = await lockKeySpace(redis, [symbol], 'redis://127.0.0.1:6379/0').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(KeySpaceLockedError);
    expect((second as Error).message).toContain(`pid ${process.pid}`);
    expect((second as Error).message).toContain('REDIS_URL');
    await first.release();
    expect(await redis.exists(keySpaceLockKey(symbol))).toBe(0);

    // A run killed with -9 left its lock: its pid is dead on this host, so it is taken over at once.
    await redis.set(
      keySpaceLockKey(symbol),
      JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: 'earlier' }),
      'PX',
      15_000,
    );
    const taken = await lockKeySpace(redis, [symbol], 'redis://127.0.0.1:6379/0');
    expect(JSON.parse((await redis.get(keySpaceLockKey(symbol))) as string).pid).toBe(process.pid);
    await taken.release();
  });
});

describe('PGlite directory lock', () => {
  it('never opens one directory twice (same process or another live one); a dead pid’s lock is taken over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pglite-lock-'));
    dirs.push(dir);
    const data = join(dir, 'db');
    // Opened once in this process (the lock PgliteSqlClient.open takes before PGlite starts).
    const held = lockDataDir(data);
    await expect(PgliteSqlClient.open(data)).rejects.toThrow(DataDirLockedError);
    held.release();
    expect(existsSync(`${data}.lock`)).toBe(false);

    // Another live process holds it.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(
        `${data}.lock`,
        JSON.stringify({ pid: holder.pid, host: hostname(), startedAt: 'now' }),
      );
      await expect(PgliteSqlClient.open(data)).rejects.toThrow(new RegExp(`pid ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
      await exited(holder);
    }
    // That process is dead now: its lock is taken over.
    const lock = lockDataDir(data);
    lock.release();
    expect(existsSync(`${data}.lock`)).toBe(false);
  });
});

describe('a run dies with its launcher', () => {
  it('stops when the npm-like launcher above it is killed with -9', async () => {
    // launcher (like npm, no npm_lifecycle_event) → sh (like `sh -c tsx …`) → node (the run).
    const script = join(REPO, 'test/support/parent-watch-child.ts');
    const launcher = spawn(
      'sh',
      ['-c', `npm_lifecycle_event=start sh -c '"${process.execPath}" --import tsx "${script}"'; sleep 60`],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    launcher.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    // Wait until the run is watching (it prints its pid).
    for (let i = 0; i < 600 && !/watching (\d+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(/watching (\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    launcher.kill('SIGKILL');
    // The run notices within a second or so and exits by itself.
    let alive = true;
    for (let i = 0; i < 300 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 90_000);
});
