import { linkLocalFromMac } from '../../../shared/ipv6.js';
import type { RoleOperations } from '../../../shared/control/messages.js';
import type { ArState, AttachmentRecord } from '../../../shared/control/role-state.js';
import { PURPOSE, purposeOf } from '../../../shared/protocol/dmm-options.js';
import type { AgentContext, Role } from '../../context.js';
import { Radvd } from '../../kernel/radvd.js';
import type { MrPort } from '../mr/mr-port.js';
import { attach, detach } from './attach.js';
import { isVisitedLink, offerCareOfPrefixes } from './care-of.js';
import { onClientUpdate, openLinkSocket, openLinkSocketEarly } from './client-mode.js';
import { onHandoverInitiate } from './context-transfer.js';
import type { Advertiser, ArCore, Visitor } from './core.js';
import { dropPrefix } from './delivery.js';
import { prepareHandover } from './predictive.js';

/** When a Mobile IPv6 visited link advertises again after its carrier came up. */
const ADVERTISE_AGAIN_MS = 1000;
/**
 * Access Router (network-based, PMIPv6-like; flat DMM co-locates it with the
 * MR). Detects a mobile node attaching on an access link (carrier on its veth,
 * or the node's own BU in client mode) and runs the procedures of the files
 * next to this one: attachment and detachment (attach.ts), context transfer
 * with the previous MR (context-transfer.ts), predictive handover
 * (predictive.ts) and client-based mode (client-mode.ts). Its MR is reached
 * through the MrPort interface only.
 */
export class ArRole implements Role<'ar'> {
  readonly name = 'ar';
  private readonly core: ArCore;
  private readonly linkSockets = new Set<string>();
  readonly operations: RoleOperations = {
    'handover.prepare': (req) => prepareHandover(this.core, req.mn, req.to),
  };

  constructor(
    private readonly ctx: AgentContext,
    mr: MrPort,
    radvd: Advertiser = new Radvd(ctx.config.workDir, ctx.events, ctx.exec),
  ) {
    const visitors = new Map<string, Visitor>();
    for (const a of ctx.config.access) {
      visitors.set(a.iface, {
        mn: a.mn,
        mnId: a.mnId,
        iface: a.iface,
        mac: a.mnMac,
        linkLocal: linkLocalFromMac(a.mnMac),
        state: 'away',
        prefixes: new Map(),
        generation: 0,
      });
    }
    const recent: AttachmentRecord[] = [];
    this.core = { ctx, mr, radvd, visitors, recent };
    mr.connectAccess({
      attachedPrefixes: () => [...visitors.values()].filter((v) => v.state === 'attached').flatMap((v) => [...v.prefixes.keys()]),
      prefixRevoked: (p) => void dropPrefix(this.core, p, 'revoked'),
    });
  }

  async start(): Promise<void> {
    const { ctx, core } = this;
    await core.radvd.start(ctx.config.access.map((a) => a.iface));
    await offerCareOfPrefixes(core);
    await Promise.all(ctx.config.access.map((a) => openLinkSocketEarly(core, a.iface, a.mac, this.linkSockets)));
    const s = ctx.signalling;
    s.on(
      (m) => m.type === 'HI',
      ({ message, from }) => (core.mr.lmProxy?.relays(message, from) ? core.mr.lmProxy.relay(message, from) : onHandoverInitiate(core, message, from)),
    );
    s.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.CLIENT_UPDATE,
      ({ message, scope }) => onClientUpdate(core, message, scope),
    );
    ctx.onCarrier((iface, carrier) => {
      const v = core.visitors.get(iface);
      if (!v) return;
      const careOf = isVisitedLink(core, iface);
      if (careOf) {
        // Mobile IPv6: a node from another network; it binds its care-of address with its home agent itself.
        v.state = carrier ? 'attached' : 'away';
        if (carrier) {
          ctx.events.emit('mn.link-up', { mn: v.mn, iface, note: `Mobile IPv6 visited link: care-of prefix ${careOf}` });
          void core.radvd.advertiseNow();
          // Once more a second later: radvd skips an interface it does not see ready yet (its link-local
          // address comes back a moment after the carrier), and the node's care-of address waits for an
          // advertisement (the periodic one can be 10 s away, its solicitation may have been dropped).
          ctx.timers.set(`advertise:${iface}`, ADVERTISE_AGAIN_MS, () => {
            if (v.state === 'attached') void core.radvd.advertiseNow();
          });
        }
        return;
      }
      if (!carrier) void detach(core, v);
      // The node signals to the link's address (a client-based binding update, or a network-based node
      // releasing an idle prefix). In network-based mode the socket is opened once the attachment is
      // done: looking the address up spawns ip, which would hold up the registration. A Mobile IPv6
      // node's home link attaches it the network-based way (its home address comes from there).
      else if (ctx.config.mobility.mnMode !== 'client') void attach(core, v).finally(() => openLinkSocket(core, iface, this.linkSockets));
      else {
        void openLinkSocket(core, iface, this.linkSockets);
        ctx.events.emit('mn.link-up', { mn: v.mn, iface, note: 'client-based mode: waiting for the node’s binding update' });
      }
    });
  }

  async stop(): Promise<void> {
    this.core.radvd.stop();
  }

  state(): ArState {
    return {
      visitors: [...this.core.visitors.values()].map((v) => ({
        mn: v.mn,
        mnId: v.mnId,
        iface: v.iface,
        state: v.state,
        prefixes: [...v.prefixes].map(([p, a]) => ({ prefix: p, anchor: a.node })),
      })),
      advertised: this.core.radvd.current(),
      recent: this.core.recent.slice(-10),
    };
  }
}
