import { canonical, contains, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { BA_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import {
  PURPOSE,
  altCoaOf,
  hnp,
  hnpsOf,
  homeSync,
  localizedRoutingAck,
  mnId,
  mnIdOf,
  pbaFlags,
  purposeOf,
  purposeOption,
} from '../../../shared/protocol/dmm-options.js';
import { LRA_STATUS } from '../../../shared/protocol/index.js';
import type { AgentContext } from '../../context.js';
import type { MrDatapath } from './datapath.js';

/**
 * The home agent of Mobile IPv6 (RFC 6275 10.3; Chan framework figure 1): an
 * MR answering a mobile node's own home registration for the prefixes it
 * anchors. The binding is the prefix's `anchored` layer, with the node's
 * care-of address as the far tunnel end: the kernel encapsulates the home
 * prefix to the care-of address, and the node decapsulates (it is the tunnel
 * endpoint). A registration with lifetime 0, or a care-of address inside the
 * home prefix, removes the binding (the node is home).
 *
 * Migrating home agents (Chan figure 6): every network's anchor is a home
 * agent for the home prefixes of all networks (anycast brings a node's
 * registration and a correspondent's packets to the nearest one). Each holds
 * a tunnel for every other home agent's prefixes, to that home agent (what it
 * has no binding for is delivered at home; MrRole sets this up for anycast
 * in general), and every binding: the one that
 * takes a registration tells its network's LM, and the LMs pass it on until
 * every home agent has it (an LRI with the care-of address).
 */
export class HomeAgent {
  constructor(
    private readonly ctx: AgentContext,
    private readonly me: MrInfo,
    private readonly datapath: MrDatapath,
    private readonly changed: () => void,
  ) {}

  /** Whether this MR is one of the migrating home agents. */
  private get migrating(): boolean {
    return this.ctx.domain.migratingHomeAgents && this.ctx.domain.centralAnchors().some((a) => a.node === this.me.node);
  }

  /** Registers the handlers (before route optimisation's: the LRI of a synchronisation is taken here). */
  listen(): void {
    this.ctx.signalling.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.HOME_REGISTRATION,
      ({ message, from }) => this.onBindingUpdate(message, from),
    );
    if (!this.migrating) return;
    this.ctx.signalling.on(
      (m) => m.type === 'LRI' && purposeOf(m) === PURPOSE.HOME_SYNC,
      ({ message, from }) => this.onSync(message, from),
    );
  }

  /** An LM passes on a binding another home agent took: hold it too (lifetime 0: the node is home). */
  private async onSync(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'LRI') throw new Error('not an LRI');
    const prefixes = hnpsOf(m);
    const careOf = altCoaOf(m);
    const id = mnIdOf(m);
    const reply = (status: number) => localizedRoutingAck(m, status, prefixes, PURPOSE.HOME_SYNC);
    const lm = this.ctx.domain.config.mobility.domain.find((n) => n.lm?.address === canonical(from))?.lm;
    const mn = id ? this.ctx.domain.mnById(id) : undefined;
    const foreign = prefixes.find((p) => !this.servesPrefix(p));
    const why = !lm
      ? `sender ${from} is no LM of the domain`
      : !mn || !careOf || prefixes.length === 0
        ? `no known mobile node, home prefix or care-of address (${id ?? 'no MN-ID'})`
        : foreign
          ? `${foreign} is no home prefix of the domain's home agents`
          : undefined;
    if (why || !lm || !mn || !careOf) {
      this.ctx.events.emit('home.refused', { mnId: id ?? null, from, status: LRA_STATUS.NOT_ALLOWED, reason: why ?? 'refused' });
      return reply(LRA_STATUS.NOT_ALLOWED);
    }
    const lifetime = await this.bind(mn, prefixes, careOf, m.lifetime);
    this.ctx.events.emit('home.synced', { mnId: mn.id, prefixes, careOf, lifetime, lm: lm.node });
    return reply(LRA_STATUS.SUCCESS);
  }

  /** Whether this home agent serves `prefix`: it anchors it, or (migrating) some home agent does. */
  private servesPrefix(prefix: string): boolean {
    const anchor = this.ctx.domain.anchorOf(prefix)?.node;
    if (anchor === this.me.node) return true;
    return this.migrating && this.ctx.domain.centralAnchors().some((a) => a.node === anchor);
  }

  private async onBindingUpdate(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'PBU') throw new Error('not a BU');
    const id = mnIdOf(m);
    const prefixes = hnpsOf(m);
    const careOf = altCoaOf(m) ?? from;
    const reply = (status: number): MhMessage => ({
      type: 'PBA',
      sequence: m.sequence,
      status,
      flags: { ...pbaFlags(false) },
      lifetime: status < 128 ? m.lifetime : 0,
      options: [purposeOption(PURPOSE.HOME_REGISTRATION), ...(id ? [mnId(id)] : []), ...prefixes.map(hnp)],
    });
    const refuse = (status: number, reason: string): MhMessage => {
      this.ctx.events.emit('home.refused', { mnId: id ?? null, from, status, reason });
      return reply(status);
    };
    const mn = id ? this.ctx.domain.mnById(id) : undefined;
    if (!id || !mn) return refuse(BA_STATUS.ADMINISTRATIVELY_PROHIBITED, `unknown mobile node ${id ?? '(no MN-ID)'}`);
    if (m.flags.M) return this.onMapRegistration(m, from, id, mn, prefixes, careOf, reply, refuse);
    if (!m.flags.H) return refuse(BA_STATUS.HOME_REGISTRATION_NOT_SUPPORTED, 'not a home registration (H clear)');
    if (prefixes.length === 0) return refuse(BA_STATUS.MISSING_HOME_NETWORK_PREFIX_OPTION, 'no home prefix named');
    // The care-of address is where the binding update came from (RFC 6275 9.5.1; the alternate
    // care-of address may only restate it here, as no security association would cover another).
    if (canonical(careOf) !== canonical(from)) return refuse(BA_STATUS.ADMINISTRATIVELY_PROHIBITED, `care-of address ${careOf} is not the sender ${from}`);
    for (const p of prefixes) {
      if (!this.servesPrefix(p)) return refuse(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE, `${p} is not anchored here`);
    }
    const lifetime = await this.bind(mn, prefixes, careOf, m.lifetime);
    this.ctx.events.emit('home.binding', { mnId: id, prefixes, careOf, lifetime });
    if (this.migrating) this.synchronise(id, prefixes, careOf, lifetime);
    return reply(BA_STATUS.ACCEPTED);
  }

  /**
   * HMIPv6 (RFC 5380 10.2): as the network's MAP, binds a node's regional care-of address (a /128 of
   * this MAP's regional prefix) to its on-link one, the sender: the kernel tunnels what comes for the
   * regional address (the home agent's tunnel, its outer destination) on to the node.
   */
  private async onMapRegistration(
    m: MhMessage & { type: 'PBU' },
    from: string,
    id: string,
    mn: { node: string },
    prefixes: string[],
    careOf: string,
    reply: (status: number) => MhMessage,
    refuse: (status: number, reason: string) => MhMessage,
  ): Promise<MhMessage> {
    const map = this.ctx.domain.mapOf(this.me.network);
    if (map?.node !== this.me.node) return refuse(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE, `${this.me.node} is no MAP`);
    const regional = prefixes[0];
    if (prefixes.length !== 1 || !regional || parsePrefix(regional).len !== 128 || !contains(parsePrefix(map.regional), parsePrefix(regional).addr))
      return refuse(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE, `${prefixes.join(', ') || 'no address'} is no regional care-of address of ${map.regional}`);
    if (canonical(careOf) !== canonical(from))
      return refuse(BA_STATUS.ADMINISTRATIVELY_PROHIBITED, `on-link care-of address ${careOf} is not the sender ${from}`);
    const bind = m.lifetime > 0;
    const peer: MrInfo = { node: mn.node, network: this.me.network, address: careOf, tunnelEndpoint: careOf, anchor: '' };
    await this.datapath.set(
      regional,
      'anchored',
      bind ? { peer } : undefined,
      bind ? `${mn.node} at on-link care-of ${careOf}` : `${mn.node} left the MAP's domain`,
    );
    this.changed();
    this.ctx.events.emit('map.binding', { mnId: id, regional: regional.split('/')[0] as string, onLink: careOf, lifetime: bind ? m.lifetime : 0 });
    return reply(BA_STATUS.ACCEPTED);
  }

  /**
   * Binds `prefixes` to the node at `careOf` (the node as the far tunnel end), or
   * unbinds them when the lifetime is 0 or the care-of address is at home. The
   * lifetime the binding got (0: none).
   */
  private async bind(mn: { node: string }, prefixes: string[], careOf: string, lifetimeS: number): Promise<number> {
    const home = prefixes.some((p) => contains(parsePrefix(p), parseAddress(careOf)));
    const bind = lifetimeS > 0 && !home;
    const peer: MrInfo = { node: mn.node, network: this.ctx.domain.networkOf(careOf)?.name ?? '', address: careOf, tunnelEndpoint: careOf, anchor: '' };
    // The node on one of this home agent's own access links: what it tunnels here leaves by that link's source check.
    const onLink = bind ? this.ctx.config.access.find((a) => a.careOf && contains(parsePrefix(a.careOf), parseAddress(careOf)))?.iface : undefined;
    await this.datapath.change((c) => {
      for (const p of prefixes) {
        this.datapath.stage(c, p, 'anchored', bind ? { peer } : undefined, bind ? `${mn.node} at care-of ${careOf}` : `${mn.node} is home`);
        // The node's whereabouts are known again: nothing to hold for it (the home link held it from its detachment).
        if (bind) this.datapath.stage(c, p, 'hold', undefined, 'bound to a care-of address');
        this.datapath.routes.servedSource(c, p, onLink);
      }
    });
    this.changed();
    return bind ? lifetimeS : 0;
  }

  /** Tells this network's LM (which tells the other replicas) about a binding taken here; off the reply's path. */
  private synchronise(id: string, prefixes: string[], careOf: string, lifetimeS: number): void {
    const lm = this.ctx.domain.lmOf(this.me.network);
    if (!lm) return;
    void this.ctx.signalling
      .request(homeSync('PBU', id, prefixes, careOf, lifetimeS), lm)
      .then((r) => {
        const status = r.message.type === 'PBA' ? r.message.status : undefined;
        if (status === undefined || status >= 128)
          this.ctx.events.log('warn', `home binding sync of ${prefixes.join(', ')}: the LM answered ${r.message.type} ${status ?? ''}`);
      })
      .catch((e: unknown) => this.ctx.events.log('warn', `home binding sync to ${lm}: ${e instanceof Error ? e.message : String(e)}`));
  }
}
