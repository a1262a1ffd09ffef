import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DmmlabError } from '../../cli/errors.js';
import { run } from '../../cli/util/exec.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { INIT_SCRIPT, INITRAMFS_MODULES_DIR, MODPROBE_HELPER } from './init-script.js';
import type { ExtractedKernel } from './kernel-package.js';
import { BOOT_MODULES, planModules, readModule, readModuleIndex, TEST_MODULES, type ModuleFile } from './kernel-modules.js';
import { mib, seconds, vmLog } from './log.js';
import { shortPath, vmCacheDir } from './paths.js';

const BUSYBOX = '/bin/busybox';
/** Bump when the layout of the archive changes in a way the hashed inputs do not show. */
const FORMAT = 1;

/** A built (or reused) initramfs. */
export interface Initramfs {
  /** The cpio.gz to hand to qemu's -initrd. */
  path: string;
  /** True when it came from the cache. */
  reused: boolean;
}

/** True when the ELF file has no PT_INTERP program header, i.e. it is statically linked. */
function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  }
  return true;
}

/** Reads the static busybox, installing Debian's busybox-static first if it is not there. */
async function staticBusybox(): Promise<Buffer> {
  const installed = await run(['dpkg-query', '-W', '-f=${Status}', 'busybox-static'], { allowFailure: true });
  if (!installed.stdout.includes('install ok installed')) {
    vmLog('installing busybox-static with apt-get');
    const install = ['apt-get', '-q', '-y', 'install', 'busybox-static'];
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const r = await run(install, { allowFailure: true, timeoutMs: 600_000, env });
    if (r.exitCode !== 0) {
      await run(['apt-get', '-q', 'update'], { timeoutMs: 300_000 });
      await run(install, { timeoutMs: 600_000, env });
    }
  }
  const bytes = await readFile(BUSYBOX);
  if (!isStaticElf(bytes)) throw new DmmlabError('E_ENV', `${BUSYBOX} is not statically linked`, { hint: 'apt-get install busybox-static' });
  return bytes;
}

interface Inputs {
  boot: ModuleFile[];
  extra: ModuleFile[];
  busybox: Buffer;
  key: string;
}

/** Plans the modules, reports built-in and missing ones, and hashes everything the archive holds. */
async function gatherInputs(kernel: ExtractedKernel): Promise<Inputs> {
  const index = await readModuleIndex(kernel.modulesDir);
  const boot = planModules(index, BOOT_MODULES);
  if (boot.missing.length) throw new DmmlabError('E_ENV', `${kernel.name} lacks modules needed to boot: ${boot.missing.join(', ')}`);
  const test = planModules(index, TEST_MODULES);
  const bootNames = new Set(boot.order.map((m) => m.name));
  const extra = test.order.filter((m) => !bootNames.has(m.name));
  const builtin = [...boot.builtin, ...test.builtin];
  vmLog(`modules: ${boot.order.length} to boot, ${extra.length} for tests${builtin.length ? `; built in: ${builtin.join(', ')}` : ''}`);
  if (test.missing.length) vmLog(`modules: not in ${kernel.release}: ${test.missing.join(', ')}`);
  const busybox = await staticBusybox();
  const hash = createHash('sha256')
    .update(JSON.stringify({ FORMAT, kernel: kernel.version, init: INIT_SCRIPT, helper: MODPROBE_HELPER, boot, extra }))
    .update(busybox)
    .digest('hex');
  return { boot: boot.order, extra, busybox, key: hash.slice(0, 16) };
}

async function buildArchive(kernel: ExtractedKernel, inputs: Inputs): Promise<Buffer> {
  const entries: CpioEntry[] = [
    'bin',
    'sbin',
    'usr',
    'usr/bin',
    'usr/sbin',
    'dev',
    'proc',
    'sys',
    'tmp',
    'mnt',
    'lib',
    'lib/modules',
    INITRAMFS_MODULES_DIR,
  ].map((p) => ({ kind: 'dir', path: p }));
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: inputs.busybox, mode: 0o755 });
  entries.push({ kind: 'file', path: 'init', data: INIT_SCRIPT, mode: 0o755 });
  entries.push({ kind: 'file', path: 'sbin/dmmlab-modprobe', data: MODPROBE_HELPER, mode: 0o755 });
  for (const m of [...inputs.boot, ...inputs.extra]) {
    entries.push({ kind: 'file', path: `${INITRAMFS_MODULES_DIR}/${m.name}.ko`, data: await readModule(kernel.modulesDir, m) });
  }
  const list = (ms: ModuleFile[]): string => ms.map((m) => `${m.name}\n`).join('');
  entries.push({ kind: 'file', path: `${INITRAMFS_MODULES_DIR}/boot.order`, data: list(inputs.boot) });
  entries.push({ kind: 'file', path: `${INITRAMFS_MODULES_DIR}/extra.order`, data: list(inputs.extra) });
  return gzipSync(writeCpio(entries), { level: 6 });
}

/**
 * Returns the initramfs for this kernel, building it only when no archive with the same key
 * (kernel package version + hash of /init, the module plan and busybox) is cached.
 */
export async function ensureInitramfs(kernel: ExtractedKernel): Promise<Initramfs> {
  const inputs = await gatherInputs(kernel);
  const dir = path.join(vmCacheDir, 'initramfs');
  const file = path.join(dir, `${kernel.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}-${inputs.key}.cpio.gz`);
  if (existsSync(file)) {
    vmLog(`initramfs: reused ${shortPath(file)}`);
    return { path: file, reused: true };
  }
  const started = performance.now();
  await mkdir(dir, { recursive: true });
  const archive = await buildArchive(kernel, inputs);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, archive);
  await rename(tmp, file);
  // Older archives (another kernel, an older /init) are stale; qemu reads -initrd at start-up.
  for (const entry of await readdir(dir)) {
    if (entry.endsWith('.cpio.gz') && entry !== path.basename(file)) await rm(path.join(dir, entry), { force: true });
  }
  const size = (await stat(file)).size;
  vmLog(`initramfs: built ${shortPath(file)} (${mib(size)}, ${inputs.boot.length + inputs.extra.length} modules) in ${seconds(performance.now() - started)}`);
  return { path: file, reused: false };
}
