import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DmmlabError } from '../../cli/errors.js';
import { run } from '../../cli/util/exec.js';
import { mib, seconds, vmLog } from './log.js';
import { shortPath, vmCacheDir } from './paths.js';
import { removeOrphans, tmpOwner } from './stale.js';

/** Debian's meta package that always depends on the current kernel image package. */
const META_PACKAGE = 'linux-image-amd64';

/** A versioned Debian kernel image package, e.g. linux-image-6.1.0-56-amd64 6.1.192-2. */
export interface KernelPackage {
  /** Versioned package name that the meta package depends on. */
  name: string;
  /** Debian package version: the cache key of everything built from it. */
  version: string;
}

/** A kernel package unpacked into the cache, with depmod's indexes generated. */
export interface ExtractedKernel extends KernelPackage {
  /** Kernel release as `uname -r` prints it in the guest, e.g. 6.1.0-56-amd64. */
  release: string;
  /** The bzImage to hand to qemu's -kernel. */
  vmlinuz: string;
  /** `lib/modules/<release>` of the unpacked package (modules.dep, modules.builtin, kernel/). */
  modulesDir: string;
}

const debsDir = path.join(vmCacheDir, 'debs');
const kernelsDir = path.join(vmCacheDir, 'kernel');
const COMPLETE = '.complete.json';
const aptOpts = ['-o', 'APT::Sandbox::User=root', '-q'];

/**
 * Asks apt (its local lists, no network) which versioned package the meta package depends on.
 * The meta package pins it (`Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)`); without a pin,
 * the candidate version is asked for.
 */
export async function resolveKernelPackage(): Promise<KernelPackage> {
  const show = await run(['apt-cache', 'show', '--no-all-versions', META_PACKAGE], { allowFailure: true });
  const m = /^Depends:.*?\b(linux-image-[0-9][^\s,(]*)(?:\s*\(=\s*([^)\s]+)\))?/m.exec(show.stdout);
  const name = m?.[1];
  if (!name) throw new DmmlabError('E_ENV', `apt-cache knows no dependency of ${META_PACKAGE}: ${(show.stderr || show.stdout).trim()}`);
  if (m[2]) return { name, version: m[2] };
  const policy = await run(['apt-cache', 'policy', name], { allowFailure: true });
  const version = /Candidate:\s*(\S+)/.exec(policy.stdout)?.[1];
  if (!version || version === '(none)') throw new DmmlabError('E_ENV', `apt has no candidate version of ${name}`);
  return { name, version };
}

async function aptUpdate(): Promise<void> {
  vmLog('running apt-get update');
  await run(['apt-get', ...aptOpts, 'update'], { timeoutMs: 300_000 });
}

async function findDeb(pkg: KernelPackage): Promise<string | undefined> {
  if (!existsSync(debsDir)) return undefined;
  const versionInName = pkg.version.replace(/:/g, '%3a');
  const file = (await readdir(debsDir)).find((f) => f.startsWith(`${pkg.name}_${versionInName}_`) && f.endsWith('.deb'));
  return file ? path.join(debsDir, file) : undefined;
}

/** `apt-get download`s the package into the cache; runs `apt-get update` once if that fails. */
async function downloadDeb(pkg: KernelPackage): Promise<string> {
  await mkdir(debsDir, { recursive: true });
  const argv = ['apt-get', ...aptOpts, 'download', `${pkg.name}=${pkg.version}`];
  const started = performance.now();
  const r = await run(argv, { cwd: debsDir, allowFailure: true, timeoutMs: 600_000 });
  if (r.exitCode !== 0) {
    vmLog(`apt-get download failed (${r.stderr.trim().split('\n').pop()}); updating the package lists`);
    await aptUpdate();
    await run(argv, { cwd: debsDir, timeoutMs: 600_000 });
  }
  const deb = await findDeb(pkg);
  if (!deb) throw new DmmlabError('E_ENV', `apt-get download ${pkg.name}=${pkg.version} left no .deb in ${debsDir}`);
  vmLog(`downloaded ${path.basename(deb)} (${mib((await stat(deb)).size)} in ${seconds(performance.now() - started)})`);
  return deb;
}

/** The single entry of `dir` (e.g. the release under lib/modules), or an error naming the directory. */
async function onlyEntry(dir: string, what: string): Promise<string> {
  const entries = existsSync(dir) ? await readdir(dir) : [];
  if (entries.length !== 1 || !entries[0]) throw new DmmlabError('E_ENV', `expected one ${what} in ${dir}, found ${entries.length}`);
  return entries[0];
}

/**
 * Unpacks the .deb (dpkg-deb -x) into a temporary directory, generates modules.dep and friends
 * with `depmod -b` (the package ships none: its postinst makes them), then renames it into place.
 */
