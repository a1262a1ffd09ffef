import type { PlanNode } from '../plan/types.js';

/** Everything that configures one node from inside its namespace. */
export interface NodeSetup {
  /** [path under /proc/sys, value], applied first (before interfaces come up). */
  sysctls: [string, string][];
  /** `ip -batch` lines: addresses, interface state, routes. */
  ip: string[];
}

/**
 * Sysctls a kernel may not have, set where it does (a path marked with a leading `?`):
 * per-interface forwarding (Linux 6.17) only serves a Mobile IPv6 node's decapsulation with seg6,
 * and a kernel without it has ip6tnl or no seg6 for that anyway.
 */
const OPTIONAL_SYSCTL = /\.force_forwarding$/;

/**
 * Builds a node's configuration from its plan entry (pure). Sysctls come
 * first so that interfaces come up without duplicate address detection;
 * addresses are added `nodad`; routes last, once their next hops are on link.
 */
export function nodeSetup(node: PlanNode): NodeSetup {
  const sysctls = Object.entries(node.sysctls).map(([k, v]) => [`${OPTIONAL_SYSCTL.test(k) ? '?' : ''}${k.replaceAll('.', '/')}`, v] as [string, string]);
  const ip: string[] = ['link set dev lo up'];
  if (node.loopback) ip.push(`address add ${node.loopback}/128 dev lo`);
  for (const i of node.interfaces) {
    for (const a of i.addresses) ip.push(`address add ${a} dev ${i.name} nodad`);
    if (i.up) ip.push(`link set dev ${i.name} up`);
  }
  // Destinations are IPv6 prefixes (the default is written ::/0), so ip needs no -6 inside a batch.
  for (const r of node.routes) {
    if (r.type === 'unreachable') ip.push(`route add unreachable ${r.dst}`);
    else ip.push(`route add ${r.dst} via ${r.via} dev ${r.dev}`);
  }
  return { sysctls, ip };
}
