import type { Plan } from '../plan/types.js';

/**
 * The plan as it runs with one Pod per node: every node is a host of its own,
 * so every link is VXLAN between two pods (one VNI per link) and a radio's
 * access-router end starts down unless the mobile node starts there (as for
 * radios between hosts, cli/plan/hosts.ts). Returns a copy; pure.
 */
export function podPlan(plan: Plan): Plan {
  const copy = structuredClone(plan);
  const iface = (e: { node: string; iface: string }) => copy.nodes.find((n) => n.name === e.node)?.interfaces.find((i) => i.name === e.iface);
  copy.links.forEach((l, i) => {
    l.vxlan = { vni: i + 1 };
    if (l.kind !== 'access') return;
    const [mnEnd, arEnd] = [iface(l.a), iface(l.b)];
    if (mnEnd && arEnd) arEnd.up = mnEnd.up;
  });
  return copy;
}
