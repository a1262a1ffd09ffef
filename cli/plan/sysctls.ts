import type { PlanNode } from './types.js';

/**
 * Kernel settings of a node. Everything gets addresses without duplicate
 * address detection (the plan guarantees uniqueness, and DAD would hold
 * addresses tentative for a second). Routers forward and ignore router
 * advertisements. Mobile nodes are stock Linux hosts tuned for fast
 * attachment: solicit at once, keep their home addresses while a radio is
 * down, and ignore routes through a radio that has no carrier.
 */
export function sysctlsFor(node: PlanNode, mnMode: 'network' | 'client' | 'mipv6' = 'network'): Record<string, string> {
  const s: Record<string, string> = {};
  const isMn = node.roles.includes('mn');
  const isHost = isMn || node.roles.includes('cn');
  const both = (key: string, value: string) => {
    s[`net.ipv6.conf.all.${key}`] = value;
    s[`net.ipv6.conf.default.${key}`] = value;
  };
  both('accept_dad', '0');
  both('dad_transmits', '0');
  s['net.ipv6.icmp.ratelimit'] = '0';
  // Hosts say forwarding=0 explicitly: a namespace may inherit forwarding=1 from the host
  // (net.core.devconf_inherit_init_net), and a forwarding MN would ignore router advertisements.
  both('forwarding', isHost ? '0' : '1');
  if (!isHost) both('accept_ra', '0');
  if (node.roles.includes('mr')) both('seg6_enabled', '1');
  // An access router opens its signalling socket on each access link's link-local address when it
  // starts, before the link has a carrier (and so the address): a node's first binding update after
  // a move must find it open, not race the router's own reaction to the carrier.
  if (node.roles.includes('ar')) s['net.ipv6.ip_nonlocal_bind'] = '1';
  if (isMn) {
    both('accept_ra', '1');
    both('keep_addr_on_down', '1');
    both('router_solicitation_delay', '0');
    both('ignore_routes_with_linkdown', '1');
    // Mobile IPv6 with seg6: End.DX6 only forwards, so what it decapsulates for the node reaches
    // it through a veth hairpin, a forward out of the interface it came in on. Forwarding on those
    // interfaces only (not all.forwarding, which would stop router advertisements being accepted).
    if (mnMode === 'mipv6') both('force_forwarding', '1');
  }
  for (const iface of node.interfaces) {
    const c = `net.ipv6.conf.${iface.name}`;
    s[`${c}.accept_dad`] = '0';
    s[`${c}.dad_transmits`] = '0';
    if (node.roles.includes('mr')) s[`${c}.seg6_enabled`] = '1';
    if (isMn) {
      s[`${c}.accept_ra`] = '1';
      s[`${c}.keep_addr_on_down`] = '1';
      s[`${c}.router_solicitation_delay`] = '0';
      s[`${c}.ignore_routes_with_linkdown`] = '1';
      if (mnMode === 'mipv6') s[`${c}.force_forwarding`] = '1';
    }
  }
  return s;
}
