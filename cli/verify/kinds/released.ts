import { containsPrefix, parsePrefix } from '../../../shared/ipv6.js';
import { kernelMobilityRoutes } from '../../lab/kernel-reads.js';
import { mnAddresses } from '../../lab/mn-addresses.js';
import type { LabVerifier } from '../verifier.js';
import { mnIdOf } from './anchored-prefix.js';

/** Nothing in the lab (MR routes, LM bindings, HAA leases, the node's addresses) holds a mobile node's prefix anchored at an MR. */
export const releasedVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `${e.released?.mn ?? '?'}'s ${e.released?.anchor ?? '?'} prefix released`,
  async check(e, { session }) {
    if (!e.released) return [];
    const { mn, anchor } = e.released;
    const agg = session.node(anchor).anchor;
    if (!agg) return [{ what: `${anchor} anchor`, expected: 'an MR', measured: 'not an MR', ok: false }];
    const a = parsePrefix(agg);
    const inside = (p: string) => containsPrefix(a, parsePrefix(p));
    const id = mnIdOf(session, mn);
    const states = await session.allStates();
    const holders = [
      ...states
        .mrPrefixes()
        .filter((p) => inside(p.prefix))
        .map((p) => `${p.mr} routes ${p.prefix}`),
      ...states
        .bindings()
        .filter((b) => b.mnId === id && inside(b.prefix))
        .map((b) => `${b.lm} binding ${b.prefix}`),
      ...states
        .leases()
        .filter((l) => l.mnId === id && inside(l.prefix))
        .map((l) => `${l.haa} lease ${l.prefix}`),
    ];
    for (const mr of session.plan.nodes.filter((n) => n.roles.includes('mr'))) {
      for (const r of await kernelMobilityRoutes(session, mr.name)) if (inside(r)) holders.push(`${mr.name} kernel route ${r}`);
    }
    for (const addr of await mnAddresses(session, mn)) if (inside(`${addr.address}/128`)) holders.push(`${mn} address ${addr.address}`);
    return [
      {
        what: `state for ${mn}'s prefix anchored at ${anchor}`,
        expected: 'none left',
        measured: holders.length ? holders.join('; ') : 'none left',
        ok: holders.length === 0,
      },
    ];
  },
};
