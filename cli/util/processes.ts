import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

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

/**
 * Stops a process the lab recorded: SIGTERM, up to half a second to end, then
 * SIGKILL. Does nothing if it is gone or its PID now names another process.
 */
export async function stopRecordedProcess(r: { pid: number; startTime?: string | undefined }): Promise<void> {
  if (!alive(r.pid)) return;
  if (r.startTime !== undefined && (await processStartTime(r.pid)) !== r.startTime) return; // PID reused by someone else
  process.kill(r.pid, 'SIGTERM');
  for (let i = 0; i < 25 && alive(r.pid); i++) await new Promise((res) => setTimeout(res, 20));
  if (alive(r.pid)) process.kill(r.pid, 'SIGKILL');
}

/** Processes whose command line matches `test` (argv as the kernel has it), with their start times. */
export async function processesMatching(test: (argv: string[]) => boolean): Promise<{ pid: number; argv: string[]; startTime?: string }[]> {
  const out: { pid: number; argv: string[]; startTime?: string }[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    if (argv.length === 0 || !test(argv)) continue;
    const startTime = await processStartTime(pid);
    out.push({ pid, argv, ...(startTime ? { startTime } : {}) });
  }
  return out;
}
