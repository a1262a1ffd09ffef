import { z } from 'zod';
import { ROLES, type RoleName } from '../../shared/control/roles.js';
import { RUNTIME_NAMES } from './runtime-names.js';
import { TUNNEL_DRIVERS } from '../../shared/control/tunnel-drivers.js';

/**
 * The topology file: pure data checked by zod. Cross-references
 * (a link naming an unknown node, an MR network with no LM, ...) are checked in
 * check.ts, which sees the whole file at once.
 */

export type Role = RoleName;

/** Longest interface name the kernel accepts (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

/** Names that become interface names (the peer's name is the interface's name). */
export const NAME_PATTERN = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
/** Interface names the kernel may create by itself in a fresh namespace. */
export const RESERVED_NAMES = ['lo', 'sit0', 'tunl0', 'ip6tnl0', 'ip6gre0', 'gre0', 'gretap0', 'erspan0', 'ip_vti0', 'ip6_vti0', 'dmm0', 'dmm1'];

const nodeName = z
  .string()
  .regex(NAME_PATTERN, 'a name of lower-case letters, digits and "-", starting with a letter')
  .refine((s) => !RESERVED_NAMES.includes(s), { message: `a name other than ${RESERVED_NAMES.join(', ')}` });

/** Lab names are part of every namespace and container name. */
export const labName = z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'a lab name of 1 to 24 lower-case letters, digits and "-", starting with a letter');

const ipv6Prefix = z.string().regex(/^[0-9a-fA-F:]+\/\d{1,3}$/, 'an IPv6 prefix such as 2001:db8:1::/48');
const ipv6Address = z.string().regex(/^[0-9a-fA-F:]+$/, 'an IPv6 address such as 2001:db8:1::1');

