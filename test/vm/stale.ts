import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes entries of `dir` that a runner which has since died left behind: `pidOf` extracts the
 * owner's pid from an entry's name (undefined: not such an entry).
 */
export async function removeOrphans(dir: string, pidOf: (name: string) => number | undefined): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir)) {
    const pid = pidOf(entry);
    if (pid !== undefined && !isAlive(pid)) await rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** The pid in a `<name>.tmp-<pid>` file or directory name. */
export function tmpOwner(name: string): number | undefined {
  const m = /\.tmp-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
