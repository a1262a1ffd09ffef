import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan, PlanNode } from '../plan/types.js';
import { labDir } from '../state/paths.js';
import type { CommandResult } from '../util/exec.js';

/** What reading a lab's kernels needs of a lab session. */
export interface KernelAccess {
  readonly lab: string;
  readonly plan: Plan;
  node(name: string): PlanNode;
  exec(node: string, argv: readonly string[]): Promise<CommandResult>;
}

/** The kinds of kernel object a node's snapshot holds. */
export const KERNEL_OBJECTS = ['link', 'address', 'route', 'rule', 'neighbour', 'proxy', 'qdisc', 'nexthop', 'sysctl', 'radvd'] as const;
export type KernelObject = (typeof KERNEL_OBJECTS)[number];

/**
 * One kernel object of a node, as one line a person can read (`ip`'s own
 * words, without what changes by itself: lifetimes, metrics, flags such as
 * linkdown), with what the clean check needs to judge it.
 */
export interface KernelEntry {
  object: KernelObject;
  line: string;
  /** The interface it hangs off (routes, addresses, neighbours, qdiscs, links, radvd blocks). */
  iface?: string;
  /** The address or prefix it is about (addresses, route destinations, rule sources, neighbours, radvd prefixes). */
  subject?: string;
  /** Routing table (routes), or the table a rule looks up. */
  table?: string;
  /** radvd: the valid lifetime advertised. */
  valid?: number;
}

const SECTIONS = ['link', 'address', 'route', 'rule', 'neighbour', 'proxy', 'qdisc', 'nexthop', 'sysctl'] as const;
const SEPARATOR = '@@dmmlab@@';

/** One shell command per node that prints every section (one `exec` into a container, not eight). */
export function kernelDumpScript(sysctlKeys: readonly string[]): string {
  const sysctls = sysctlKeys.map((k) => `printf '%s=' '${k}'; cat /proc/sys/${k.replaceAll('.', '/')} 2>/dev/null || echo '?'`).join('; ');
  return [
    'ip -j -d link show',
    'ip -j -6 address show',
    'ip -j -6 route show table all',
    'ip -j -6 rule show',
    'ip -j -6 neigh show nud permanent',
    'ip -j -6 neigh show proxy',
    'tc -j qdisc show',
    // Nexthop objects (the bpf tunnel driver's); nothing on a kernel without them.
    'ip -j nexthop show 2>/dev/null',
    sysctls || 'true',
  ].join(`; echo ${SEPARATOR}; `);
}

type Json = Record<string, unknown>;

