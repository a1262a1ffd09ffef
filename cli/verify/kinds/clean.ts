import { formatAddress, formatPrefix, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import { loadKernelBaseline, readLabKernel } from '../../lab/kernel-baseline.js';
import { MOBILITY_TABLE, REVERSE_RULE_PRIORITY } from '../../lab/kernel-reads.js';
import type { KernelEntry } from '../../lab/kernel-snapshot.js';
import type { LabStates } from '../../lab/lab-states.js';
import type { LabSession } from '../../lab/session.js';
import { judgeKernel, type KernelDifference, type KernelFacts } from '../kernel-judge.js';
import type { LabVerifier } from '../verifier.js';

/** How many differences the report lists one by one (the rest are counted). */
const LISTED = 30;
/** How often the check reads the lab again when the agents' state changed while the kernels were read. */
const SETTLE_TRIES = 5;
const SETTLE_PAUSE_MS = 300;

/**
 * No stale state anywhere: every MR's kernel mobility routes and reverse rules
 * are exactly what its agent intends (nothing orphaned), no handover context
 * outlived the handover, nothing is held for a node that is attached
 * elsewhere, and every LM binding points at the MR where its node actually is.
 * Then every node's whole kernel state (mobile nodes included) against what
 * deploy left (recorded by the run) plus what the remaining leases, bindings
 * and visitors justify: each difference named by node, object and line.
 */
export const cleanVerifier: LabVerifier = {
  on: 'lab',
  name: () => 'no stale state',
  async check(_e, { session }) {
    const baseline = await loadKernelBaseline(session.lab);
    let states = await session.allStates();
    for (let i = 1; ; i++) {
      const end = await readLabKernel(session);
      const problems = agentStateProblems(session, states, end);
      // Judged only on a lab that held still while it was read: a release or refresh in flight at that
      // moment would show as a half-done difference. Read again until two reads agree (a few tries).
      const again = await session.allStates();
      if (settledKey(session, again) !== settledKey(session, states) && i < SETTLE_TRIES) {
        states = again;
        await new Promise((r) => setTimeout(r, SETTLE_PAUSE_MS));
        continue;
      }
      const differences = judgeKernel(baseline?.nodes, end, kernelFacts(session, states));
      return [
        {
          what: 'stale tunnels, routes, rules, bindings or contexts',
          expected: 'none',
          measured: problems.length ? problems.join('; ') : 'none',
          ok: problems.length === 0,
        },
        {
          what: `kernel state of every node against ${baseline ? 'deploy' : 'the agents (no baseline was recorded)'} and the remaining leases and bindings`,
          expected: 'no difference',
          measured: describeDifferences(differences),
          ok: differences.length === 0,
        },
      ];
    }
  },
};

/** What the agents hold that contradicts itself or the kernels' mobility routes and rules. */
function agentStateProblems(session: LabSession, states: LabStates, end: Readonly<Record<string, KernelEntry[]>>): string[] {
  const problems: string[] = [];
  const servingOf = states.servingByMnId();
  const nodeOf = new Map(session.plan.mobility.mns.map((m) => [m.id, m.node]));
  const nameOf = (id: string) => nodeOf.get(id);
  const prefixAt = states.deliveringByPrefix();
  for (const mr of session.plan.nodes.filter((n) => n.roles.includes('mr'))) {
    const mrState = states.role(mr.name, 'mr');
    const prefixes = mrState?.prefixes ?? [];
    // The kernel writes a /128 without its length.
    const norm = (p: string) => (p.endsWith('/128') ? p.slice(0, -4) : p);
    const intended = new Set(prefixes.filter((p) => p.route !== 'none').map((p) => norm(p.prefix)));
    const entries = end[mr.name] ?? [];
    const kernel = new Set(entries.flatMap((e) => (e.object === 'route' && e.table === String(MOBILITY_TABLE) && e.subject ? [norm(e.subject)] : [])));
    for (const r of kernel) if (!intended.has(r)) problems.push(`${mr.name}: kernel route ${r} that its agent does not intend`);
    for (const r of intended) if (!kernel.has(r)) problems.push(`${mr.name}: route ${r} missing from the kernel`);
    const intendedRules = new Set((mrState?.reverse ?? []).map((x) => x.prefix));
    for (const r of entries.flatMap((e) => (e.object === 'rule' && e.line.startsWith(`pref ${REVERSE_RULE_PRIORITY} `) && e.subject ? [e.subject] : [])))
      if (!intendedRules.has(r)) problems.push(`${mr.name}: reverse rule from ${r} that its agent does not intend`);
    for (const p of prefixes) {
      // A handover context is temporary by design; it is stale once its lifetime has run out.
      if (p.contextTo !== undefined && (p.contextExpiresInS ?? 0) <= 0) problems.push(`${mr.name}: handover context for ${p.prefix} outlived its lifetime`);
      if (p.hold) problems.push(`${mr.name}: ${p.prefix} held for a node between cells`);
      const at = prefixAt.get(p.prefix);
      if (p.servedBy !== undefined && at && p.servedBy !== at) problems.push(`${mr.name}: anchors ${p.prefix} for ${p.servedBy}, but its node is at ${at}`);
    }
  }
  for (const v of states.visitors().filter((x) => x.state === 'attached')) {
    const elsewhere = servingOf.get(v.mnId);
    if (elsewhere && elsewhere !== v.ar) problems.push(`${v.ar}: thinks ${v.mn} is attached but it is at ${elsewhere}`);
  }
  // A hierarchical entry is right when it names the LM proxy of the network where the node is, and that proxy knows where.
  const proxyServing = new Map<string, string>(); // proxy|mnId -> serving MR
  for (const e of states.proxyEntries().filter((x) => !x.departed)) {
    proxyServing.set(`${e.proxy}|${e.mnId}`, e.serving);
    const serving = servingOf.get(e.mnId);
    if (serving && e.serving !== serving) problems.push(`${e.proxy}: LM proxy entry of ${e.mnId} at ${e.serving}, but it is at ${serving}`);
    if (!serving) problems.push(`${e.proxy}: LM proxy entry of ${e.mnId}, which is attached nowhere`);
  }
  // A prefix its node gave up is released at its HAA too (the lease outliving it is stale).
  for (const l of states.leases()) {
    const mn = nameOf(l.mnId);
    if (mn && states.role(mn, 'mn')?.released.some((p) => p === l.prefix)) problems.push(`${l.haa}: lease of ${l.prefix} to ${l.mnId}, which released it`);
  }
  // Mobile IPv6: a node away from home is where its home agent's binding tunnels (to the node itself).
  const mobileNodes = new Set(nodeOf.values());
  const mrNames = new Set(session.plan.mobility.mrs.map((m) => m.node));
  const homeBound = new Set(states.mrPrefixes().flatMap((p) => (p.servedBy !== undefined && mobileNodes.has(p.servedBy) ? [`${p.mr}|${p.prefix}`] : [])));
  for (const b of states.bindings()) {
    const serving = servingOf.get(b.mnId);
    const viaProxy = proxyServing.get(`${b.mr}|${b.mnId}`);
    if (homeBound.has(`${b.mr}|${b.prefix}`)) continue;
    // Migrating home agents: the LM replicas bind the prefix to the node's care-of address itself.
    if (!mrNames.has(b.mr)) {
      const mn = nameOf(b.mnId);
      const careOf = mn ? states.role(mn, 'mn')?.mobileIpv6?.careOf : undefined;
      if (careOf === undefined || formatAddress(parseAddress(careOf)) !== formatAddress(parseAddress(b.location)))
        problems.push(`${b.lm}: binding ${b.prefix} to care-of address ${b.location}, but ${b.mnId}'s care-of address is ${careOf ?? 'none (home)'}`);
      continue;
    }
    if (serving && b.mr !== serving && viaProxy !== serving) problems.push(`${b.lm}: binding ${b.prefix} at ${b.mr}, but ${b.mnId} is at ${serving}`);
  }
  return problems;
}

/** What the agents' state justifies in the kernels, for the judge. */
export function kernelFacts(session: LabSession, states: LabStates): KernelFacts {
  const canon = (p: string) => formatPrefix(parsePrefix(p));
  const nameOf = new Map(session.plan.mobility.mns.map((m) => [m.id, m.node]));
  const mrRoutes = new Map<string, Set<string>>();
  const mrReverse = new Map<string, Set<string>>();
  const mrContexts = new Map<string, Set<string>>();
  for (const p of states.mrPrefixes()) {
    if (p.route !== 'none') mrRoutes.set(p.mr, (mrRoutes.get(p.mr) ?? new Set()).add(canon(p.prefix)));
    if (p.contextTo !== undefined && (p.contextExpiresInS ?? 0) > 0) mrContexts.set(p.mr, (mrContexts.get(p.mr) ?? new Set()).add(canon(p.prefix)));
  }
  const mrServedSources = new Map<string, Set<string>>();
  for (const r of states.servedSources()) mrServedSources.set(r.mr, (mrServedSources.get(r.mr) ?? new Set()).add(`${canon(r.prefix)} ${r.iface}`));
  for (const r of states.reverseRules()) mrReverse.set(r.mr, (mrReverse.get(r.mr) ?? new Set()).add(`${canon(r.prefix)} ${r.iface} ${r.table}`));
  const access = new Map<string, Map<string, { prefixes: Set<string>; attached: boolean }>>();
  for (const v of states.visitors()) {
    const links = access.get(v.ar) ?? new Map<string, { prefixes: Set<string>; attached: boolean }>();
    access.set(v.ar, links);
    const l = links.get(v.iface) ?? { prefixes: new Set<string>(), attached: false };
    links.set(v.iface, l);
    for (const p of v.prefixes) l.prefixes.add(canon(p.prefix));
    if (v.state === 'attached') l.attached = true;
  }
  return {
    pools: session.plan.networks.map((n) => n.pool),
    roles: Object.fromEntries(session.plan.nodes.map((n) => [n.name, n.roles])),
    radios: Object.fromEntries(
      session.plan.nodes.filter((n) => n.roles.includes('mn')).map((n) => [n.name, n.interfaces.filter((i) => i.kind === 'access').map((i) => i.name)]),
    ),
    leases: new Map(states.leases().map((l) => [canon(l.prefix), nameOf.get(l.mnId) ?? l.mnId])),
    released: new Map(
      states.nodes.flatMap((n) => {
        const mn = states.role(n, 'mn');
        return mn ? [[n, new Set(mn.released.map(canon))] as const] : [];
      }),
    ),
    mrRoutes,
    mrContexts,
    mrReverse,
    mrServedSources,
    access,
    careOf: new Map(
      session.plan.nodes.flatMap((n) => {
        const links = n.interfaces.flatMap((i) => (i.careOf ? [[i.name, canon(i.careOf)] as const] : []));
        return links.length ? [[n.name, new Map(links)] as const] : [];
      }),
    ),
    regional: session.plan.networks.flatMap((n) => (n.regional ? [n.regional] : [])),
    away: new Set(states.nodes.filter((n) => states.role(n, 'mn')?.mobileIpv6?.careOf !== undefined)),
  };
}

/** What must not change between two reads for the lab to count as holding still (lifetimes left out). */
export function settledKey(session: LabSession, states: LabStates): string {
  const f = kernelFacts(session, states);
  const bindings = states
    .bindings()
    .map((b) => `${b.lm} ${b.prefix} ${b.mr}`)
    .sort();
  // Sorted throughout: agents answer in any order, and the maps are filled in that order.
  const byKey = (a: [unknown, unknown], b: [unknown, unknown]) => String(a[0]).localeCompare(String(b[0]));
  return JSON.stringify({ f, bindings }, (_k, v: unknown) => (v instanceof Map ? [...v].sort(byKey) : v instanceof Set ? [...v].sort() : v));
}

/** `mn1 route 2001:db8:2:8000::/64 dev mr11 proto kernel: left (prefix leased to nobody)`, the first few, then a count. */
export function describeDifferences(d: readonly KernelDifference[]): string {
  if (d.length === 0) return 'none';
  const listed = d.slice(0, LISTED).map((x) => `${x.node} ${x.object} ${x.line}: ${x.kind === 'left' ? 'left' : 'missing'} (${x.why})`);
  return listed.join('; ') + (d.length > LISTED ? `; and ${d.length - LISTED} more` : '');
}
