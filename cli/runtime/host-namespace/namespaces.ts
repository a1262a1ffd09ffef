import { readdir, readlink, stat } from 'node:fs/promises';
import type { Failure } from '../../errors.js';
import { run } from '../../util/exec.js';
import { ipBatch } from '../../kernel/ip-batch.js';
import { alive } from '../../util/processes.js';

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

/** Names of the host's named network namespaces (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const r = await run(['ip', '-j', 'netns', 'list'], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  try {
    return (JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name);
  } catch {
    return r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  }
}

/** Removes named namespaces that exist, their processes first (nothing outlives its node). Not-found counts as done. */
export async function removeNamespaces(names: readonly string[]): Promise<Failure[]> {
  if (names.length === 0) return [];
  const existing = new Set(await listNamespaces());
  const present = names.filter((n) => existing.has(n));
  const failures = await killNamespaceProcesses(present);
  for (const f of await ipBatch(present.map((n) => `netns del ${n}`))) failures.push({ what: f.command, error: f.message });
  return failures;
}
