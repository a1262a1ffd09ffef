import type { Plan, PlanLink } from '../plan/types.js';

/**
 * `ip -batch` lines (run in the host namespace) that create every veth pair of
 * the plan directly inside the two nodes' namespaces: nothing is ever left on
 * the host side, and deleting either namespace deletes the pair.
 */
export function vethCommands(plan: Plan, links: readonly PlanLink[] = plan.links): string[] {
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  return links.map((l) => {
    const a = nodes.get(l.a.node)!;
    const b = nodes.get(l.b.node)!;
    const ia = a.interfaces.find((i) => i.name === l.a.iface)!;
    const ib = b.interfaces.find((i) => i.name === l.b.iface)!;
    const mtu = (x: { mtu?: number }) => (x.mtu ? ` mtu ${x.mtu}` : '');
    return `link add name ${ia.name} index ${ia.ifindex} address ${ia.mac}${mtu(ia)} netns ${a.netns} type veth peer name ${ib.name} index ${ib.ifindex} address ${ib.mac}${mtu(ib)} netns ${b.netns}`;
  });
}
