import { contains, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import type { LabVerifier } from '../verifier.js';
import { prefixAnchoredAt } from './anchored-prefix.js';

/**
 * Mobile IPv6: where the home agent `ha` sends the node's home prefix and
 * what the node holds. `at` a visited access router: the home agent tunnels
 * the prefix to the node itself, whose care-of address lies in that link's
 * care-of prefix. `at` the home agent (or any router of the home network):
 * no binding, and the node holds no care-of address. With migrating home
 * agents `ha` is any of them (each holds every binding). HMIPv6: in a network
 * with a MAP the home agent's binding is to the node's regional care-of
 * address (in the MAP's prefix); with `ha` the MAP itself, the MAP's binding
 * of that regional address to the on-link one in `at`'s care-of prefix.
 */
export const homeBindingVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `home binding of ${e.homeBinding?.mn ?? '?'} at ${e.homeBinding?.at ?? '?'}`,
  async check(e, { session }) {
    if (!e.homeBinding) return [];
    const { mn, ha, at } = e.homeBinding;
    const states = await session.allStates();
    const m = session.plan.mobility;
    const node = states.role(mn, 'mn')?.mobileIpv6;
    const careOf = node?.careOf;
    const cell = session.node(at).interfaces.find((i) => i.peer.node === mn && i.kind === 'access');
    const map = m.domain.find((n) => n.name === session.node(at).network)?.map;
    if (map?.node === ha) {
      // The MAP: regional care-of address → on-link care-of address on `at`'s cell.
      const regional = node?.regionalCareOf;
      const entry = states.mrPrefixes().find((p) => p.mr === ha && p.servedBy === mn);
      const inCell = careOf !== undefined && cell?.careOf !== undefined && contains(parsePrefix(cell.careOf), parseAddress(careOf));
      return [
        {
          what: `${ha} (MAP) binding of ${mn}'s regional care-of address`,
          expected: regional ? `${regional}/128 tunnelled to ${mn}` : 'a regional care-of address',
          measured: entry ? `${entry.prefix} (${entry.route})` : 'none',
          ok: entry !== undefined && regional !== undefined && entry.prefix.split('/')[0] === regional,
        },
        { what: `${mn} on-link care-of address`, expected: `in ${cell?.careOf ?? '(no care-of prefix)'} (${at})`, measured: careOf ?? 'none', ok: inCell },
      ];
    }
    // A MAP of another network than `at`'s: it must hold nothing for the node any more.
    if (m.domain.some((n) => n.map?.node === ha)) {
      const entry = states.mrPrefixes().find((p) => p.mr === ha && p.servedBy === mn);
      return [
        {
          what: `${ha} (MAP) binding of ${mn}`,
          expected: `none (${mn} is not under ${ha})`,
          measured: entry ? `${entry.prefix} (${entry.route})` : 'none',
          ok: !entry,
        },
      ];
    }
    // Migrating home agents: every one holds the binding of a prefix its node's own network anchors.
    const mnNetwork = m.mns.find((x) => x.node === mn)?.network;
    const anchor = (m.homeAgents === 'migrating' ? m.domain.find((n) => n.name === mnNetwork)?.anchor : undefined) ?? ha;
    const prefix = prefixAnchoredAt(session, states, mn, anchor);
    if (!prefix) return [{ what: `${mn}'s home prefix anchored at ${anchor}`, expected: 'exists', measured: 'none', ok: false }];
    const entry = states.mrPrefixes().find((p) => p.mr === ha && p.prefix === prefix);
    if (!cell?.careOf) {
      return [
        { what: `${ha} binding of ${prefix}`, expected: 'none (home)', measured: entry?.servedBy ? `to ${entry.servedBy}` : 'none', ok: !entry?.servedBy },
        { what: `${mn} care-of address`, expected: 'none (home)', measured: careOf ?? 'none', ok: careOf === undefined },
      ];
    }
    const inCell = careOf !== undefined && contains(parsePrefix(cell.careOf), parseAddress(careOf));
    const results = [
      {
        what: `${ha} binding of ${prefix}`,
        expected: `tunnel to ${mn}`,
        measured: entry?.servedBy ? `to ${entry.servedBy} (${entry.route})` : 'none',
        ok: entry?.servedBy === mn,
      },
      { what: `${mn} care-of address`, expected: `in ${cell.careOf} (${at})`, measured: careOf ?? 'none', ok: inCell },
    ];
    if (map) {
      const regional = node?.regionalCareOf;
      results.push({
        what: `${mn} regional care-of address (what ${ha} tunnels to)`,
        expected: `in ${map.regional} (${map.node})`,
        measured: regional ?? 'none',
        ok: regional !== undefined && contains(parsePrefix(map.regional), parseAddress(regional)),
      });
    }
    return results;
  },
};
