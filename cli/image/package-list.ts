import { DmmlabError } from '../errors.js';

/** One package of images/node/packages.txt. */
export interface ImagePackage {
  /** Debian package name. */
  name: string;
  /** Only the offline (debootstrap) recipe installs it: the online base image already has it. */
  offlineOnly: boolean;
}

/**
 * Parses packages.txt: one package per line, `#` comments, an optional
 * `[offline]` marker. Throws E_INPUT naming the line of anything else.
 */
export function parsePackageList(text: string, file = 'packages.txt'): ImagePackage[] {
  const out: ImagePackage[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^([a-z0-9][a-z0-9+.-]+)(\s+\[offline\])?$/.exec(line);
    if (!m) {
      throw new DmmlabError('E_INPUT', `${file}:${i + 1}: found ${JSON.stringify(raw)}; expected a Debian package name, optionally followed by [offline]`);
    }
    out.push({ name: m[1] as string, offlineOnly: m[2] !== undefined });
  });
  return out;
}

/** Package names a recipe installs, sorted and without duplicates. */
export function packagesFor(list: readonly ImagePackage[], recipe: 'online' | 'offline'): string[] {
  const names = list.filter((p) => recipe === 'offline' || !p.offlineOnly).map((p) => p.name);
  return [...new Set(names)].sort();
}
