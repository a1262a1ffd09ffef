import { containsPrefix, parsePrefix } from '../../shared/ipv6.js';
import { DmmlabError } from '../errors.js';
import type { LabSession } from '../lab/session.js';
import { run } from '../util/exec.js';
import type { Progress } from '../util/progress.js';
import type { CheckResult } from '../scenario/results.js';

type Row = Record<string, unknown>;
const arr = (v: unknown): Row[] => (Array.isArray(v) ? (v as Row[]) : []);
const roleState = (states: Record<string, Row>, node: string, role: string) => ((states[node]?.roles as Row | undefined)?.[role] as Row | undefined) ?? {};

/** Home addresses a mobile node holds now (global addresses in the domain's pools). */
export async function mnAddresses(session: LabSession, mn: string): Promise<{ address: string; deprecated: boolean }[]> {
  const n = session.node(mn);
  const r = await run(['ip', '-j', '-n', n.netns, '-6', 'address', 'show', 'scope', 'global'], { allowFailure: true });
  const pools = session.plan.networks.map((x) => parsePrefix(x.pool));
  const list = (JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string; deprecated?: boolean; preferred_life_time?: number }[] }[])
    .flatMap((l) => l.addr_info ?? [])
    .filter((a): a is { local: string; deprecated?: boolean; preferred_life_time?: number } => typeof a.local === 'string' && a.local.includes(':'));
  const seen = new Set<string>();
  return list
    .filter((a) => pools.some((p) => containsPrefix(p, { addr: parsePrefix(`${a.local}/128`).addr, len: 128 })))
    .filter((a) => (seen.has(a.local) ? false : (seen.add(a.local), true)))
    .map((a) => ({ address: a.local, deprecated: Boolean(a.deprecated) || a.preferred_life_time === 0 }));
}

/** The mobile node's prefix anchored at `anchor` (from what the agents hold), if any. */
function prefixAnchoredAt(session: LabSession, states: Record<string, Row>, mnName: string, anchor: string): string | undefined {
  const agg = session.node(anchor).anchor;
  if (!agg) return undefined;
  const a = parsePrefix(agg);
  const mnId = session.plan.mobility.mns.find((m) => m.node === mnName)?.id;
  for (const node of Object.keys(states)) {
    for (const l of arr(roleState(states, node, 'haa').leases))
      if (l.mnId === mnId && containsPrefix(a, parsePrefix(String(l.prefix)))) return String(l.prefix);
    for (const v of arr(roleState(states, node, 'ar').visitors)) {
      if (v.mn !== mnName) continue;
      for (const p of arr(v.prefixes)) if (containsPrefix(a, parsePrefix(String(p.prefix)))) return String(p.prefix);
    }
  }
  return undefined;
}

export async function checkAttached(session: LabSession, mn: string, ar: string): Promise<CheckResult[]> {
  const radios = await session.attachedTo(mn);
  const states = await session.allStates();
  const visitor = arr(roleState(states, ar, 'ar').visitors).find((v) => v.mn === mn);
  return [
    {
      what: `${mn} radio to ${ar}`,
      expected: 'up',
      measured: radios.includes(ar) ? 'up' : `down (up: ${radios.join(', ') || 'none'})`,
      ok: radios.includes(ar),
    },
    { what: `${ar} sees ${mn}`, expected: 'attached', measured: String(visitor?.state ?? 'unknown'), ok: visitor?.state === 'attached' },
  ];
}

export async function checkBinding(session: LabSession, mn: string, anchor: string, at: string): Promise<CheckResult[]> {
  const states = await session.allStates();
  const prefix = prefixAnchoredAt(session, states, mn, anchor);
  if (!prefix) return [{ what: `${mn}'s prefix anchored at ${anchor}`, expected: 'exists', measured: 'none', ok: false }];
  const lm = session.plan.networks.find((n) => n.name === session.node(anchor).network)?.lm;
  const binding = lm ? arr(roleState(states, lm, 'lm').bindings).find((b) => b.prefix === prefix) : undefined;
  const where = binding ? String(binding.mr) : 'no binding';
  return [{ what: `LM ${lm ?? '?'} binding of ${prefix}`, expected: `at ${at}`, measured: `at ${where}`, ok: where === at }];
}

