import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import type { Failure } from '../errors.js';

/**
 * PIDs of every process inside each of the named network namespaces, found
 * in one pass over /proc (what `ip netns pids` does, for all names at once).
 */
export async function namespacePids(names: readonly string[]): Promise<Map<string, number[]>> {
  const byInode = new Map<string, string>();
  for (const name of names) {
    try {
      byInode.set(String((await stat(`/run/netns/${name}`)).ino), name);
    } catch {
      // not there: no processes
    }
  }
  const out = new Map<string, number[]>(names.map((n) => [n, []]));
  if (byInode.size === 0) return out;
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const link = await readlink(`/proc/${pid}/ns/net`).catch(() => '');
    const m = /^net:\[(\d+)\]$/.exec(link);
    const name = m ? byInode.get(m[1] as string) : undefined;
    if (name) out.get(name)?.push(pid);
  }
  return out;
}

/**
 * Kills every process in the given namespaces: SIGTERM, a short grace, then
 * SIGKILL. Returns the ones that would not die.
 */
export async function killNamespaceProcesses(names: readonly string[], graceMs = 300): Promise<Failure[]> {
  const found = await namespacePids(names);
  let pids = [...found.values()].flat();
  if (pids.length === 0) return [];
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    pids = pids.filter(alive);
    if (pids.length === 0) return [];
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const pid of pids) signal(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive).map((pid) => ({ what: `process ${pid}`, error: 'still alive after SIGKILL' }));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Whether a process exists and is not a zombie (a zombie is dead, only not reaped yet). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Start time of a process (field 22 of /proc/PID/stat), to tell a recorded PID from a reused one. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19];
  } catch {
    return undefined;
  }
}