/** Durations: a number of milliseconds or a string such as "20ms", "1.5s". */
export const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(us|ms|s)$/, 'a duration such as 20ms, 1.5s or 500us')]);
/** Loss: a percentage as a number (1 = 1 %) or a string "1%". */
export const lossPercent = z.union([z.number().min(0).max(100), z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as 1%')]);
/** Rate: tc syntax, e.g. "10mbit", "512kbit", "1gbit". */
export const rate = z.string().regex(/^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/, 'a rate such as 10mbit');

export const linkParams = z.strictObject({
  /** One-way delay added on both ends' egress (netem). */
  delay: duration.optional(),
  jitter: duration.optional(),
  loss: lossPercent.optional(),
  rate: rate.optional(),
  mtu: z.number().int().min(1280).max(65535).optional(),
});
export type LinkParams = z.infer<typeof linkParams>;

export const networkSchema = z.strictObject({
  /** The local network's prefix (e.g. a /48); links, node addresses and home prefixes come from it. */
  prefix: ipv6Prefix,
  /** Pool of mobile-node home prefixes (default: the upper half of the prefix). */
  pool: ipv6Prefix.optional(),
  /** The node whose LM is authoritative for this network (default: the network's node with role lm). */
  lm: nodeName.optional(),
  /** The node whose HAA hands out this network's prefixes (default: the network's node with role haa). */
  haa: nodeName.optional(),
  /**
   * An MR of this network that acts as LM proxy for visiting mobile nodes (the MAP of HMIPv6; Chan
   * framework figures 4 and 9): their home LMs bind them to this MR, which tracks the serving MR, so
   * moves inside the network do not update the home LM. Location management only: traffic still
   * goes straight to the serving MR. Default: none (every MR updates the home LM itself).
   */
  lmProxy: nodeName.optional(),
  /**
   * Central anchoring (PMIPv6's LMA; Chan framework figure 2): every home prefix of this network is
   * allocated from this MR's aggregate wherever the node attaches, so all its traffic goes through
   * this MR and the other MRs (the MAGs) tunnel to it. Default: none (each MR anchors what it
   * allocates, flat DMM).
   */
  anchor: nodeName.optional(),
  /**
   * Hierarchical Mobile IPv6 (RFC 5380; Chan framework figure 4), mnMode mipv6: the MR of this network
   * that is its Mobility Anchor Point. A visiting Mobile IPv6 node gets a regional care-of address
   * from the MAP's prefix next to its on-link one, binds the regional one at its home agent and the
   * on-link one at the MAP: moves between this network's cells only update the MAP.
   */
  map: nodeName.optional(),
  description: z.string().optional(),
});

export const nodeSchema = z.strictObject({
  roles: z.array(z.enum(ROLES)).min(1),
  /** The local network the node belongs to. */
  network: nodeName,
  /** Loopback address (default: planned from the network prefix). */
  address: ipv6Address.optional(),
  /** Run the dmmlab agent in this node (default true; false = a stock node, e.g. a plain Linux MN). */
  agent: z.boolean().optional(),
  /** Docker image for this node (default: the dmmlab node image). */
  image: z.string().optional(),
  /** The host (a key of `hosts`) this node runs on; default: the first host. Links to nodes on other hosts become VXLAN. */
  host: nodeName.optional(),
  description: z.string().optional(),
});

/**
 * A machine that holds a share of the lab (docs/scale-out.md). On one machine
 * each host is emulated by a network namespace on a shared underlay; links
 * between nodes on different hosts are kernel VXLAN tunnels over it.
 */
export const hostSchema = z.strictObject({
  /** Underlay IPv4 address of the host (default: planned from 10.255.0.0/24 in host order). */
  address: z
    .string()
    .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'an IPv4 address such as 10.255.0.1')
    .optional(),
  description: z.string().optional(),
});

export const linkSchema = z.strictObject({
  endpoints: z.tuple([nodeName, nodeName]),
  /** The link's /64 (default: planned from the first endpoint's network). */
  subnet: ipv6Prefix.optional(),
  ...linkParams.shape,
});

export const accessSchema = z.strictObject({
  /** The mobile node. */
  mn: nodeName,
  /** Access routers whose cell this mobile node may attach to. */
  ars: z.array(nodeName).min(1),
  /** Where the mobile node is attached once the lab is up (omit: detached). */
  start: nodeName.optional(),
  ...linkParams.shape,
});

export const mobilitySchema = z.strictObject({
  /** Distributed routing (draft-tu 4.3): LM query by the correspondent's MR (fig. 3), redirect by the anchor (fig. 4), or none. */
  routeOptimization: z.enum(['query', 'redirect', 'off']).default('query'),
  /** Tunnel datapath: ip6tnl (ip6ip6), seg6 (encap.red), bpf (a route's BPF program), each the same bytes on the wire, or auto (the first the kernel has). */
  tunnel: z.enum(['auto', ...TUNNEL_DRIVERS]).default('auto'),
  /**
   * Mobile nodes signal for themselves (client) or the access router does it for them (network); or
   * Mobile IPv6 (RFC 6275; Chan framework figure 1): away from its home network a node takes a care-of
   * address from the visited access router, sends its own Binding Update to its home agent (the MR
   * anchoring its home prefix) and is the tunnel's far end; access routers of other networks only
   * advertise a care-of prefix.
   */
  mnMode: z.enum(['network', 'client', 'mipv6']).default('network'),
  /**
   * Mobile IPv6 home agents: one per home prefix (single), or migrating home agents (Chan framework
   * figure 6): every network's anchor MR is a home agent for the home prefixes of all networks,
   * announced by anycast (each router routes them to the nearest home agent); a mobile node registers
   * with the home agent nearest its cell, and the LMs, one replica per network, keep every home
   * agent's bindings in sync. Needs mnMode mipv6 and an anchor and an LM in every network.
   */
  homeAgents: z.enum(['single', 'migrating']).default('single'),
  /**
   * Anycast (gap analysis section 7, RS1.CN-MR(CN).anycast): every anchoring MR announces the home
   * prefixes of all of them, so a correspondent's packets reach the MR nearest it, which tunnels them
   * to the prefix's anchor (route optimisation, query or redirect, then shortens the path). Network-
   * or client-based nodes; Mobile IPv6 has homeAgents: migrating.
   */
  anycast: z.boolean().default(false),
  /** Update the home LM on initial attachment (draft-tu 4.1 leaves it to local policy). */
  registerOnAttach: z.boolean().default(true),
  /** Give the MN a new prefix anchored at the new MR after a move (draft-tu 4.2, dynamic mobility). */
  newPrefixOnHandover: z.boolean().default(true),
  /** Seconds: HAA lease, LM binding, MR location cache, and the previous MR's temporary handover context. */
  leaseLifetime: z.number().int().positive().default(3600),
  bindingLifetime: z.number().int().positive().default(600),
  cacheLifetime: z.number().int().positive().default(60),
  handoverContextLifetime: z.number().positive().default(3),
});
export type MobilitySettings = z.infer<typeof mobilitySchema>;

export const topologySchema = z.strictObject({
  /** The lab's name; namespaces and containers carry it. */
  name: labName,
  description: z.string().optional(),
  /** Default runtime for this topology (the command line's --runtime wins). */
  runtime: z.enum(RUNTIME_NAMES).optional(),
  networks: z.record(nodeName, networkSchema).refine((r) => Object.keys(r).length > 0, 'at least one network'),
  nodes: z.record(nodeName, nodeSchema).refine((r) => Object.keys(r).length > 0, 'at least one node'),
  links: z.array(linkSchema).default([]),
  access: z.array(accessSchema).default([]),
  /** Hosts the lab spans (omit: one machine, every link a veth). */
  hosts: z.record(nodeName, hostSchema).optional(),
  mobility: mobilitySchema.prefault({}),
});

export type Topology = z.infer<typeof topologySchema>;
export type TopologyInput = z.input<typeof topologySchema>;
export type TopologyNode = z.infer<typeof nodeSchema>;
export type TopologyLink = z.infer<typeof linkSchema>;
export type TopologyAccess = z.infer<typeof accessSchema>;
