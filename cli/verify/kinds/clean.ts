import { kernelMobilityRoutes, kernelReverseRules } from '../../lab/kernel-reads.js';
import type { LabVerifier } from '../verifier.js';

/**
 * No stale state anywhere: every MR's kernel mobility routes and reverse rules
 * are exactly what its agent intends (nothing orphaned), no handover context
 * outlived the handover, nothing is held for a node that is attached
 * elsewhere, and every LM binding points at the MR where its node actually is.
 */
export const cleanVerifier: LabVerifier = {
  on: 'lab',
  name: () => 'no stale state',
  async check(_e, { session }) {
    const states = await session.allStates();
    const problems: string[] = [];
    const servingOf = states.servingByMnId();
    const prefixAt = states.deliveringByPrefix();
    for (const mr of session.plan.nodes.filter((n) => n.roles.includes('mr'))) {
      const mrState = states.role(mr.name, 'mr');
      const prefixes = mrState?.prefixes ?? [];
      const intended = new Set(prefixes.filter((p) => p.route !== 'none').map((p) => p.prefix));
      const kernel = new Set(await kernelMobilityRoutes(session, mr.name));
      for (const r of kernel) if (!intended.has(r)) problems.push(`${mr.name}: kernel route ${r} that its agent does not intend`);
      for (const r of intended) if (!kernel.has(r)) problems.push(`${mr.name}: route ${r} missing from the kernel`);
      const intendedRules = new Set((mrState?.reverse ?? []).map((x) => x.prefix));
      for (const r of await kernelReverseRules(session, mr.name))
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
    for (const b of states.bindings()) {
      const serving = servingOf.get(b.mnId);
      const viaProxy = proxyServing.get(`${b.mr}|${b.mnId}`);
      if (serving && b.mr !== serving && viaProxy !== serving) problems.push(`${b.lm}: binding ${b.prefix} at ${b.mr}, but ${b.mnId} is at ${serving}`);
    }
    return [
      {
        what: 'stale tunnels, routes, rules, bindings or contexts',
        expected: 'none',
        measured: problems.length ? problems.join('; ') : 'none',
        ok: problems.length === 0,
      },
    ];
  },
};