/** The LM proxy `proxy` tracks mobile node `mn` at MR `at` (hierarchical LM entry). */
export async function checkProxied(session: LabSession, mn: string, proxy: string, at: string): Promise<CheckResult[]> {
  const states = await session.allStates();
  const mnId = session.plan.mobility.mns.find((m) => m.node === mn)?.id;
  const entry = arr(roleState(states, proxy, 'mr').lmProxy).find((e) => e.mnId === mnId && !e.departed);
  const where = entry ? String(entry.serving) : 'no entry';
  return [{ what: `LM proxy ${proxy} entry of ${mn}`, expected: `at ${at}`, measured: `at ${where}`, ok: where === at }];
}

/** Nothing anywhere still holds the mobile node's prefix anchored at `anchor`. */
export async function checkReleased(session: LabSession, mn: string, anchor: string): Promise<CheckResult[]> {
  const agg = session.node(anchor).anchor;
  if (!agg) return [{ what: `${anchor} anchor`, expected: 'an MR', measured: 'not an MR', ok: false }];
  const a = parsePrefix(agg);
  const mnId = session.plan.mobility.mns.find((m) => m.node === mn)?.id;
  const states = await session.allStates();
  const holders: string[] = [];
  for (const [node, st] of Object.entries(states)) {
    const roles = (st.roles as Row | undefined) ?? {};
    for (const p of arr((roles.mr as Row | undefined)?.prefixes))
      if (containsPrefix(a, parsePrefix(String(p.prefix)))) holders.push(`${node} routes ${String(p.prefix)}`);
    for (const b of arr((roles.lm as Row | undefined)?.bindings))
      if (b.mnId === mnId && containsPrefix(a, parsePrefix(String(b.prefix)))) holders.push(`${node} binding ${String(b.prefix)}`);
    for (const l of arr((roles.haa as Row | undefined)?.leases))
      if (l.mnId === mnId && containsPrefix(a, parsePrefix(String(l.prefix)))) holders.push(`${node} lease ${String(l.prefix)}`);
  }
  for (const mr of session.plan.nodes.filter((n) => n.roles.includes('mr'))) {
    for (const r of await kernelMobilityRoutes(mr.netns)) if (containsPrefix(a, parsePrefix(r))) holders.push(`${mr.name} kernel route ${r}`);
  }
  for (const addr of await mnAddresses(session, mn))
    if (containsPrefix(a, { addr: parsePrefix(`${addr.address}/128`).addr, len: 128 })) holders.push(`${mn} address ${addr.address}`);
  return [
    {
      what: `state for ${mn}'s prefix anchored at ${anchor}`,
      expected: 'none left',
      measured: holders.length ? holders.join('; ') : 'none left',
      ok: holders.length === 0,
    },
  ];
}

async function kernelMobilityRoutes(netns: string): Promise<string[]> {
  const r = await run(['ip', '-j', '-n', netns, '-6', 'route', 'show', 'table', '100'], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { dst: string }[]).map((x) => (x.dst.includes('/') ? x.dst : `${x.dst}/128`));
}

async function kernelReverseRules(netns: string): Promise<string[]> {
  const r = await run(['ip', '-j', '-n', netns, '-6', 'rule', 'show'], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { priority: number; src?: string; srclen?: number }[])
    .filter((x) => x.priority === 1100 && x.src)
    .map((x) => `${x.src}/${x.srclen ?? 128}`);
}

/**
 * No stale state anywhere: every MR's kernel mobility routes and reverse rules
 * are exactly what its agent intends (nothing orphaned), no handover context
 * outlived the handover, nothing is held for a node that is attached
 * elsewhere, and every LM binding points at the MR where its node actually is.
 */
