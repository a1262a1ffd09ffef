import { createHash } from 'node:crypto';

/** Prefix of every namespace, container and Docker label value dmmlab owns. */
export const OWNER_PREFIX = 'dmm';

/** Network namespace (and container) name of a node: `dmm-<lab>-<node>`. */
export function netnsName(lab: string, node: string): string {
  return `${OWNER_PREFIX}-${lab}-${node}`;
}

/** Locally administered unicast MAC, stable for a (lab, node, interface) triple. */
export function macFor(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest();
  const bytes = [0x02, h[0], h[1], h[2], h[3], h[4]] as number[];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Name of the per-peer ip6tnl device an MR uses towards `peer`. */
export function tunnelIfName(peer: string): string {
  return `t-${peer}`;
}
