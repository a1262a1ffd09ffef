import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project checkout this runner belongs to (two levels above test/vm/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Everything the VM runner downloads or builds lives here (gitignored via `.cache/`). */
export const vmCacheDir = path.join(projectRoot, '.cache', 'vm');

/** A path relative to the project, for messages. */
export function shortPath(p: string): string {
  const rel = path.relative(projectRoot, p);
  return rel.startsWith('..') ? p : rel;
}
