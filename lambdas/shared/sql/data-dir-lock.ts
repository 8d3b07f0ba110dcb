/**
 * PGlite is never opened twice on one directory: two PGlite instances (two runs, or a run and the
 * trainer) writing one data directory corrupt it, since PGlite has no postmaster to refuse the
 * second. Opening takes `<dir>.lock`, created exclusively (O_EXCL) with the owner's pid and host;
 * a lock left by a dead pid on this host is taken over; closing removes it. Inside one process a
 * second open of the same directory is refused the same way.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pidAlive } from '../pid-alive.ts';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

const openHere = new Set<string>();

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  const path = `${dir}.lock`;
  const mine: Owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  if (openHere.has(dir)) {
    throw new DataDirLockedError(
      `The database directory ${dir} is already open in this process (pid ${process.pid}).`,
    );
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, text);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (attempt === 0 && owner && owner.host === mine.host && !pidAlive(owner.pid)) {
        // A dead run's lock: replace it atomically (a rename over it), then check we won.
        const mineTmp = `${path}.${process.pid}`;
        writeFileSync(mineTmp, text);
        renameSync(mineTmp, path);
        if (readOwner(path)?.pid === process.pid) break;
        continue;
      }
      const who = owner
        ? `the process with pid ${owner.pid} on ${owner.host} (since ${owner.startedAt})`
        : `another process (${path} exists)`;
      throw new DataDirLockedError(
        `The database directory ${dir} is open in ${who}. PGlite cannot share it: stop that run, or use another DATABASE_URL=pglite:<dir>.`,
      );
    }
  }
  openHere.add(dir);
  return {
    release() {
      openHere.delete(dir);
      if (readOwner(path)?.pid === process.pid) {
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
      }
    },
  };
}

function readOwner(path: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string'
      ? { pid: o.pid, host: o.host, startedAt: String(o.startedAt ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}
