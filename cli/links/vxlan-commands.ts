import { VXLAN_PORT } from '../plan/hosts.js';
import type { Plan, PlanHost, PlanHosts, PlanInterface, PlanLink, PlanNode } from '../plan/types.js';

/** Name of a host's underlay interface (its uplink to the other hosts). */
export const UNDERLAY_IFACE = 'underlay';
/** The emulated underlay switch's bridge. */
const SWITCH_BRIDGE = 'br0';

/** One end of a VXLAN link as the host that holds it sees it. */
export interface VxlanEnd {
  node: PlanNode;
  iface: PlanInterface;
  vni: number;
  /** The other host's underlay address. */
  remote: string;
}

/** The VXLAN ends of `links` that lie on `host`. */
export function vxlanEnds(plan: Plan, links: readonly PlanLink[], host: string): VxlanEnd[] {
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  const address = new Map((plan.hosts?.list ?? []).map((h) => [h.name, h.address]));
  const ends: VxlanEnd[] = [];
  for (const l of links) {
    if (!l.vxlan) continue;
    for (const [mine, theirs] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      const node = nodes.get(mine.node) as PlanNode;
      if (node.host !== host) continue;
      const peer = nodes.get(theirs.node) as PlanNode;
      ends.push({
        node,
        iface: node.interfaces.find((i) => i.name === mine.iface) as PlanInterface,
        vni: l.vxlan.vni,
        remote: address.get(peer.host ?? '') as string,
      });
    }
  }
  return ends;
}

/**
 * The `ip link add` arguments of one VXLAN end (after `link add`): the device
 * gets the planned name, MAC and MTU; `dev`'s address is its local end. Run in
 * the host's namespace, its socket stays there (the underlay) while `netns`
 * moves the device into the node (RTM_NEWLINK creates it in the target
 * namespace with the caller's as link namespace).
 */
export function vxlanLinkArgs(end: VxlanEnd, opts: { local: string; dev: string; netns?: string; mtu?: string }): string {
  const i = end.iface;
  const mtu = opts.mtu ?? (i.mtu ? String(i.mtu) : undefined);
  return [
    `name ${i.name}`,
    `index ${i.ifindex}`,
    `address ${i.mac}`,
    ...(mtu ? [`mtu ${mtu}`] : []),
    ...(opts.netns ? [`netns ${opts.netns}`] : []),
    `type vxlan id ${end.vni} local ${opts.local} remote ${end.remote} dstport ${VXLAN_PORT} dev ${opts.dev}`,
  ].join(' ');
}

/** `ip -batch` lines, run in the host's namespace, creating its VXLAN ends straight inside their nodes. */
export function vxlanCommands(plan: Plan, links: readonly PlanLink[], host: PlanHost): string[] {
  return vxlanEnds(plan, links, host.name).map((e) => `link add ${vxlanLinkArgs(e, { local: host.address, dev: UNDERLAY_IFACE, netns: e.node.netns })}`);
}

/**
 * The emulated underlay of a lab on one machine: a switch namespace with a
 * bridge, and per host a veth from the host's namespace (`underlay`, its
 * address a /32 with a route to each other host) to a port of the bridge.
 * `root` runs in the current namespace, `inSwitch` in the switch's, `inHost`
 * in each host's.
 */
export function underlayCommands(hosts: PlanHosts): { root: string[]; inSwitch: string[]; inHost: Map<string, string[]> } {
  const mtu = hosts.underlayMtu;
  const root = hosts.list.map(
    (h) => `link add name ${UNDERLAY_IFACE} mtu ${mtu} netns ${h.netns} type veth peer name ${h.name} mtu ${mtu} netns ${hosts.switchNetns}`,
  );
  const inSwitch = [
    'link set lo up',
    `link add name ${SWITCH_BRIDGE} type bridge`,
    ...hosts.list.flatMap((h) => [`link set ${h.name} master ${SWITCH_BRIDGE}`, `link set ${h.name} up`]),
    `link set ${SWITCH_BRIDGE} up`,
  ];
  const inHost = new Map(
    hosts.list.map((h) => [
      h.netns,
      [
        'link set lo up',
        `link set ${UNDERLAY_IFACE} up`,
        `addr add ${h.address}/32 dev ${UNDERLAY_IFACE}`,
        ...hosts.list.filter((o) => o !== h).map((o) => `route add ${o.address}/32 dev ${UNDERLAY_IFACE}`),
      ],
    ]),
  );
  return { root, inSwitch, inHost };
}
