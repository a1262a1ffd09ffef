import type { Journal } from '../state/journal.js';
import { UNDERLAY_IFACE } from '../links/vxlan-commands.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { HostNamespaceAccess } from '../runtime/host-namespace/node-access.js';
import type { Progress } from '../util/progress.js';
import { CaptureSession } from './capture-session.js';

/** The capture point name of a host's underlay: `@h1:underlay` (no node name starts with "@"). */
export const underlayPointNode = (host: string) => `@${host}`;

/**
 * tcpdump on every host's underlay interface of a lab that spans hosts: the
 * VXLAN packets between hosts, which Wireshark decodes down to the lab's own
 * packets inside. These files go into the exported pcapng, not into the
 * analysis (each inner packet is already seen on the nodes' VXLAN devices).
 * Undefined for a lab on one host.
 */
export async function startUnderlayCapture(opts: {
  plan: Plan;
  dir: string;
  journal?: Journal;
  progress?: Progress;
  batched?: boolean;
}): Promise<CaptureSession | undefined> {
  const hosts = opts.plan.hosts;
  if (!hosts) return undefined;
  const nodes: PlanNode[] = hosts.list.map((h) => ({
    name: underlayPointNode(h.name),
    roles: [],
    network: '',
    netns: h.netns,
    agent: false,
    interfaces: [],
    routes: [],
    sysctls: {},
  }));
  return CaptureSession.start({
    plan: { ...opts.plan, nodes, links: [] },
    access: (n) => new HostNamespaceAccess(n),
    dir: opts.dir,
    targets: nodes.map((n) => ({ node: n.name, iface: UNDERLAY_IFACE })),
    ...(opts.batched ? { batched: true } : {}),
    ...(opts.journal ? { journal: opts.journal } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
}
