import { contains, containsPrefix, formatPrefix, parseAddress, parsePrefix, canonical } from '../shared/ipv6.js';
import type { AgentConfig, MrInfo } from '../shared/control/agent-config.js';

/**
 * What an agent knows about the administrative domain: which network a prefix
 * or address belongs to, its authoritative LM, the HAA of a network, and which
 * MR anchors a home prefix (the distributed LM database of the Chan framework,
 * figure 9: the prefix names its network, the network names its LM).
 */
export class Domain {
  constructor(readonly config: AgentConfig) {}

  get me(): MrInfo | undefined {
    return this.config.mobility.mrs.find((m) => m.node === this.config.node);
  }

  mrByNode(node: string): MrInfo | undefined {
    return this.config.mobility.mrs.find((m) => m.node === node);
  }

  mrByAddress(address: string): MrInfo | undefined {
    const a = canonical(address);
    return this.config.mobility.mrs.find((m) => m.address === a);
  }

  /** The MR every home prefix of `network` is anchored at (central anchoring, PMIPv6's LMA), if the network has one. */
  centralAnchor(network: string): MrInfo | undefined {
    const node = this.config.mobility.domain.find((n) => n.name === network)?.anchor;
    return node === undefined ? undefined : this.mrByNode(node);
  }

  /** Whether home agents migrate (Chan figure 6): every network's anchor serves the home prefixes of all. */
  get migratingHomeAgents(): boolean {
    return this.config.mobility.homeAgents === 'migrating';
  }

  /** The networks' central anchors (with migrating home agents: the home agents, each serving every home prefix). */
  centralAnchors(): MrInfo[] {
    return this.config.mobility.domain.flatMap((n) => {
      const mr = n.anchor === undefined ? undefined : this.mrByNode(n.anchor);
      return mr ? [mr] : [];
    });
  }

  /**
   * The MRs that announce every anchor's prefixes by anycast: the home agents of migrating home
   * agents, or with anycast every MR that anchors (a network's central anchor, else all its MRs).
   */
  anycastAnchors(): MrInfo[] {
    if (this.migratingHomeAgents) return this.centralAnchors();
    if (!this.config.mobility.anycast) return [];
    return this.config.mobility.mrs.filter((m) => {
      const central = this.config.mobility.domain.find((n) => n.name === m.network)?.anchor;
      return central === undefined || central === m.node;
    });
  }

  /** HMIPv6: the Mobility Anchor Point of a network (and its prefix of regional care-of addresses), if it has one. */
  mapOf(network: string): { node: string; address: string; regional: string } | undefined {
    return this.config.mobility.domain.find((n) => n.name === network)?.map;
  }

  /** The MR whose anchor aggregate holds `prefix` (the MR that anchors it). */
  anchorOf(prefix: string): MrInfo | undefined {
    const p = parsePrefix(prefix);
    return this.config.mobility.mrs.find((m) => containsPrefix(parsePrefix(m.anchor), p));
  }

  /** The network whose prefix holds this address or prefix. */
  networkOf(addressOrPrefix: string) {
    const addr = addressOrPrefix.includes('/') ? parsePrefix(addressOrPrefix).addr : parseAddress(addressOrPrefix);
    return this.config.mobility.domain.find((n) => contains(parsePrefix(n.prefix), addr));
  }

  /** Whether an address lies in some network's home-prefix pool (i.e. is a home address). */
  isHomeAddress(address: string): boolean {
    const a = parseAddress(address);
    return this.config.mobility.domain.some((n) => contains(parsePrefix(n.pool), a));
  }

  /** The /64 home prefix of a home address. */
  prefixOf(address: string): string {
    return formatPrefix({ addr: parseAddress(address) & ~((1n << 64n) - 1n), len: 64 });
  }

  /** Address of the LM authoritative for a prefix (its network's LM). */
  lmFor(prefix: string): string | undefined {
    return this.networkOf(prefix)?.lm?.address;
  }

  /** The LM of the network a mobile node identifier names (`mn1@net1.lab`): its realm, which keeps the node's context. */
  realmLm(mnId: string): string | undefined {
    const realm = this.realmOf(mnId);
    return realm ? this.lmOf(realm) : undefined;
  }

  /** The network of a mobile node identifier (`mn1@net1.lab` → net1). */
  realmOf(mnId: string): string | undefined {
    return mnId.split('@')[1]?.split('.')[0];
  }

  /** The LM of a network, by name. */
  lmOf(network: string): string | undefined {
    return this.config.mobility.domain.find((n) => n.name === network)?.lm?.address;
  }

  /** The MR acting as LM proxy of a network, if it has one (hierarchical LM entries, Chan figures 4 and 9). */
  lmProxyOf(network: string): { node: string; address: string } | undefined {
    return this.config.mobility.domain.find((n) => n.name === network)?.lmProxy;
  }

  /** The network whose LM proxy has this address (undefined if the address is no LM proxy). */
  proxiedNetwork(address: string): string | undefined {
    const a = canonical(address);
    return this.config.mobility.domain.find((n) => n.lmProxy?.address === a)?.name;
  }

  /** Address of the HAA of a network. */
  haaOf(network: string): string | undefined {
    return this.config.mobility.domain.find((n) => n.name === network)?.haa?.address;
  }

  /** Every home-prefix pool of the domain. */
  pools(): string[] {
    return this.config.mobility.domain.map((n) => n.pool);
  }

  mnById(id: string) {
    return this.config.mobility.mns.find((m) => m.id === id);
  }

  mnByNode(node: string) {
    return this.config.mobility.mns.find((m) => m.node === node);
  }
}
