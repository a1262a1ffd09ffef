import { readdir, readFile } from 'node:fs/promises';
import { namespacePids } from '../../cli/runtime/host-namespace/namespaces.js';

/** The machine's used memory: MemTotal − MemAvailable (bytes), what `free` calls used plus unreclaimable caches. */
export async function usedMemory(): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

/** Proportional set size of a process (bytes; smaps_rollup Pss), 0 if it is gone. */
export async function pss(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024;
}

/** Parent of every process now (pid → ppid). */
async function parents(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) out.set(pid, ppid);
  }
  return out;
}

/**
 * Every process a lab runs: those inside its nodes' namespaces, and the
 * processes started for it outside them (the agent host, found by its command
 * line, and everything it started), each counted once.
 */
export async function labProcesses(lab: string, namespaces: readonly string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const list of (await namespacePids(namespaces)).values()) for (const p of list) pids.add(p);
  const tree = await parents();
  const roots: number[] = [];
  for (const pid of tree.keys()) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.some((a) => a.endsWith('agent.mjs')) && argv.includes('--host') && argv[argv.indexOf('--lab') + 1] === lab) roots.push(pid);
  }
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of tree) (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(pid);
  const walk = (pid: number) => {
    pids.add(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  roots.forEach(walk);
  return [...pids];
}

/** Sum of the proportional set sizes of `pids` (bytes). */
export async function pssOf(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const pid of pids) sum += await pss(pid);
  return sum;
}

/** Peak resident memory of a running process (VmHWM), sampled until it exits; resolves with the largest value seen (bytes). */
export function sampleHighWater(pid: number, everyMs = 10): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8')
      .then((t) => (peak = Math.max(peak, Number(/^VmHWM:\s+(\d+)/m.exec(t)?.[1] ?? 0) * 1024)))
      .catch(() => undefined);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
