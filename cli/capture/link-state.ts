import { DmmlabError } from '../errors.js';
import type { NodeAccess } from '../runtime/runtime.js';

/** An interface as the kernel sees it now inside a node. */
export interface LinkState {
  /** Interface name inside the node. */
  name: string;
  /** Kernel interface index (in the node's namespace). */
  ifindex: number;
  /** Administratively up (IFF_UP); a veth whose peer is down is up without carrier. */
  up: boolean;
}

/** Every interface of a node, by name. */
export async function nodeLinks(node: NodeAccess): Promise<Map<string, LinkState>> {
  const r = await node.run(['ip', '-j', 'link', 'show']);
  if (r.exitCode !== 0) {
    throw new DmmlabError('E_RUNTIME', `cannot list the interfaces of ${node.node.name}: ${r.stderr.trim() || `ip exited ${r.exitCode}`}`, {
      hint: 'is the lab still running? dmmlab inspect shows it',
    });
  }
  const links = JSON.parse(r.stdout || '[]') as { ifname: string; ifindex: number; flags?: string[] }[];
  return new Map(links.map((l) => [l.ifname, { name: l.ifname, ifindex: l.ifindex, up: l.flags?.includes('UP') ?? false }]));
}
