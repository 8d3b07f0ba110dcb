/**
 * Children die with their parent. `npm start` runs `sh -c tsx …`, tsx runs node: `kill -9` of npm
 * (or of tsx) kills none of them, and the node process would go on holding the dashboard port, the
 * Redis key space and the database (Linux has no parent-death signal Node can set). So the run
 * watches its launch chain, from its parent up to the process that launched the npm script (the
 * first ancestor without npm's `npm_lifecycle_event` in its environment), and calls `onOrphaned`
 * once any of them is gone: a process of the chain whose parent changed (re-parented to init) means
 * the one above it died. Outside Linux (/proc absent) only the direct parent is watched.
 */
import { readFileSync } from 'node:fs';

/** How often the chain is looked at: a dead parent is noticed within a second. */
const CHECK_MS = 1000;
/** npm → sh → tsx → node is three levels; a wrapper or two more is fine. */
const MAX_DEPTH = 6;

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function launchedByNpmScript(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .some((v) => v.startsWith('npm_lifecycle_event='));
  } catch {
    return false;
  }
}

/** [pid, its parent] links from this process up to the launcher of the npm script. */
export function launchChain(): [pid: number, parent: number][] {
  const links: [number, number][] = [[process.pid, process.ppid]];
  let pid = process.ppid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1 && launchedByNpmScript(pid); depth++) {
    const parent = parentOf(pid);
    if (parent === undefined) break;
    links.push([pid, parent]);
    pid = parent;
  }
  return links;
}

/** Calls `onOrphaned` (once) when a process of the launch chain has died. Returns a stop function. */
export function watchParent(onOrphaned: (detail: string) => void): () => void {
  const hasProc = parentOf(process.pid) !== undefined;
  const links = hasProc ? launchChain() : [[process.pid, process.ppid] as [number, number]];
  const timer = setInterval(() => {
    for (const [pid, parent] of links) {
      const now = pid === process.pid ? process.ppid : parentOf(pid);
      if (now !== parent) {
        clearInterval(timer);
        onOrphaned(`process ${parent} (parent of ${pid}) is gone`);
        return;
      }
    }
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