async function extract(pkg: KernelPackage, deb: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  await removeOrphans(path.dirname(dest), tmpOwner);
  await mkdir(tmp, { recursive: true });
  const started = performance.now();
  await run(['dpkg-deb', '-x', deb, tmp], { timeoutMs: 300_000 });
  // Newer packages ship /usr/lib/modules only; depmod -b and this runner look under lib/.
  if (!existsSync(path.join(tmp, 'lib'))) await symlink(path.join('usr', 'lib'), path.join(tmp, 'lib'));
  const release = await onlyEntry(path.join(tmp, 'lib', 'modules'), 'kernel release');
  await run(['depmod', '-b', tmp, release], { timeoutMs: 120_000 });
  const info = { name: pkg.name, version: pkg.version, release };
  await writeFile(path.join(tmp, COMPLETE), `${JSON.stringify(info, null, 2)}\n`);
  if (await readComplete(dest)) {
    // Another runner finished first and may be using it: keep its copy.
    await rm(tmp, { recursive: true, force: true });
    return;
  }
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
  vmLog(`extracted ${pkg.name} ${pkg.version} (release ${release}) into ${shortPath(dest)} in ${seconds(performance.now() - started)}`);
}

function kernelAt(pkg: KernelPackage, dir: string, release: string): ExtractedKernel {
  return {
    ...pkg,
    release,
    vmlinuz: path.join(dir, 'boot', `vmlinuz-${release}`),
    modulesDir: path.join(dir, 'lib', 'modules', release),
  };
}

async function readComplete(dir: string): Promise<{ name: string; version: string; release: string } | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, COMPLETE), 'utf8')) as { name: string; version: string; release: string };
  } catch {
    return undefined;
  }
}

/** The newest kernel already in the cache, for when apt cannot answer (offline, no lists). */
async function newestCached(): Promise<ExtractedKernel | undefined> {
  if (!existsSync(kernelsDir)) return undefined;
  let best: { at: number; kernel: ExtractedKernel } | undefined;
  for (const entry of await readdir(kernelsDir)) {
    const dir = path.join(kernelsDir, entry);
    const info = await readComplete(dir);
    if (!info) continue;
    const at = (await stat(path.join(dir, COMPLETE))).mtimeMs;
    if (!best || at > best.at) best = { at, kernel: kernelAt(info, dir, info.release) };
  }
  return best?.kernel;
}

/** Resolves the package, updating apt's lists once if they cannot answer. */
async function resolveWithUpdate(): Promise<KernelPackage | undefined> {
  try {
    return await resolveKernelPackage();
  } catch (first) {
    vmLog(`${(first as Error).message}; updating the package lists`);
    try {
      await aptUpdate();
      return await resolveKernelPackage();
    } catch (second) {
      vmLog(`cannot resolve ${META_PACKAGE}: ${(second as Error).message}`);
      return undefined;
    }
  }
}

/**
 * Returns Debian's current kernel unpacked in the cache, fetching it through apt only when the
 * cache lacks that version. Prints whether it was reused.
 */
export async function ensureKernel(): Promise<ExtractedKernel> {
  const pkg = await resolveWithUpdate();
  if (!pkg) {
    const cached = await newestCached();
    if (!cached) throw new DmmlabError('E_ENV', `cannot resolve ${META_PACKAGE} through apt and no kernel is cached`, { hint: 'run apt-get update and retry' });
    vmLog(`apt cannot answer; reusing the cached kernel ${cached.name} ${cached.version}`);
    return cached;
  }
  const dir = path.join(kernelsDir, pkg.version.replace(/[^A-Za-z0-9.+~-]/g, '_'));
  const done = await readComplete(dir);
  if (done && done.name === pkg.name) {
    vmLog(`kernel: reused ${pkg.name} ${pkg.version} from ${shortPath(dir)}`);
    return kernelAt(pkg, dir, done.release);
  }
  const cachedDeb = await findDeb(pkg);
  if (cachedDeb) vmLog(`kernel: reused ${shortPath(cachedDeb)}`);
  const deb = cachedDeb ?? (await downloadDeb(pkg));
  await extract(pkg, deb, dir);
  const info = await readComplete(dir);
  if (!info) throw new DmmlabError('E_ENV', `extracting ${deb} did not complete`);
  await pruneOtherVersions(dir, deb);
  return kernelAt(pkg, dir, info.release);
}

/** Once a new kernel version is in place, the older ones (about 470 MiB each) go. */
async function pruneOtherVersions(keepDir: string, keepDeb: string): Promise<void> {
  const gone: string[] = [];
  for (const [dir, keep] of [
    [kernelsDir, keepDir],
    [debsDir, keepDeb],
  ] as const) {
    if (!existsSync(dir)) continue;
    for (const entry of await readdir(dir)) {
      const p = path.join(dir, entry);
      if (p === keep || tmpOwner(entry) !== undefined) continue;
      await rm(p, { recursive: true, force: true });
      gone.push(entry);
    }
  }
  if (gone.length) vmLog(`removed older kernels from the cache: ${gone.join(', ')}`);
}
