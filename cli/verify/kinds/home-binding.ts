import { contains, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import type { LabVerifier } from '../verifier.js';
import { prefixAnchoredAt } from './anchored-prefix.js';

/**
 * Mobile IPv6: where the home agent `ha` sends the node's home prefix and
 * what the node holds. `at` a visited access router: the home agent tunnels
 * the prefix to the node itself, whose care-of address lies in that link's
 * care-of prefix. `at` the home agent (or any router of the home network):
 * no binding, and the node holds no care-of address. With migrating home
 * agents `ha` is any of them (each holds every binding).
 */
export const homeBindingVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `home binding of ${e.homeBinding?.mn ?? '?'} at ${e.homeBinding?.at ?? '?'}`,
  async check(e, { session }) {
    if (!e.homeBinding) return [];
    const { mn, ha, at } = e.homeBinding;
    const states = await session.allStates();
    // Migrating home agents: every one holds the binding of a prefix its node's own network anchors.
    const m = session.plan.mobility;
    const mnNetwork = m.mns.find((x) => x.node === mn)?.network;
    const anchor = (m.homeAgents === 'migrating' ? m.domain.find((n) => n.name === mnNetwork)?.anchor : undefined) ?? ha;
    const prefix = prefixAnchoredAt(session, states, mn, anchor);
    if (!prefix) return [{ what: `${mn}'s home prefix anchored at ${anchor}`, expected: 'exists', measured: 'none', ok: false }];
    const entry = states.mrPrefixes().find((p) => p.mr === ha && p.prefix === prefix);
    const careOf = states.role(mn, 'mn')?.mobileIpv6?.careOf;
    const cell = session.node(at).interfaces.find((i) => i.peer.node === mn && i.kind === 'access');
    if (!cell?.careOf) {
      return [
        { what: `${ha} binding of ${prefix}`, expected: 'none (home)', measured: entry?.servedBy ? `to ${entry.servedBy}` : 'none', ok: !entry?.servedBy },
        { what: `${mn} care-of address`, expected: 'none (home)', measured: careOf ?? 'none', ok: careOf === undefined },
      ];
    }
    const inCell = careOf !== undefined && contains(parsePrefix(cell.careOf), parseAddress(careOf));
    return [
      {
        what: `${ha} binding of ${prefix}`,
        expected: `tunnel to ${mn}`,
        measured: entry?.servedBy ? `to ${entry.servedBy} (${entry.route})` : 'none',
        ok: entry?.servedBy === mn,
      },
      { what: `${mn} care-of address`, expected: `in ${cell.careOf} (${at})`, measured: careOf ?? 'none', ok: inCell },
    ];
  },
};
