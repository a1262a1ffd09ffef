import { toVxlan } from '../plan/hosts.js';
import type { Plan } from '../plan/types.js';

/**
 * The plan as it runs with one Pod per node: every node is a host of its own,
 * so every link is VXLAN between two pods (one VNI per link) and a radio's
 * access-router end starts down unless the mobile node starts there (as for
 * radios between hosts, cli/plan/hosts.ts). Returns a copy; pure.
 */
export function podPlan(plan: Plan): Plan {
  const copy = structuredClone(plan);
  copy.links.forEach((l, i) => toVxlan(l, i + 1, copy.nodes));
  return copy;
}
