import * as z from 'zod/mini';
import { ROLES } from './roles.js';
import { TUNNEL_DRIVERS } from './tunnel-drivers.js';

// The control-channel schemas use zod/mini: the agent bundle must stay small
// (it starts in every node of a lab, within a memory budget).

/**
 * What the orchestrator tells an agent at start (the `configure` command): who
 * it is, its roles, the domain it lives in, the signalling key, and its
 * access links (AR side) or radios (MN side).
 */
export const domainNetworkSchema = z.object({
  name: z.string(),
  prefix: z.string(),
  pool: z.string(),
  lm: z.optional(z.object({ node: z.string(), address: z.string() })),
  haa: z.optional(z.object({ node: z.string(), address: z.string() })),
  /** The MR that is LM proxy for visiting mobile nodes (hierarchical LM entries), if any. */
  lmProxy: z.optional(z.object({ node: z.string(), address: z.string() })),
  /** Central anchoring: the MR (node name) every home prefix of the network is allocated from (PMIPv6's LMA). */
  anchor: z.optional(z.string()),
  /** HMIPv6: the network's Mobility Anchor Point and the /64 of regional care-of addresses it binds. */
  map: z.optional(z.object({ node: z.string(), address: z.string(), regional: z.string() })),
});

export const mrInfoSchema = z.object({
  node: z.string(),
  network: z.string(),
  address: z.string(),
  tunnelEndpoint: z.string(),
  anchor: z.string(),
  /** Migrating home agents: the home agent nearest this MR (the one anycast reaches from its cells). */
  homeAgent: z.optional(z.string()),
});

export const mobilityConfigSchema = z.object({
  routeOptimization: z.enum(['query', 'redirect', 'off']),
  mnMode: z.enum(['network', 'client', 'mipv6']),
  homeAgents: z.enum(['single', 'migrating']),
  anycast: z.boolean(),
  registerOnAttach: z.boolean(),
  newPrefixOnHandover: z.boolean(),
  leaseLifetime: z.number(),
  bindingLifetime: z.number(),
  cacheLifetime: z.number(),
  handoverContextLifetime: z.number(),
  domain: z.array(domainNetworkSchema),
  mrs: z.array(mrInfoSchema),
  mns: z.array(z.object({ node: z.string(), id: z.string(), network: z.string(), mac: z.string() })),
});

export const agentConfigSchema = z.object({
  lab: z.string(),
  node: z.string(),
  roles: z.array(z.enum(ROLES)),
  network: z.string(),
  /** The node's loopback address (absent on mobile nodes). */
  address: z.optional(z.string()),
  tunnelDriver: z.enum(TUNNEL_DRIVERS),
  /** Signalling key (base64) and the SPI that names it. */
  key: z.string(),
  spi: z.number().check(z.int()),
  mobility: mobilityConfigSchema,
  /** AR side: one per access interface, naming the mobile node in that cell. */
  access: z.array(
    z.object({
      iface: z.string(),
      /** This router's own MAC on the access link (its link-local address follows from it). */
      mac: z.string(),
      mn: z.string(),
      mnId: z.string(),
      mnMac: z.string(),
      /** Mobile IPv6: the care-of prefix this access link advertises to a node from another network. */
      careOf: z.optional(z.string()),
    }),
  ),
  /** MN side: one per radio, naming the access router at the other end. */
  radios: z.array(z.object({ iface: z.string(), ar: z.string(), arAddress: z.string(), arMac: z.string() })),
  /** Directory for the agent's own files (radvd config, pid files). */
  workDir: z.string(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/**
 * A configuration as `configure` carries it: whole, or, for a node served by
 * an agent host, with `mobility` (the same for every node of a lab, and most
 * of the bytes) replaced by a reference to what the host was given once
 * (`mobility.put`, shared/control/host-messages.ts).
 */
export const wireConfigSchema = z.object({
  ...agentConfigSchema.shape,
  mobility: z.union([mobilityConfigSchema, z.object({ ref: z.string() })]),
});
export type WireConfig = z.infer<typeof wireConfigSchema>;
export type MobilityConfig = z.infer<typeof mobilityConfigSchema>;
export type MrInfo = z.infer<typeof mrInfoSchema>;
