import type { LinkParams, MobilitySettings, Role } from '../topology/schema.js';

/**
 * The plan: everything deploy needs, computed by a pure function from the
 * topology (resolve.ts). Nothing here touches the kernel or Docker.
 */
export interface Plan {
  /** Lab name; every resource the lab creates carries it. */
  lab: string;
  /** Path of the topology file the plan came from (for messages and inspect). */
  source: string;
  networks: PlanNetwork[];
  nodes: PlanNode[];
  links: PlanLink[];
  mobility: PlanMobility;
  /** The hosts the lab spans (absent: one machine, every link a veth); see cli/plan/hosts.ts. */
  hosts?: PlanHosts;
}

/** Where the lab's nodes run when it spans hosts, and the underlay that joins them. */
export interface PlanHosts {
  list: PlanHost[];
  /** MTU the underlay must carry: the largest VXLAN link's MTU plus the encapsulation overhead. */
  underlayMtu: number;
  /** Namespace of the emulated underlay switch (a bridge joining every host's underlay interface). */
  switchNetns: string;
}

export interface PlanHost {
  name: string;
  /** The host's underlay IPv4 address, the VXLAN tunnels' local end. */
  address: string;
  /** Network namespace emulating the host on one machine: its underlay interface and VXLAN sockets live there. */
  netns: string;
  /** Nodes placed on this host. */
  nodes: string[];
}

export interface PlanNetwork {
  name: string;
  prefix: string;
  /** Mobile-node home prefix pool. */
  pool: string;
  /** Node name of the authoritative LM and of the HAA (undefined for networks without MRs). */
  lm?: string;
  haa?: string;
  /** Node name of the MR acting as LM proxy for visiting mobile nodes (hierarchical LM entries). */
  lmProxy?: string;
  /** Node name of the MR every home prefix of the network is anchored at (central anchoring, PMIPv6's LMA). */
  anchor?: string;
  /** HMIPv6: the network's Mobility Anchor Point (node name) and the /64 its regional care-of addresses come from. */
  map?: string;
  regional?: string;
}

export interface PlanNode {
  name: string;
  roles: Role[];
  network: string;
  /** Network namespace name: `dmm-<lab>-<node>`; reachable with `ip -n`. */
  netns: string;
  /** Loopback /128 (undefined for mobile nodes: they get addresses from router advertisements). */
  loopback?: string;
  /** MR only: address the tunnels of the seg6 driver end on (a local SID, not a local address). */
  tunnelEndpoint?: string;
  /** HMIPv6 MAP only: the /64 of regional care-of addresses it binds to visiting nodes' on-link ones. */
  regional?: string;
  /** MR only: the aggregate of home prefixes this MR anchors; the HAA allocates /64s from it. */
  anchor?: string;
  /** Run the agent in this node. */
  agent: boolean;
  /** Docker image override. */
  image?: string;
  /** The host the node runs on (labs that span hosts). */
  host?: string;
  interfaces: PlanInterface[];
  routes: PlanRoute[];
  /** sysctl name (dotted, as `sysctl -w` takes it) to value. */
  sysctls: Record<string, string>;
}

export interface PlanInterface {
  /** Name inside the node: the peer node's name (plus a number for parallel links). */
  name: string;
  /**
   * Interface index, unique in the lab. A veth whose index equals its peer's
   * looks like a non-stacked device to the kernel's linkwatch, which then
   * delays its carrier events by up to a second; distinct indexes keep
   * attachment detection and a mobile node's autoconfiguration immediate.
   */
  ifindex: number;
  mac: string;
  /** Addresses with prefix length (infrastructure links only; access links use link-local). */
  addresses: string[];
  link: string;
  kind: 'infra' | 'access';
  peer: { node: string; iface: string };
  /** Access links: whether the mobile node is attached here once the lab is up. */
  up: boolean;
  mtu?: number;
  params: LinkParams;
  /**
   * Mobile IPv6 (mnMode mipv6), the access router's end of a cell whose mobile node belongs to
   * another network: the care-of prefix advertised there (a /64 of the router's network, routed to it).
   */
  careOf?: string;
}

export interface PlanRoute {
  dst: string;
  /** Next-hop address (absent for unreachable routes). */
  via?: string;
  dev?: string;
  type: 'unicast' | 'unreachable';
}

export interface PlanLink {
  id: string;
  kind: 'infra' | 'access';
  a: { node: string; iface: string };
  b: { node: string; iface: string };
  subnet?: string;
  params: LinkParams;
  /** A link whose ends are on different hosts: a VXLAN tunnel (this VNI) over the underlay instead of a veth. */
  vxlan?: { vni: number };
}

export interface PlanMobility extends MobilitySettings {
  /** The domain's networks as the agents see them: prefix, pool, LM and HAA addresses. */
  domain: DomainNetwork[];
  /** Every MR: its address, tunnel endpoint and anchored aggregate (and, with migrating home agents, the nearest one). */
  mrs: { node: string; network: string; address: string; tunnelEndpoint: string; anchor: string; homeAgent?: string }[];
  /** Mobile nodes: identifier (NAI), the network that first serves them, and their radio interfaces. */
  mns: { node: string; id: string; network: string; mac: string; ars: string[]; start?: string }[];
}

export interface DomainNetwork {
  name: string;
  prefix: string;
  pool: string;
  lm?: { node: string; address: string };
  haa?: { node: string; address: string };
  lmProxy?: { node: string; address: string };
  /** Central anchoring: the MR every home prefix of the network is allocated from (with migrating home agents, the network’s home agent). */
  anchor?: string;
  /** HMIPv6: the network's Mobility Anchor Point and its prefix of regional care-of addresses. */
  map?: { node: string; address: string; regional: string };
}
