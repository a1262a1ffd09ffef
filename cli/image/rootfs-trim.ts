import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Directories whose contents an image does not need. */
const EMPTIED = ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'dev', 'tmp'];
/** Entries kept in those directories (apt's lock and partial dirs, apt's archive layout). */
const KEPT = new Set(['partial', 'lock', 'locale.alias']);

async function emptyDir(dir: string, keep: (name: string) => boolean): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => !keep(n)).map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
}

/**
 * Shrinks a debootstrap rootfs before import, as Debian's slim images do:
 * no .deb cache, apt lists, man pages, locales, docs (copyright files stay)
 * or device nodes (Docker provides /dev), and no host resolv.conf/hostname.
 */
export async function trimRootfs(rootfs: string): Promise<void> {
  for (const d of EMPTIED) await emptyDir(path.join(rootfs, d), (n) => KEPT.has(n));
  await rm(path.join(rootfs, 'var/cache/apt/pkgcache.bin'), { force: true });
  await rm(path.join(rootfs, 'var/cache/apt/srcpkgcache.bin'), { force: true });
  const doc = path.join(rootfs, 'usr/share/doc');
  for (const pkg of await readdir(doc).catch(() => [] as string[])) {
    await emptyDir(path.join(doc, pkg), (n) => n === 'copyright');
  }
  // Docker bind-mounts its own; the host's must not leak into the image.
  await writeFile(path.join(rootfs, 'etc/resolv.conf'), '');
  await writeFile(path.join(rootfs, 'etc/hostname'), '');
}