function parseJson(text: string | undefined): Json[] {
  const t = text?.trim();
  if (!t) return [];
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) ? (v as Json[]) : [];
  } catch {
    return [];
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function withLen(addr: string, len: unknown): string {
  return typeof len === 'number' ? `${addr}/${len}` : addr;
}

/** Route attributes that change by themselves or say nothing about what was configured. */
const ROUTE_NOISE = new Set(['metric', 'flags', 'pref', 'expires', 'cache', 'metrics', 'hoplimit', 'dst', 'type', 'gateway', 'dev', 'table', 'protocol']);

function routeEntry(r: Json): KernelEntry | undefined {
  const table = str(r.table) ?? 'main';
  if (table === 'local') return undefined; // mirrors the addresses
  const type = str(r.type);
  if (type === 'multicast') return undefined;
  const dst = str(r.dst) ?? '?';
  const dev = str(r.dev);
  const parts = [type && type !== 'unicast' ? `${type} ${dst}` : dst];
  if (r.gateway) parts.push(`via ${str(r.gateway)}`);
  // A blackhole or unreachable route hangs off lo, which says nothing.
  if (dev && !(type && type !== 'unicast' && dev === 'lo')) parts.push(`dev ${dev}`);
  if (table !== 'main') parts.push(`table ${table}`);
  if (r.protocol && r.protocol !== 'boot') parts.push(`proto ${str(r.protocol)}`);
  for (const [k, v] of Object.entries(r)) {
    if (ROUTE_NOISE.has(k) || v === undefined) continue;
    parts.push(`${k} ${Array.isArray(v) ? v.map((x) => str(x) ?? JSON.stringify(x)).join(',') : (str(v) ?? JSON.stringify(v))}`);
  }
  return { object: 'route', line: parts.join(' '), subject: dst === 'default' ? '::/0' : dst, table, ...(dev ? { iface: dev } : {}) };
}

function ruleEntry(r: Json): KernelEntry {
  const src = str(r.src) ?? 'all';
  const from = src === 'all' ? 'all' : withLen(src, r.srclen);
  const parts = [`pref ${str(r.priority)}`, `from ${from}`];
  if (r.dst && r.dst !== 'all') parts.push(`to ${withLen(str(r.dst) as string, r.dstlen)}`);
  if (r.iif) parts.push(`iif ${str(r.iif)}`);
  if (r.oif) parts.push(`oif ${str(r.oif)}`);
  if (r.fwmark) parts.push(`fwmark ${str(r.fwmark)}`);
  const table = str(r.table);
  parts.push(table ? `lookup ${table}` : (str(r.action) ?? '?'));
  return {
    object: 'rule',
    line: parts.join(' '),
    ...(src !== 'all' ? { subject: from } : {}),
    ...(table ? { table } : {}),
    ...(r.iif ? { iface: str(r.iif) } : {}),
  };
}

/** Parses what `kernelDumpScript` printed (and the node's radvd configuration, if it has one) into entries. */
export function parseKernelDump(output: string, radvdConf?: string): KernelEntry[] {
  const parts = output.split(SEPARATOR);
  const section = (name: (typeof SECTIONS)[number]) => parts[SECTIONS.indexOf(name)];
  const out: KernelEntry[] = [];
  for (const l of parseJson(section('link'))) {
    const name = str(l.ifname) ?? '?';
    const info = l.linkinfo as Json | undefined;
    const kind = str(info?.info_kind) ?? 'device';
    out.push({ object: 'link', line: `${name} ${kind} mtu ${str(l.mtu)}`, iface: name });
  }
  for (const l of parseJson(section('address'))) {
    const name = str(l.ifname) ?? '?';
    for (const a of (l.addr_info as Json[] | undefined) ?? []) {
      if (a.family !== 'inet6' || a.scope === 'link') continue; // link-local addresses come and go with the link
      const addr = withLen(str(a.local) ?? '?', a.prefixlen);
      out.push({ object: 'address', line: `${addr} dev ${name}`, iface: name, subject: str(a.local) });
    }
  }
  for (const r of parseJson(section('route'))) {
    const e = routeEntry(r);
    if (e) out.push(e);
  }
  for (const r of parseJson(section('rule'))) out.push(ruleEntry(r));
  for (const n of parseJson(section('neighbour'))) {
    const dev = str(n.dev) ?? '?';
    out.push({ object: 'neighbour', line: `${str(n.dst)} lladdr ${str(n.lladdr)} dev ${dev} permanent`, iface: dev, subject: str(n.dst) });
  }
  for (const n of parseJson(section('proxy'))) {
    const dev = str(n.dev) ?? '?';
    out.push({ object: 'proxy', line: `proxy ${str(n.dst)} dev ${dev}`, iface: dev, subject: str(n.dst) });
  }
  for (const q of parseJson(section('qdisc'))) {
    const dev = str(q.dev) ?? '?';
    const where = q.root ? 'root' : `parent ${str(q.parent)}`;
    out.push({ object: 'qdisc', line: `${str(q.kind)} ${str(q.handle)} dev ${dev} ${where}`, iface: dev });
  }
  for (const n of parseJson(section('nexthop'))) {
    const dev = str(n.dev);
    const rest = Object.entries(n)
      .filter(([k, v]) => !['id', 'dev', 'scope', 'flags', 'protocol'].includes(k) && v !== undefined)
      .map(([k, v]) => `${k} ${str(v) ?? JSON.stringify(v)}`);
    out.push({
      object: 'nexthop',
      line: [`id ${str(n.id)}`, ...(dev ? [`dev ${dev}`] : []), ...rest].join(' '),
      subject: str(n.id),
      ...(dev ? { iface: dev } : {}),
    });
  }
  for (const line of (section('sysctl') ?? '').split('\n')) {
    if (line.includes('=')) out.push({ object: 'sysctl', line: line.trim() });
  }
  if (radvdConf) out.push(...parseRadvdConf(radvdConf));
  return out;
}

/** radvd's advertised prefixes: one entry per interface block and per prefix with its valid lifetime. */
export function parseRadvdConf(text: string): KernelEntry[] {
  const out: KernelEntry[] = [];
  let iface: string | undefined;
  let prefix: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^interface (\S+) \{/.exec(line);
    if (m) {
      iface = m[1];
      out.push({ object: 'radvd', line: `interface ${iface}`, iface });
      continue;
    }
    m = /^prefix (\S+) \{/.exec(line);
    if (m) prefix = m[1];
    m = /^AdvValidLifetime (\d+);/.exec(line);
    if (m && prefix && iface) {
      const valid = Number(m[1]);
      out.push({ object: 'radvd', line: `prefix ${prefix} on ${iface} valid ${valid === 0 ? '0 (withdrawn)' : `${valid} s`}`, iface, subject: prefix, valid });
      prefix = undefined;
    }
  }
  return out;
}

/** Where the agent of a node keeps radvd's configuration (the lab directory is the same path in a container). */
export function radvdConfPath(lab: string, node: string): string {
  return path.join(labDir(lab), 'run', node, 'radvd.conf');
}

/** Reads one node's kernel state (one command into the node). */
export async function readNodeKernel(session: KernelAccess, node: PlanNode): Promise<KernelEntry[]> {
  const r = await session.exec(node.name, ['sh', '-c', kernelDumpScript(Object.keys(node.sysctls))]);
  if (r.exitCode !== 0 && !r.stdout.includes(SEPARATOR))
    throw new Error(`reading the kernel state of ${node.name} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const radvd = node.roles.includes('ar') ? await readFile(radvdConfPath(session.lab, node.name), 'utf8').catch(() => undefined) : undefined;
  return parseKernelDump(r.stdout, radvd);
}
