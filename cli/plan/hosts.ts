import type { Topology } from '../topology/schema.js';
import { OWNER_PREFIX } from './names.js';
import type { PlanHosts, PlanLink, PlanNode } from './types.js';

/**
 * Bytes VXLAN adds around a frame on an IPv4 underlay: outer IPv4 (20), UDP
 * (8), VXLAN (8) and the inner Ethernet header (14). The underlay must carry a
 * link's MTU plus this, or a full-size packet would not fit (RFC 7348 section 4.3).
 */
export const VXLAN_OVERHEAD = 50;
/** IANA's VXLAN port (RFC 7348): what Wireshark decodes as VXLAN without being told. */
export const VXLAN_PORT = 4789;
/** Underlay addresses planned for hosts without one: 10.255.0.1, .2, ... in host order. */
const UNDERLAY_BASE = [10, 255, 0];
/** The least an underlay carries (Ethernet). */
const UNDERLAY_MIN_MTU = 1500;

/** Network namespace that emulates a host of a lab on one machine. */
export function hostNetnsName(lab: string, host: string): string {
  return `${OWNER_PREFIX}h-${lab}-${host}`;
}

/** Network namespace of a lab's emulated underlay switch. */
export function underlayNetnsName(lab: string): string {
  return `${OWNER_PREFIX}u-${lab}`;
}

/** The host of a node: its own `host`, else the first host listed. */
export function hostOf(t: Topology, node: string): string | undefined {
  if (!t.hosts) return undefined;
  return t.nodes[node]?.host ?? Object.keys(t.hosts)[0];
}

/**
 * Makes `link` a VXLAN link with `vni`. A radio's access-router end then
 * starts as the mobile node's end does (down unless the node starts there):
 * a VXLAN device has carrier whenever it is up. Changes the link and the
 * interfaces of `nodes` in place.
 */
export function toVxlan(link: PlanLink, vni: number, nodes: readonly PlanNode[]): void {
  link.vxlan = { vni };
  if (link.kind !== 'access') return;
  const ifaceOf = (e: { node: string; iface: string }) => nodes.find((n) => n.name === e.node)?.interfaces.find((x) => x.name === e.iface);
  const [mnEnd, arEnd] = [ifaceOf(link.a), ifaceOf(link.b)];
  if (mnEnd && arEnd) arEnd.up = mnEnd.up;
}

/**
 * Places the planned nodes on the topology's hosts and turns every link whose
 * ends are on different hosts into a VXLAN link (one VNI per link). A radio
 * (access link) on a veth is attached when the mobile node's end is up, which
 * gives the access router's end carrier; a VXLAN device has carrier whenever
 * it is up, so a radio between hosts keeps the access router's end down too
 * until the node attaches there, and the lab moves both ends together
 * (LabSession's radio changes). Pure.
 */
export function planHosts(t: Topology, lab: string, nodes: PlanNode[], links: PlanLink[]): PlanHosts | undefined {
  if (!t.hosts || Object.keys(t.hosts).length === 0) return undefined;
  const names = Object.keys(t.hosts);
  const byHost = new Map<string, string[]>(names.map((h) => [h, []]));
  for (const n of nodes) {
    const host = hostOf(t, n.name);
    if (host === undefined) continue;
    n.host = host;
    byHost.get(host)?.push(n.name);
  }
  const nodeHost = new Map(nodes.map((n) => [n.name, n.host]));
  const ifaceMtu = new Map(nodes.flatMap((n) => n.interfaces.map((i) => [`${n.name}:${i.name}`, i.mtu ?? UNDERLAY_MIN_MTU] as const)));
  let widest = UNDERLAY_MIN_MTU;
  links.forEach((l, i) => {
    if (nodeHost.get(l.a.node) === nodeHost.get(l.b.node)) return;
    toVxlan(l, i + 1, nodes);
    widest = Math.max(widest, ifaceMtu.get(`${l.a.node}:${l.a.iface}`) ?? 0, ifaceMtu.get(`${l.b.node}:${l.b.iface}`) ?? 0);
  });
  return {
    list: names.map((name, i) => ({
      name,
      address: t.hosts?.[name]?.address ?? [...UNDERLAY_BASE, i + 1].join('.'),
      netns: hostNetnsName(lab, name),
      nodes: byHost.get(name) ?? [],
    })),
    underlayMtu: widest + VXLAN_OVERHEAD,
    switchNetns: underlayNetnsName(lab),
  };
}
