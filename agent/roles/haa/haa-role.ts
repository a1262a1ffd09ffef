import { formatPrefix, parsePrefix, subPrefix } from '../../../shared/ipv6.js';
import { BA_STATUS, REVOCATION_TRIGGER, type MhMessage } from '../../../shared/protocol/index.js';
import type { HaaState } from '../../../shared/control/role-state.js';
import type { AgentContext, Role } from '../../context.js';
import { PURPOSE, hnp, hnpsOf, mnId, mnIdOf, pbaFlags, purposeOf, purposeOption } from '../../../shared/protocol/dmm-options.js';

interface Lease {
  prefix: string;
  mnId: string;
  /** Node name of the MR that anchors the prefix (the one that asked). */
  anchor: string;
  expires: number;
}

/**
 * Home Address Allocation (draft-tu 3.1 a): hands out one /64 home network
 * prefix per mobile node from the anchor aggregate of the MR that asks (so
 * regular routing delivers the prefix to that MR), with leases: renewal,
 * release, expiry (which revokes the binding at the anchor with a BRI).
 */
export class HaaRole implements Role<'haa'> {
  readonly name = 'haa';
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly ctx: AgentContext) {}

  async start(): Promise<void> {
    this.ctx.signalling.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.HAA_ALLOCATION,
      ({ message, from }) => this.onRequest(message, from),
    );
  }

  async stop(): Promise<void> {}

  private onRequest(m: MhMessage, from: string): MhMessage {
    if (m.type !== 'PBU') throw new Error('not a PBU');
    const id = mnIdOf(m);
    const mr = this.ctx.domain.mrByAddress(from);
    const reply = (status: number, prefix?: string, lifetime = 0): MhMessage => ({
      type: 'PBA',
      sequence: m.sequence,
      status,
      flags: pbaFlags(),
      lifetime,
      options: [purposeOption(PURPOSE.HAA_ALLOCATION), ...(id ? [mnId(id)] : []), ...(prefix ? [hnp(prefix)] : [])],
    });
    if (!id) return reply(BA_STATUS.MISSING_MN_IDENTIFIER_OPTION);
    if (!mr || mr.network !== this.ctx.config.network) {
      this.ctx.events.emit('haa.refused', { mnId: id, from, reason: 'not an MR of this network' });
      return reply(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    }
    const asked = hnpsOf(m)[0];
    const lifetime = this.ctx.config.mobility.leaseLifetime;
    if (m.lifetime === 0) {
      if (asked && this.leases.get(asked)?.mnId === id) {
        this.leases.delete(asked);
        this.ctx.timers.clear(`lease:${asked}`);
        this.ctx.events.emit('lease.released', { prefix: asked, mnId: id, anchor: mr.node });
      }
      return reply(BA_STATUS.ACCEPTED, asked, 0);
    }
    let lease = asked ? this.leases.get(asked) : undefined;
    if (asked && (!lease || lease.mnId !== id)) return reply(BA_STATUS.NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX, asked);
    if (!lease) {
      // Central anchoring (PMIPv6's LMA): from the network's anchor, whichever MR asks.
      const anchor = this.ctx.domain.centralAnchor(this.ctx.config.network) ?? mr;
      const prefix = this.allocate(anchor.anchor);
      if (!prefix) {
        this.ctx.events.emit('haa.pool-exhausted', { mnId: id, anchor: anchor.node, aggregate: anchor.anchor, leases: this.leases.size });
        return reply(BA_STATUS.INSUFFICIENT_RESOURCES);
      }
      lease = { prefix, mnId: id, anchor: anchor.node, expires: 0 };
      this.leases.set(prefix, lease);
      this.ctx.events.emit('lease.granted', { prefix, mnId: id, anchor: anchor.node, lifetime });
    } else {
      this.ctx.events.emit('lease.renewed', { prefix: lease.prefix, mnId: id, lifetime });
    }
    lease.expires = Date.now() + lifetime * 1000;
    const prefix = lease.prefix;
    this.ctx.timers.set(`lease:${prefix}`, lifetime * 1000, () => void this.expire(prefix));
    return reply(BA_STATUS.ACCEPTED, prefix, lifetime);
  }

  /** Lowest free /64 in the anchor aggregate. */
  private allocate(anchor: string): string | undefined {
    const agg = parsePrefix(anchor);
    const count = 1n << BigInt(64 - agg.len);
    for (let i = 0n; i < count; i++) {
      const p = formatPrefix(subPrefix(agg, 64, i));
      if (!this.leases.has(p)) return p;
    }
    return undefined;
  }

  private async expire(prefix: string): Promise<void> {
    const lease = this.leases.get(prefix);
    if (!lease) return;
    this.leases.delete(prefix);
    this.ctx.events.emit('lease.expired', { prefix, mnId: lease.mnId, anchor: lease.anchor });
    const anchor = this.ctx.domain.mrByNode(lease.anchor);
    if (!anchor) return;
    // Tell the anchor that the prefix is gone: it tears down what it holds for it.
    await this.ctx.signalling
      .request(
        {
          type: 'BRI',
          sequence: 0,
          trigger: REVOCATION_TRIGGER.PER_PEER_POLICY,
          flags: { P: true, V: false, G: false },
          options: [mnId(lease.mnId), hnp(prefix)],
        },
        anchor.address,
      )
      .catch((e: unknown) => this.ctx.events.log('warn', `BRI to ${anchor.node} for ${prefix}: ${e instanceof Error ? e.message : String(e)}`));
  }

  state(): HaaState {
    const now = Date.now();
    return {
      leases: [...this.leases.values()].map((l) => ({
        prefix: l.prefix,
        mnId: l.mnId,
        anchor: l.anchor,
        expiresInS: Math.max(0, Math.round((l.expires - now) / 1000)),
      })),
    };
  }
}
