import { canonical, contains, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { BA_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import { PURPOSE, altCoaOf, hnp, hnpsOf, mnId, mnIdOf, pbaFlags, purposeOf, purposeOption } from '../../../shared/protocol/dmm-options.js';
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
 */
export class HomeAgent {
  constructor(
    private readonly ctx: AgentContext,
    private readonly me: MrInfo,
    private readonly datapath: MrDatapath,
    private readonly changed: () => void,
  ) {}

  listen(): void {
    this.ctx.signalling.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.HOME_REGISTRATION,
      ({ message, from }) => this.onBindingUpdate(message, from),
    );
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
    if (!m.flags.H) return refuse(BA_STATUS.HOME_REGISTRATION_NOT_SUPPORTED, 'not a home registration (H clear)');
    if (prefixes.length === 0) return refuse(BA_STATUS.MISSING_HOME_NETWORK_PREFIX_OPTION, 'no home prefix named');
    // The care-of address is where the binding update came from (RFC 6275 9.5.1; the alternate
    // care-of address may only restate it here, as no security association would cover another).
    if (canonical(careOf) !== canonical(from)) return refuse(BA_STATUS.ADMINISTRATIVELY_PROHIBITED, `care-of address ${careOf} is not the sender ${from}`);
    for (const p of prefixes) {
      if (this.ctx.domain.anchorOf(p)?.node !== this.me.node) return refuse(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE, `${p} is not anchored here`);
    }
    const home = prefixes.some((p) => contains(parsePrefix(p), parseAddress(careOf)));
    const bind = m.lifetime > 0 && !home;
    const peer: MrInfo = { node: mn.node, network: this.ctx.domain.networkOf(careOf)?.name ?? '', address: careOf, tunnelEndpoint: careOf, anchor: '' };
    await this.datapath.change((c) => {
      for (const p of prefixes) {
        this.datapath.stage(c, p, 'anchored', bind ? { peer } : undefined, bind ? `${mn.node} at care-of ${careOf}` : `${mn.node} is home`);
        // The node's whereabouts are known again: nothing to hold for it (the home link held it from its detachment).
        if (bind) this.datapath.stage(c, p, 'hold', undefined, 'bound to a care-of address');
      }
    });
    this.ctx.events.emit('home.binding', { mnId: id, prefixes, careOf, lifetime: bind ? m.lifetime : 0 });
    this.changed();
    return reply(BA_STATUS.ACCEPTED);
  }
}
