import { BA_STATUS, EXP_SUBTYPE, HACK_CODE, HANDOFF_INDICATOR, HI_CODE, REVOCATION_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { ProxyEntryState } from '../../../shared/control/role-state.js';
import type { AgentContext } from '../../context.js';
import {
  PURPOSE,
  altCoa,
  handoffOf,
  hnp,
  hnpsOf,
  locationAck,
  locationReply,
  mnId,
  mnIdOf,
  previousMrOf,
  previousMrOption,
  proxyPbu,
  purposeOf,
} from '../../../shared/protocol/dmm-options.js';

/** What the proxy knows about one visiting mobile node. */
interface ProxyEntry {
  mnId: string;
  /** Address of the MR of this network that serves the node now. */
  serving: string;
  /** Every prefix of the node (foreign ones and those anchored in this network). */
  prefixes: Set<string>;
  /** Foreign prefixes registered at their LMs with this MR as the location. */
  upstream: Set<string>;
  /** The node left the network: kept a little while only to relay its next MR's context transfer. */
  departed: boolean;
}

/**
 * LM proxy of a visited network (hierarchical LM entries: the MAP of HMIPv6,
 * Chan framework figures 4 and 9). The MRs of this network send location
 * updates for visiting mobile nodes here instead of to their home LMs. On a
 * node's first arrival the proxy registers itself upstream (the home LM binds
 * the node's prefixes to this MR), then it tracks which MR of the network
 * serves the node; moves inside the network stop here. It answers location
 * queries with the serving MR, so traffic goes straight there: the hierarchy
 * is for location management only, not for the data plane. When the node
 * leaves, its home LM revokes the entry (BRI naming the node) and the new MR's
 * context transfer (HI), addressed to this proxy, is relayed to the MR that
 * served the node, with the new MR as alternate care-of address.
 */
export class LmProxy {
  private readonly entries = new Map<string, ProxyEntry>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly me: MrInfo,
  ) {}

  /** Registers the proxy's handlers; before the MR's own BRI handler, which sees what is left. */
  listen(): void {
    const s = this.ctx.signalling;
    s.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.LOCATION_UPDATE,
      ({ message, from }) => this.onUpdate(message, from),
    );
    s.on(
      (m) => m.type === 'EXP' && m.subtype === EXP_SUBTYPE.LM_LOCATION_QUERY,
      ({ message, from }) => this.onQuery(message, from),
    );
    s.on(
      (m) => m.type === 'BRI' && hnpsOf(m).length === 0 && this.entries.has(mnIdOf(m) ?? ''),
      ({ message, from }) => this.onRevocation(message, from),
    );
  }

  /** The MR serving the node of `prefix`, as far as this proxy knows. */
  servingOf(prefix: string): MrInfo | undefined {
    const e = this.entryOf(prefix);
    return e ? this.ctx.domain.mrByAddress(e.serving) : undefined;
  }

  private entryOf(prefix: string): ProxyEntry | undefined {
    return [...this.entries.values()].find((e) => !e.departed && e.prefixes.has(prefix));
  }

  private node(address: string): string {
    return this.ctx.domain.mrByAddress(address)?.node ?? address;
  }

  private isForeign(prefix: string): boolean {
    return this.ctx.domain.networkOf(prefix)?.name !== this.me.network;
  }

  /** A location update from an MR of this network for a visiting node. */
  private async onUpdate(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'PBU') throw new Error('not a PBU');
    const id = mnIdOf(m);
    if (!id) return locationAck(m, id, BA_STATUS.MISSING_MN_IDENTIFIER_OPTION);
    const sender = this.ctx.domain.mrByAddress(from);
    const realm = this.ctx.domain.realmLm(id);
    if (!sender || sender.network !== this.me.network || !realm || this.ctx.domain.realmOf(id) === this.me.network) {
      this.ctx.events.emit('lm.refused', { mnId: id, from, reason: 'the LM proxy serves the MRs of its network for visiting nodes only' });
      return locationAck(m, id, BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    }
    const listed = hnpsOf(m);
    let entry = this.entries.get(id);
    if (entry?.departed) entry = undefined;
    if (m.lifetime === 0) return this.onRelease(m, id, realm, entry, listed);

    const lifetime = this.ctx.config.mobility.bindingLifetime;
    const arriving = !entry;
    const e: ProxyEntry = entry ?? { mnId: id, serving: from, prefixes: new Set(), upstream: new Set(), departed: false };
    const previous = arriving ? undefined : e.serving;
    const refresh = handoffOf(m) === HANDOFF_INDICATOR.NOT_CHANGED;
    for (const p of listed) e.prefixes.add(p);
    const fresh = listed.filter((p) => this.isForeign(p) && !e.upstream.has(p));
    let upstreamPrevious: string | undefined;
    if (arriving || refresh || fresh.length > 0) {
      // The home LM learns (or keeps) that this network has the node: its foreign prefixes are bound to this MR.
      const toRealm = refresh ? [...e.prefixes].filter((p) => this.isForeign(p)) : fresh;
      try {
        const r = await this.ctx.signalling.request(
          proxyPbu(PURPOSE.LOCATION_UPDATE, id, toRealm, lifetime, refresh ? HANDOFF_INDICATOR.NOT_CHANGED : HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE),
          realm,
        );
        if (r.message.type !== 'PBA' || r.message.status >= 128) {
          const status = r.message.type === 'PBA' ? r.message.status : BA_STATUS.REASON_UNSPECIFIED;
          return locationAck(m, id, status);
        }
        for (const p of hnpsOf(r.message)) e.prefixes.add(p);
        upstreamPrevious = previousMrOf(r.message);
      } catch (err) {
        this.ctx.events.log('warn', `upstream location update of ${id} at ${realm}: ${err instanceof Error ? err.message : String(err)}`);
        return locationAck(m, id, BA_STATUS.REASON_UNSPECIFIED);
      }
      // Foreign prefixes of other networks than the node's own: their LMs bind them to this MR too.
      const others = [...e.prefixes].filter((p) => this.isForeign(p) && (refresh || !e.upstream.has(p)));
      await this.tellOtherLms(id, others, realm, lifetime);
      for (const p of e.prefixes) if (this.isForeign(p)) e.upstream.add(p);
    }
    e.serving = from;
    this.entries.set(id, e);
    this.ctx.timers.set(`proxy:${id}`, lifetime * 1000, () => this.forget(id, 'expired'));
    this.ctx.events.emit('proxy.updated', {
      mnId: id,
      serving: sender.node,
      previous: previous ? this.node(previous) : null,
      upstream: arriving || refresh || fresh.length > 0,
      prefixes: [...e.prefixes],
    });
    const before = previous && previous !== from ? previous : upstreamPrevious && upstreamPrevious !== this.me.address ? upstreamPrevious : undefined;
    return locationAck(m, id, BA_STATUS.ACCEPTED, [...[...e.prefixes].map(hnp), ...(before ? [previousMrOption(before)] : [])], lifetime);
  }

  /** Lifetime 0: the node gave up prefixes; the foreign ones are released upstream as well. */
  private async onRelease(m: MhMessage, id: string, realm: string, entry: ProxyEntry | undefined, listed: string[]): Promise<MhMessage> {
    if (!entry) return locationAck(m, id, BA_STATUS.ACCEPTED, listed.map(hnp));
    const gone = listed.length ? listed : [...entry.prefixes];
    for (const p of gone) entry.prefixes.delete(p);
    const upstream = gone.filter((p) => entry.upstream.delete(p));
    if (upstream.length > 0) {
      await this.ctx.signalling.request(proxyPbu(PURPOSE.LOCATION_UPDATE, id, upstream, 0), realm).catch(() => undefined);
      await this.tellOtherLms(id, upstream, realm, 0);
    }
    if (entry.prefixes.size === 0) this.forget(id, 'released');
    else
      this.ctx.events.emit('proxy.updated', {
        mnId: id,
        serving: this.node(entry.serving),
        previous: null,
        upstream: upstream.length > 0,
        prefixes: [...entry.prefixes],
      });
    return locationAck(m, id, BA_STATUS.ACCEPTED, gone.map(hnp));
  }

  private async tellOtherLms(id: string, prefixes: string[], realm: string, lifetime: number): Promise<void> {
    const byLm = new Map<string, string[]>();
    for (const p of prefixes) {
      const lm = this.ctx.domain.lmFor(p);
      if (lm && lm !== realm) byLm.set(lm, [...(byLm.get(lm) ?? []), p]);
    }
    await Promise.all(
      [...byLm].map(([lm, ps]) =>
        this.ctx.signalling
          .request(proxyPbu(PURPOSE.LOCATION_UPDATE, id, ps, lifetime, HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE), lm)
          .catch((err: unknown) =>
            this.ctx.events.log('warn', `location update of ${ps.join(', ')} at ${lm}: ${err instanceof Error ? err.message : String(err)}`),
          ),
      ),
    );
  }

  /** LMQ for a prefix of a visiting node: the serving MR of this network. */
  private onQuery(m: MhMessage, from: string): MhMessage {
    const prefix = hnpsOf(m)[0];
    const e = prefix ? this.entryOf(prefix) : undefined;
    this.ctx.events.emit('proxy.query', { prefix: prefix ?? null, from, found: Boolean(e), location: e ? e.serving : null });
    return locationReply(m, prefix, e ? { location: e.serving, mnId: e.mnId, lifetimeS: this.ctx.config.mobility.bindingLifetime } : undefined);
  }

  /** BRI from the node's home LM: the node is elsewhere now. */
  private onRevocation(m: MhMessage, from: string): MhMessage {
    if (m.type !== 'BRI') throw new Error('not a BRI');
    const id = mnIdOf(m) as string;
    const ok = this.ctx.domain.realmLm(id) === from;
    if (ok) this.depart(id, 'revoked by its home LM');
    return {
      type: 'BRA',
      sequence: m.sequence,
      status: ok ? REVOCATION_STATUS.SUCCESS : REVOCATION_STATUS.PARTIAL_SUCCESS,
      flags: m.flags,
      options: [mnId(id)],
    };
  }

  /**
   * Whether an HI is for a visiting node served by another MR of this network,
   * sent by an MR outside it (its home LM named this proxy as the previous MR).
   */
  relays(m: MhMessage, from: string): boolean {
    if (m.type !== 'HI' || m.code === HI_CODE.FBU_FROM_PCOA) return false;
    const e = this.entries.get(mnIdOf(m) ?? '');
    const sender = this.ctx.domain.mrByAddress(from);
    return Boolean(e && e.serving !== this.me.address && sender && sender.network !== this.me.network);
  }

  /** Relays the HI to the MR that served the node here; the new MR goes along as alternate care-of address. */
  async relay(m: MhMessage, from: string): Promise<MhMessage> {
    const id = mnIdOf(m) as string;
    const e = this.entries.get(id) as ProxyEntry;
    this.depart(id, `moved to ${this.node(from)}`);
    this.ctx.events.emit('proxy.relayed', { mnId: id, to: this.node(e.serving), for: this.node(from) });
    try {
      const r = await this.ctx.signalling.request({ ...m, options: [...m.options.filter((o) => o.kind !== 'altCoa'), altCoa(from)] }, e.serving);
      return r.message;
    } catch (err) {
      this.ctx.events.log('warn', `relaying the HI for ${id} to ${this.node(e.serving)}: ${err instanceof Error ? err.message : String(err)}`);
      return { type: 'HAck', sequence: m.sequence, flags: { U: false, P: true, F: true }, code: HACK_CODE.NOT_ACCEPTED, options: [mnId(id)] };
    }
  }

  private depart(id: string, why: string): void {
    const e = this.entries.get(id);
    if (!e || e.departed) return;
    e.departed = true;
    this.ctx.events.emit('proxy.departed', { mnId: id, reason: why });
    this.ctx.timers.set(`proxy:${id}`, this.ctx.config.mobility.handoverContextLifetime * 1000, () => this.forget(id, 'left the network'));
  }

  private forget(id: string, why: string): void {
    if (!this.entries.delete(id)) return;
    this.ctx.timers.clear(`proxy:${id}`);
    this.ctx.events.emit('proxy.removed', { mnId: id, reason: why });
  }

  state(): ProxyEntryState[] {
    return [...this.entries.values()].map((e) => ({
      mnId: e.mnId,
      serving: this.node(e.serving),
      prefixes: [...e.prefixes],
      upstream: [...e.upstream],
      departed: e.departed,
    }));
  }
}