export async function checkClean(session: LabSession): Promise<CheckResult[]> {
  const states = await session.allStates();
  const problems: string[] = [];
  const servingOf = new Map<string, string>(); // mnId -> AR where attached
  const prefixAt = new Map<string, string>(); // home prefix of an attached node -> its AR
  for (const [node, st] of Object.entries(states)) {
    for (const v of arr(roleState({ [node]: st }, node, 'ar').visitors)) {
      if (v.state !== 'attached') continue;
      servingOf.set(String(v.mnId), node);
      for (const p of arr(v.prefixes)) prefixAt.set(String(p.prefix), node);
    }
  }
  for (const mr of session.plan.nodes.filter((n) => n.roles.includes('mr'))) {
    const mrState = roleState(states, mr.name, 'mr');
    const intended = new Set(
      arr(mrState.prefixes)
        .filter((p) => p.route !== 'none')
        .map((p) => String(p.prefix)),
    );
    const kernel = new Set(await kernelMobilityRoutes(mr.netns));
    for (const r of kernel) if (!intended.has(r)) problems.push(`${mr.name}: kernel route ${r} that its agent does not intend`);
    for (const r of intended) if (!kernel.has(r)) problems.push(`${mr.name}: route ${r} missing from the kernel`);
    const rules = await kernelReverseRules(mr.netns);
    const intendedRules = new Set(arr(mrState.reverse).map((x) => String(x.prefix)));
    for (const r of rules) if (!intendedRules.has(r)) problems.push(`${mr.name}: reverse rule from ${r} that its agent does not intend`);
    for (const p of arr(mrState.prefixes)) {
      // A handover context is temporary by design; it is stale once its lifetime has run out.
      if (p.contextTo !== undefined && Number(p.contextExpiresInS ?? 0) <= 0)
        problems.push(`${mr.name}: handover context for ${String(p.prefix)} outlived its lifetime`);
      if (p.hold) problems.push(`${mr.name}: ${String(p.prefix)} held for a node between cells`);
      const at = prefixAt.get(String(p.prefix));
      if (p.servedBy !== undefined && at && p.servedBy !== at)
        problems.push(`${mr.name}: anchors ${String(p.prefix)} for ${String(p.servedBy)}, but its node is at ${at}`);
    }
    const visitors = arr(roleState(states, mr.name, 'ar').visitors);
    for (const v of visitors.filter((x) => x.state === 'attached')) {
      const elsewhere = servingOf.get(String(v.mnId));
      if (elsewhere && elsewhere !== mr.name) problems.push(`${mr.name}: thinks ${String(v.mn)} is attached but it is at ${elsewhere}`);
    }
  }
  // A hierarchical entry is right when it names the LM proxy of the network where the node is, and that proxy knows where.
  const proxyServing = new Map<string, string>(); // proxy|mnId -> serving MR
  for (const [node] of Object.entries(states)) {
    for (const e of arr(roleState(states, node, 'mr').lmProxy)) {
      if (e.departed) continue;
      proxyServing.set(`${node}|${String(e.mnId)}`, String(e.serving));
      const serving = servingOf.get(String(e.mnId));
      if (serving && e.serving !== serving) problems.push(`${node}: LM proxy entry of ${String(e.mnId)} at ${String(e.serving)}, but it is at ${serving}`);
      if (!serving) problems.push(`${node}: LM proxy entry of ${String(e.mnId)}, which is attached nowhere`);
    }
  }
  for (const [node] of Object.entries(states)) {
    for (const b of arr(roleState(states, node, 'lm').bindings)) {
      const serving = servingOf.get(String(b.mnId));
      const viaProxy = proxyServing.get(`${String(b.mr)}|${String(b.mnId)}`);
      if (serving && b.mr !== serving && viaProxy !== serving)
        problems.push(`${node}: binding ${String(b.prefix)} at ${String(b.mr)}, but ${String(b.mnId)} is at ${serving}`);
    }
  }
  return [
    {
      what: 'stale tunnels, routes, rules, bindings or contexts',
      expected: 'none',
      measured: problems.length ? problems.join('; ') : 'none',
      ok: problems.length === 0,
    },
  ];
}

/** Mobile nodes attached at start have their home address before the first step. */
export async function waitForHomeAddresses(session: LabSession, progress: Progress): Promise<void> {
  const mns = session.plan.mobility.mns.filter((m) => m.start);
  const deadline = Date.now() + 10_000;
  for (const m of mns) {
    while ((await mnAddresses(session, m.node)).length === 0) {
      if (Date.now() > deadline)
        throw new DmmlabError('E_TIMEOUT', `${m.node} got no home address from ${m.start} within 10 s (see dmmlab logs ${session.lab} ${m.start})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (mns.length) progress.info(`${mns.map((m) => m.node).join(', ')} attached with home addresses`);
}
