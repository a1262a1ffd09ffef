import { contains, containsPrefix, formatPrefix, parseAddress, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import { MOBILITY_TABLE as MOBILITY_TABLE_NUMBER, OWN_SOURCE_RULE_PRIORITY, REVERSE_RULE_PRIORITY } from '../lab/kernel-reads.js';
import type { KernelEntry, KernelObject } from '../lab/kernel-snapshot.js';

/** Length of the home prefixes the HAAs lease. */
const HOME_PREFIX_LEN = 64;
const MOBILITY_TABLE = String(MOBILITY_TABLE_NUMBER);
const REVERSE_RULE = `pref ${REVERSE_RULE_PRIORITY} `;
const SERVED_SOURCE_RULE = `pref ${OWN_SOURCE_RULE_PRIORITY} `;
const BUILTIN_TABLES = new Set(['main', 'local', 'default']);

/** What the agents hold at the end (bindings, leases, visitors, intentions), as the judge needs it. */
export interface KernelFacts {
  /** The domain's home-prefix pools. */
  pools: readonly string[];
  roles: Readonly<Record<string, readonly string[]>>;
  /** A mobile node's radio interfaces. */
  radios: Readonly<Record<string, readonly string[]>>;
  /** Leased home prefixes, to the mobile node (by node name) that holds each. */
  leases: ReadonlyMap<string, string>;
  /** Per mobile node, the prefixes it gave up (its addresses go at once; the lease follows the release signalling). */
  released: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per MR, the home prefixes its agent routes in the mobility table. */
  mrRoutes: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Per MR, the prefixes it forwards under a handover context still within its lifetime: temporary by
   * design (draft-tu 4.4), they may outlive the prefix's lease by at most that lifetime.
   */
  mrContexts: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per MR, its agent's reverse rules as `prefix iface table`. */
  mrReverse: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per home agent, its exceptions to an access link's source check as `prefix iface` (a served node on that link). */
  mrServedSources?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per access router and access interface: the prefixes of the visitors there, and whether one is attached. */
  access: ReadonlyMap<string, ReadonlyMap<string, { prefixes: ReadonlySet<string>; attached: boolean }>>;
  /** Mobile IPv6: per access router and access interface, the care-of prefix the link advertises (from the plan). */
  careOf?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Mobile IPv6: the mobile nodes away from home (bound to a care-of address: their tunnel end is theirs). */
  away?: ReadonlySet<string>;
  /** HMIPv6: the MAPs' prefixes of regional care-of addresses (a MAP routes the ones it binds in its mobility table). */
  regional?: readonly string[];
}

/** A Mobile IPv6 node's own tunnel end while away (agent/roles/mn/mobile-ipv6.ts): its devices, rules and default route. */
const MIPV6_LINKS = /^(dmm0|dmm1|mip6|hmip6) /;
const MIPV6_RULES = /^pref (0|50|51|100) /;
/** Its tunnel devices: what is on them (routes, the seg6 hairpin's neighbour, an HMIPv6 regional care-of address) is the tunnel end's. */
const MIPV6_DEVICES = new Set(['dmm0', 'dmm1', 'mip6', 'hmip6']);

/** One thing the end state has that nothing accounts for, or lacks. */
export interface KernelDifference {
  node: string;
  object: KernelObject;
  line: string;
  /** `left` (there and unaccounted for) or `missing` (accounted for and not there). */
  kind: 'left' | 'missing';
  why: string;
}

type Verdict = { dynamic: false } | { dynamic: true; ok: true } | { dynamic: true; ok: false; why: string };

/** The canonical home prefix an address or prefix lies in, if it is one (a prefix shorter than a home prefix is not). */
export function homePrefixOf(subject: string | undefined, pools: readonly Prefix[]): string | undefined {
  if (!subject || subject === 'all' || subject === '::/0') return undefined;
  let p: Prefix;
  try {
    p = subject.includes('/') ? parsePrefix(subject) : { addr: parseAddress(subject), len: 128 };
  } catch {
    return undefined;
  }
  if (p.len < HOME_PREFIX_LEN || !pools.some((pool) => containsPrefix(pool, p) || contains(pool, p.addr))) return undefined;
  return formatPrefix({ addr: p.addr & ~((1n << BigInt(128 - HOME_PREFIX_LEN)) - 1n), len: HOME_PREFIX_LEN });
}

/**
 * Compares each node's kernel at the end with its baseline and with what the
 * agents' remaining state justifies. State that belongs to a home prefix is
 * judged by that prefix (leased, routed, advertised); state that follows
 * from other state by the prefix's route or rule (a reverse table, a tunnel
 * device) by whether anything still uses it; everything else must be exactly
 * as deploy left it. Returns every difference, node by node.
 */
export function judgeKernel(
  baseline: Readonly<Record<string, KernelEntry[]>> | undefined,
  end: Readonly<Record<string, KernelEntry[]>>,
  facts: KernelFacts,
): KernelDifference[] {
  const pools = facts.pools.map(parsePrefix);
  const out: KernelDifference[] = [];
  for (const [node, entries] of Object.entries(end)) {
    const verdict = (e: KernelEntry, all: KernelEntry[]) => judgeEntry(node, e, all, facts, pools);
    for (const e of entries) {
      const v = verdict(e, entries);
      if (v.dynamic && !v.ok) out.push({ node, object: e.object, line: e.line, kind: 'left', why: v.why });
    }
    out.push(...judgeNexthops(node, baseline?.[node], entries));
    if (baseline?.[node]) {
      const before = baseline[node];
      const fixed = (list: KernelEntry[]) => new Map(list.filter((e) => !verdict(e, list).dynamic).map((e) => [`${e.object} ${e.line}`, e] as const));
      const b = fixed(before);
      const a = fixed(entries);
      for (const [k, e] of a) if (!b.has(k)) out.push({ node, object: e.object, line: e.line, kind: 'left', why: 'not there after deploy' });
      for (const [k, e] of b) if (!a.has(k)) out.push({ node, object: e.object, line: e.line, kind: 'missing', why: 'there after deploy, gone now' });
    }
    if (facts.roles[node]?.includes('mn')) {
      for (const [prefix, holder] of facts.leases) {
        if (holder !== node || facts.released.get(node)?.has(prefix)) continue;
        if (!entries.some((e) => e.object === 'address' && homePrefixOf(e.subject, pools) === prefix))
          out.push({ node, object: 'address', line: `an address in ${prefix}`, kind: 'missing', why: `${prefix} is leased to ${node}` });
      }
    }
  }
  return out;
}

/**
 * Nexthop objects (the bpf driver's, one per peer): those deploy made stay for the agent's life (so a
 * route may or may not use them at the end); any other one must still carry a route.
 */
function judgeNexthops(node: string, before: readonly KernelEntry[] | undefined, entries: readonly KernelEntry[]): KernelDifference[] {
  const out: KernelDifference[] = [];
  const had = new Set((before ?? []).filter((e) => e.object === 'nexthop').map((e) => e.line));
  const used = new Set(entries.flatMap((e) => (e.object === 'route' ? [/ nhid (\d+)\b/.exec(e.line)?.[1]] : [])));
  for (const e of entries) {
    if (e.object === 'nexthop' && !had.has(e.line) && !used.has(e.subject))
      out.push({ node, object: 'nexthop', line: e.line, kind: 'left', why: 'not there after deploy, and no route uses it' });
  }
  const now = new Set(entries.filter((e) => e.object === 'nexthop').map((e) => e.line));
  for (const line of had) if (!now.has(line)) out.push({ node, object: 'nexthop', line, kind: 'missing', why: 'there after deploy, gone now' });
  return out;
}

function judgeEntry(node: string, e: KernelEntry, all: KernelEntry[], facts: KernelFacts, pools: Prefix[]): Verdict {
  const roles = facts.roles[node] ?? [];
  // Judged on their own (judgeNexthops).
  if (e.object === 'nexthop') return { dynamic: true, ok: true };
  const prefix = homePrefixOf(e.subject, pools);
  const ok: Verdict = { dynamic: true, ok: true };
  const bad = (why: string): Verdict => ({ dynamic: true, ok: false, why });

  // What the kernel makes by itself when a link comes up: its link-local route, its default qdisc.
  if (e.object === 'route' && e.subject === 'fe80::/64') return ok;
  if (e.object === 'qdisc' && /^(noqueue|noop) /.test(e.line)) return ok;
  // A routing table nothing looks up any more, a tunnel device no route uses.
  if (e.object === 'route' && e.table && !BUILTIN_TABLES.has(e.table) && e.table !== MOBILITY_TABLE && !prefix)
    return all.some((r) => r.object === 'rule' && r.table === e.table) ? ok : bad(`no rule looks up table ${e.table}`);
  if (e.object === 'link' && /^\S+ ip6tnl /.test(e.line) && e.iface?.startsWith('t-'))
    return all.some((r) => r.object === 'route' && r.iface === e.iface) ? ok : bad('no route uses this tunnel');

  const careOf = facts.careOf?.get(node)?.get(e.iface ?? '');
  if (careOf && (e.object === 'route' || e.object === 'radvd') && e.subject && canonicalPrefix(e.subject) === careOf) return ok;

  if (roles.includes('mn')) {
    if (facts.away?.has(node) && !prefix) {
      if (e.object === 'link' && MIPV6_LINKS.test(e.line)) return ok;
      if (e.object === 'rule' && MIPV6_RULES.test(e.line)) return ok;
      if ((e.object === 'route' || e.object === 'neighbour' || e.object === 'address') && MIPV6_DEVICES.has(e.iface ?? '')) return ok;
      // HMIPv6 with ip6tnl: the regional care-of address sits on lo (with the kernel's route for it).
      if ((e.object === 'address' || e.object === 'route') && e.iface === 'lo') return ok;
    }
    if (prefix) {
      const holder = facts.leases.get(prefix);
      return holder === node ? ok : bad(holder ? `${prefix} is leased to ${holder}` : `${prefix} is leased to nobody (released)`);
    }
    // Link-local routes, default routes from advertisements: they follow the radio.
    const radio = e.iface !== undefined && facts.radios[node]?.includes(e.iface);
    if (radio && (e.object === 'route' || e.object === 'address' || e.object === 'neighbour')) return ok;
    return { dynamic: false };
  }

  if (e.object === 'radvd' && e.subject) {
    if (e.valid === 0) return ok; // the standard withdrawal (lifetime 0), advertised for a short while
    if (!prefix) return bad(`${e.subject} is not a home prefix`);
    const link = facts.access.get(node)?.get(e.iface ?? '');
    if (!facts.leases.has(prefix)) return bad(`${prefix} is leased to nobody (released)`);
    return link?.prefixes.has(prefix) ? ok : bad(`no mobile node of ${e.iface} holds ${prefix}`);
  }
  // HMIPv6: a MAP's binding of a regional care-of address, while its agent holds it.
  if (roles.includes('mr') && e.object === 'route' && e.table === MOBILITY_TABLE && e.subject && inRegional(e.subject, facts.regional)) {
    const p = e.subject.includes('/') ? e.subject : `${e.subject}/128`;
    return facts.mrRoutes.get(node)?.has(canonicalPrefix(p) ?? p) ? ok : bad('its agent binds no such regional care-of address');
  }
  if (e.object === 'neighbour' && roles.includes('ar') && facts.access.get(node)?.has(e.iface ?? '')) {
    return facts.access.get(node)?.get(e.iface ?? '')?.attached ? ok : bad(`no mobile node is attached on ${e.iface}`);
  }
  if (!prefix) return { dynamic: false };

  const leased = facts.leases.has(prefix);
  if (roles.includes('mr') && e.object === 'route' && e.table === MOBILITY_TABLE) {
    if (!facts.mrRoutes.get(node)?.has(prefix)) return bad('its agent does not route this prefix');
    return leased || facts.mrContexts.get(node)?.has(prefix) ? ok : bad(`${prefix} is leased to nobody (released)`);
  }
  if (roles.includes('mr') && e.object === 'rule' && e.line.startsWith(REVERSE_RULE)) {
    if (!facts.mrReverse.get(node)?.has(`${prefix} ${e.iface} ${e.table}`)) return bad('its agent has no such reverse rule');
    return leased ? ok : bad(`${prefix} is leased to nobody (released)`);
  }
  if (roles.includes('mr') && e.object === 'rule' && e.line.startsWith(SERVED_SOURCE_RULE) && / lookup main\b/.test(e.line)) {
    if (!facts.mrServedSources?.get(node)?.has(`${prefix} ${e.iface}`)) return bad('its agent serves no node of this prefix on that link');
    return leased ? ok : bad(`${prefix} is leased to nobody (released)`);
  }
  return bad(`nothing on ${node} accounts for state of home prefix ${prefix}`);
}

function inRegional(subject: string, regional: readonly string[] | undefined): boolean {
  if (!regional?.length) return false;
  try {
    const a = parseAddress(subject.split('/')[0] as string);
    return regional.some((r) => contains(parsePrefix(r), a));
  } catch {
    return false;
  }
}

function canonicalPrefix(p: string): string | undefined {
  try {
    return formatPrefix(parsePrefix(p));
  } catch {
    return undefined;
  }
}
