import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorText } from '../errors.js';
import { run } from '../util/exec.js';
import type { Progress } from '../util/progress.js';

/** Where image builds put their scratch space: on disk, not tmpfs, since a rootfs is ~300 MB. */
export const IMAGE_SCRATCH_DIR = '/var/tmp';

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsBelow(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a scratch dir, first unmounting what a failed debootstrap may have
 * left mounted inside it (proc, sys, dev/pts). Never recurses through a mount:
 * if one cannot be unmounted, the dir is left and a warning says so.
 */
export async function removeScratchDir(dir: string, progress: Progress): Promise<void> {
  for (const m of await mountsBelow(dir)) {
    await run(['umount', '-l', m], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
  }
  const left = await mountsBelow(dir);
  if (left.length > 0) {
    progress.warn(`left ${dir} in place: still mounted: ${left.join(', ')}`);
    return;
  }
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    progress.warn(`could not remove ${dir}: ${errorText(e)}`);
  }
}

/** Runs `fn` with a fresh dir under /var/tmp and always removes it afterwards. */
export async function withScratchDir<T>(prefix: string, progress: Progress, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(IMAGE_SCRATCH_DIR, `${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await removeScratchDir(dir, progress);
  }
}
