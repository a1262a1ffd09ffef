import { formatAddress, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { encapVia } from '../../kernel/bpf-files.js';
import { ANCHOR_DEVICE } from '../../kernel/tunnel-driver.js';
import type { TunnelDriverName } from '../../../shared/control/tunnel-drivers.js';

/**
 * The mobile node's kernel for Hierarchical Mobile IPv6 (RFC 5380; Chan
 * framework figure 4): two tunnels, one inside the other. The outer one runs
 * between the on-link care-of address (LCoA) and the MAP, the inner one
 * between the regional care-of address (RCoA) and the home agent; what the
 * node sends from its home address goes into the inner one, whose packets go
 * into the outer one. Downlink arrives as [MAP → LCoA][HA → RCoA][CN → HoA]
 * and is decapsulated twice.
 *
 * ip6tnl: a device per tunnel (`hmip6` LCoA ↔ MAP, `mip6` RCoA ↔ HA), the
 * home agent routed through `hmip6`. seg6: one `sr tunsrc` cannot source both
 * tunnels, so it is cleared and each outer source is chosen by source address
 * selection from the route's device: the RCoA sits on `dmm0`, the device of
 * the inner tunnel's default route; the LCoA on the radio, the device of the
 * home agent's route, encapsulated again towards the MAP. End.DX6 for each
 * care-of address in table 90, looked up by a rule before the local table.
 */

export const HMIP_OUTER_DEVICE = 'hmip6';

/**
 * seg6 End.DX6 never delivers locally (the kernel drops what it decapsulates for a local address),
 * so a Mobile IPv6 node sends what it decapsulates to this next hop: a neighbour on `dmm0` whose
 * link-layer address is `dmm1`'s, the veth's other end in the same node. The packet comes back in
 * through `dmm1` and is received (or decapsulated once more) as any packet would be. Forwarding it
 * takes per-interface forwarding on the way in (the plan's force_forwarding for Mobile IPv6 nodes).
 */
export const HAIRPIN = 'fd00:6d69:7036::1';
export const HAIRPIN_MAC = '02:00:6d:69:70:36';

/** The veth pair of a Mobile IPv6 node with seg6, and its hairpin (see HAIRPIN). */
export function hairpinLines(): string[] {
  return [
    `link add dmm0 type veth peer name dmm1 address ${HAIRPIN_MAC}`,
    'link set dmm0 up',
    'link set dmm1 up',
    `route replace ${HAIRPIN}/128 dev dmm0`,
    `neigh replace ${HAIRPIN} lladdr ${HAIRPIN_MAC} dev dmm0 nud permanent`,
  ];
}
const INNER_DEVICE = 'mip6';
const DECAP_TABLE = 90;
/** Rules of the two decapsulations (LCoA, then RCoA): before the local table, which moves to 100. */
const DECAP_OUTER_PREF = 50;
const DECAP_INNER_PREF = 51;
const LOCAL_RULE_PREF = 100;
const TUNNEL_DEFAULT_METRIC = 10;

export interface HmipPlace {
  driver: TunnelDriverName;
  /** Where the bpf driver's object files go (the agent's work directory). */
  workDir?: string;
  iface: string;
  arLinkLocal: string;
  /** On-link care-of address (LCoA) and regional one (RCoA). */
  careOf: string;
  regional: string;
  homeAddresses: string[];
  homeAgent: MrInfo;
  map: MrInfo;
}

/** The regional care-of address: the MAP's regional /64 with the on-link address's interface identifier. */
export function regionalAddress(regionalPrefix: string, onLink: string): string {
  const low = parseAddress(onLink) & ((1n << 64n) - 1n);
  return formatAddress(parsePrefix(regionalPrefix).addr | low);
}

/**
 * Lines that put the node's tunnels in place at `to`, from scratch (`from`
 * undefined: the node's plain state, or a teardown just before) or from an
 * earlier place in the same MAP's domain (same RCoA, home agent and MAP).
 */
export function hmipTunnelLines(to: HmipPlace, from?: HmipPlace): string[] {
  const hoa = to.homeAddresses[0]!;
  const lines = to.homeAddresses.map((h) => `address replace ${h}/128 dev lo`);
  if (to.driver === 'ip6tnl') {
    if (from) lines.push(`link del ${HMIP_OUTER_DEVICE}`, `route del ${from.map.address}/128`);
    else
      lines.push(
        `address replace ${to.regional}/128 dev lo`,
        `link add ${INNER_DEVICE} type ip6tnl mode ip6ip6 local ${to.regional} remote ${to.homeAgent.address} encaplimit none hoplimit 64`,
        `link set ${INNER_DEVICE} mtu 1420 up`,
      );
    lines.push(
      `route replace ${to.map.address}/128 via ${to.arLinkLocal} dev ${to.iface}`,
      `link add ${HMIP_OUTER_DEVICE} type ip6tnl mode ip6ip6 local ${to.careOf} remote ${to.map.address} encaplimit none hoplimit 64`,
      `link set ${HMIP_OUTER_DEVICE} mtu 1460 up`,
      `route replace ${to.homeAgent.address}/128 dev ${HMIP_OUTER_DEVICE}`,
      `route replace default dev ${INNER_DEVICE} src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
    );
    return lines;
  }
  if (to.driver === 'bpf') {
    // The radios decapsulate both headers on the way in (mn-role.ts); routes' programs encapsulate,
    // the inner tunnel's packets again into the outer one.
    const dir = to.workDir ?? '.';
    if (!from) lines.push(...ANCHOR_DEVICE, `address replace ${to.regional}/128 dev dmm0 nodad`);
    lines.push(
      `route replace ${to.map.address}/128 via ${to.arLinkLocal} dev ${to.iface}`,
      `route replace ${to.map.tunnelEndpoint}/128 via ${to.arLinkLocal} dev ${to.iface}`,
      `route replace ${to.homeAgent.tunnelEndpoint}/128 ${encapVia(dir, to.careOf, to.map.tunnelEndpoint, to.iface)}`,
      `route replace ${to.homeAgent.address}/128 ${encapVia(dir, to.careOf, to.map.tunnelEndpoint, to.iface)}`,
      `route replace default ${encapVia(dir, to.regional, to.homeAgent.tunnelEndpoint, 'dmm0')} src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
    );
    return lines;
  }
  if (from) lines.push(`rule del pref ${DECAP_OUTER_PREF}`, `route del ${from.careOf}/128 table ${DECAP_TABLE}`);
  else
    lines.push(
      ...hairpinLines(),
      `rule add pref ${LOCAL_RULE_PREF} lookup local`,
      'rule del pref 0 lookup local',
      'sr tunsrc set ::',
      `address replace ${to.regional}/128 dev dmm0 nodad`,
      `route replace ${to.regional}/128 encap seg6local action End.DX6 nh6 ${HAIRPIN} dev dmm0 table ${DECAP_TABLE}`,
      `rule add pref ${DECAP_INNER_PREF} to ${to.regional}/128 ipproto 41 lookup ${DECAP_TABLE}`,
    );
  lines.push(
    `route replace ${to.careOf}/128 encap seg6local action End.DX6 nh6 ${HAIRPIN} dev dmm0 table ${DECAP_TABLE}`,
    `rule add pref ${DECAP_OUTER_PREF} to ${to.careOf}/128 ipproto 41 lookup ${DECAP_TABLE}`,
    `route replace ${to.map.address}/128 via ${to.arLinkLocal} dev ${to.iface}`,
    `route replace ${to.map.tunnelEndpoint}/128 via ${to.arLinkLocal} dev ${to.iface}`,
    // The inner tunnel's packets (to the home agent) go into the outer one, sourced from the LCoA on the radio.
    `route replace ${to.homeAgent.tunnelEndpoint}/128 encap seg6 mode encap.red segs ${to.map.tunnelEndpoint} dev ${to.iface}`,
    `route replace ${to.homeAgent.address}/128 encap seg6 mode encap.red segs ${to.map.tunnelEndpoint} dev ${to.iface}`,
    `route replace default encap seg6 mode encap.red segs ${to.homeAgent.tunnelEndpoint} dev dmm0 src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
  );
  return lines;
}

/** Everything hmipTunnelLines made, so that the node is as deployed again. */
export function hmipTeardownLines(p: HmipPlace): string[] {
  const lines = [`route del ${p.map.address}/128`];
  if (p.driver === 'ip6tnl') lines.push(`link del ${HMIP_OUTER_DEVICE}`, `link del ${INNER_DEVICE}`, `address del ${p.regional}/128 dev lo`);
  // The veth pair takes the default route and the RCoA with it.
  else if (p.driver === 'bpf')
    lines.push(`route del ${p.map.tunnelEndpoint}/128`, `route del ${p.homeAgent.tunnelEndpoint}/128`, `route del ${p.homeAgent.address}/128`, 'link del dmm0');
  else
    lines.push(
      `route del ${p.map.tunnelEndpoint}/128`,
      `route del ${p.homeAgent.tunnelEndpoint}/128`,
      `route del ${p.homeAgent.address}/128`,
      // The veth pair takes its routes (the default, both decapsulations) and the RCoA with it.
      'link del dmm0',
      `rule del pref ${DECAP_OUTER_PREF}`,
      `rule del pref ${DECAP_INNER_PREF}`,
      'rule add pref 0 lookup local',
      `rule del pref ${LOCAL_RULE_PREF}`,
    );
  lines.push(...p.homeAddresses.map((h) => `address del ${h}/128 dev lo`));
  return lines;
}
