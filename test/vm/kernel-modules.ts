import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { DmmlabError } from '../../cli/errors.js';

/**
 * Modules the initramfs needs to reach the host's root: virtio PCI transport, 9p over virtio
 * (with netfs/fscache, which 9p.ko depends on) and overlayfs for the writable layer.
 */
export const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'] as const;

/**
 * Modules loaded before the command runs because the tests need them and some cannot be
 * autoloaded (`ip -6 tunnel add` talks to ip6tnl0, which exists only once ip6_tunnel is loaded).
 * Anything else is autoloaded on demand through the host's modprobe (see init-script.ts).
 */
export const TEST_MODULES = [
  'ipv6',
  'tunnel6',
  'ip6_tunnel',
  'sit',
  'ip6_gre',
  'veth',
  'dummy',
  'vrf',
  'bridge',
  'macvlan',
  'tun',
  'sch_netem',
  'sch_tbf',
  'sch_htb',
  'sch_prio',
  'sch_ingress',
  'cls_u32',
  'cls_flower',
  'cls_bpf',
  'act_mirred',
  'nf_tables',
] as const;

/** One loadable module file. */
export interface ModuleFile {
  /** Module name with `-` folded to `_`, as lsmod prints it. */
  name: string;
  /** Path relative to lib/modules/<release>, as modules.dep writes it. */
  path: string;
}

/** What lib/modules/<release> says about every module. */
export interface ModuleIndex {
  /** Loadable modules by name, with their direct dependencies by name. */
  loadable: Map<string, { path: string; deps: string[] }>;
  /** Names of modules compiled into the kernel (modules.builtin). */
  builtin: Set<string>;
  /** `softdep X pre: a b` (modules.softdep): names or aliases to load before X (libcrc32c needs crc32c). */
  softPre: Map<string, string[]>;
  /** Exact aliases (modules.alias) to the modules that provide them. */
  aliases: Map<string, string[]>;
}

/** The insmod plan for a list of wanted modules. */
export interface ModulePlan {
  /** Files in load order: every module after all of its dependencies. */
  order: ModuleFile[];
  /** Wanted modules that are built in: nothing to load. */
  builtin: string[];
  /** Wanted modules this kernel has neither built in nor as a file. */
  missing: string[];
}

/** `kernel/net/ipv6/ip6_tunnel.ko.xz` → `ip6_tunnel`. */
export function moduleName(file: string): string {
  return path
    .basename(file)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');
}

/** Parses modules.dep (`path: dep dep ...`), modules.builtin, modules.softdep and modules.alias. */
export function parseModuleIndex(modulesDep: string, modulesBuiltin: string, modulesSoftdep = '', modulesAlias = ''): ModuleIndex {
  const loadable = new Map<string, { path: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon).trim();
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(moduleName);
    loadable.set(moduleName(file), { path: file, deps });
  }
  const builtin = new Set(modulesBuiltin.split('\n').filter(Boolean).map(moduleName));
  const softPre = new Map<string, string[]>();
  for (const line of modulesSoftdep.split('\n')) {
    const m = /^softdep\s+(\S+)\s.*?\bpre:\s*(.*?)\s*(post:.*)?$/.exec(line);
    if (m?.[1] && m[2]) softPre.set(moduleName(m[1]), [...(softPre.get(moduleName(m[1])) ?? []), ...m[2].split(/\s+/)]);
  }
  const aliases = new Map<string, string[]>();
  for (const line of modulesAlias.split('\n')) {
    const [word, alias, mod] = line.split(' ');
    if (word === 'alias' && alias && mod) aliases.set(alias, [...(aliases.get(alias) ?? []), moduleName(mod)]);
  }
  return { loadable, builtin, softPre, aliases };
}

/** A soft dependency's module: itself if it is a module name, else the alias's provider (built in, *_generic, or first). */
function resolveSoftdep(index: ModuleIndex, name: string): string | undefined {
  const n = moduleName(name);
  if (index.builtin.has(n) || index.loadable.has(n)) return n;
  const providers = index.aliases.get(name) ?? [];
  return providers.find((p) => index.builtin.has(p)) ?? providers.find((p) => p.endsWith('_generic')) ?? providers[0];
}

export async function readModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  const read = (f: string, optional = false): Promise<string> =>
    readFile(path.join(modulesDir, f), 'utf8').catch((e: Error) => (optional ? '' : Promise.reject(e)));
  const [dep, builtin, softdep, alias] = await Promise.all([
    read('modules.dep'),
    read('modules.builtin'),
    read('modules.softdep', true),
    read('modules.alias', true),
  ]);
  return parseModuleIndex(dep, builtin, softdep, alias);
}

/**
 * Orders the wanted modules and their transitive dependencies for insmod: depth first, each
 * module after its soft `pre:` dependencies and its modules.dep dependencies.
 */
export function planModules(index: ModuleIndex, wanted: readonly string[]): ModulePlan {
  const plan: ModulePlan = { order: [], builtin: [], missing: [] };
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string, isWanted: boolean): void => {
    if (placed.has(name)) return;
    if (index.builtin.has(name)) {
      if (isWanted) plan.builtin.push(name);
      placed.add(name);
      return;
    }
    const entry = index.loadable.get(name);
    if (!entry) {
      plan.missing.push(name);
      placed.add(name);
      return;
    }
    if (visiting.has(name)) throw new DmmlabError('E_ENV', `modules.dep has a dependency cycle through ${name}`);
    visiting.add(name);
    for (const soft of index.softPre.get(name) ?? []) {
      const provider = resolveSoftdep(index, soft);
      if (provider) visit(provider, false);
    }
    for (const dep of entry.deps) visit(dep, false);
    visiting.delete(name);
    placed.add(name);
    plan.order.push({ name, path: entry.path });
  };
  for (const name of wanted) visit(name.replace(/-/g, '_'), true);
  return plan;
}

/**
 * A module's bytes, decompressed on the host when the package ships .ko.xz / .ko.zst / .ko.gz,
 * so busybox insmod never has to know the compression.
 */
export async function readModule(modulesDir: string, file: ModuleFile): Promise<Buffer> {
  const full = path.join(modulesDir, file.path);
  if (file.path.endsWith('.gz')) return gunzipSync(await readFile(full));
  const tool = file.path.endsWith('.xz') ? 'xz' : file.path.endsWith('.zst') ? 'zstd' : undefined;
  if (!tool) return readFile(full);
  const r = await execa(tool, ['-dc', full], { encoding: 'buffer', reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw new DmmlabError('E_ENV', `${tool} -dc ${full} exited ${r.exitCode ?? '?'}: ${Buffer.from(r.stderr).toString().trim()}`, {
      hint: `apt-get install ${tool === 'xz' ? 'xz-utils' : 'zstd'}`,
    });
  }
  return Buffer.from(r.stdout);
}
