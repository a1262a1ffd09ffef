import { BA_STATUS, EXP_SUBTYPE, REVOCATION_TRIGGER, type MhMessage } from '../../../shared/protocol/index.js';
import type { LmState } from '../../../shared/control/role-state.js';
import type { AgentContext, Role } from '../../context.js';
import {
  PURPOSE,
  altCoaOf,
  hnp,
  hnpsOf,
  homeSync,
  locationAck,
  locationReply,
  mnId,
  mnIdOf,
  pbaFlags,
  previousMrOption,
  purposeOf,
  purposeOption,
} from '../../../shared/protocol/dmm-options.js';

interface Binding {
  prefix: string;
  mnId: string;
  /** Address of the MR serving the prefix's mobile node (its routing location). */
  location: string;
  expires: number;
  /** MRs that asked for this binding (told with a BRI when it goes). */
  queriers: Set<string>;
}

interface MnContext {
  mnId: string;
  serving?: string;
  prefixes: Set<string>;
  expires: number;
}

/**
 * Location Management (draft-tu 3.1 c; the distributed LM database of the
 * Chan framework, figure 9). Authoritative for the prefixes of its own network:
 * a binding cache from home prefix to routing location (the serving MR), with
 * update/acknowledge (PBU/PBA), query/reply (LMQ/LMR in the Experimental MH)
 * and lifetimes. For mobile nodes of its realm it also keeps their context:
 * which MR serves them and all their prefixes, so that a new MR learns both
 * (and the previous MR, for the context transfer) in one round trip.
 *
 * With migrating home agents (Chan figure 6) it is one replica of LM0: a
 * binding a home agent of its network took (home address → care-of address)
 * is stored and passed to every other replica, and each replica passes what
 * it learns to the home agents of its network, so that all hold it.
 */
export class LmRole implements Role<'lm'> {
  readonly name = 'lm';
  private readonly bindings = new Map<string, Binding>();
  private readonly contexts = new Map<string, MnContext>();

  constructor(private readonly ctx: AgentContext) {}

  private get me(): string {
    return this.ctx.config.address as string;
  }

  async start(): Promise<void> {
    this.ctx.signalling.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.LOCATION_UPDATE,
      ({ message, from }) => this.onUpdate(message, from),
    );
    this.ctx.signalling.on(
      (m) => m.type === 'EXP' && m.subtype === EXP_SUBTYPE.LM_LOCATION_QUERY,
      ({ message, from }) => this.onQuery(message, from),
    );
    if (this.ctx.domain.migratingHomeAgents)
      this.ctx.signalling.on(
        (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.HOME_SYNC,
        ({ message, from }) => this.onHomeSync(message, from),
      );
  }

  /**
   * Migrating home agents: a home binding from a home agent of this network (passed on to the
   * other replicas and this network's other home agents) or from another replica (passed on to
   * this network's home agents). Stored either way; the answer does not wait for the passing on.
   */
  private onHomeSync(m: MhMessage, from: string): MhMessage {
    if (m.type !== 'PBU') throw new Error('not a PBU');
    const id = mnIdOf(m);
    const prefixes = hnpsOf(m);
    const careOf = altCoaOf(m);
    const reply = (status: number): MhMessage => ({
      type: 'PBA',
      sequence: m.sequence,
      status,
      flags: pbaFlags(),
      lifetime: status < 128 ? m.lifetime : 0,
      options: [purposeOption(PURPOSE.HOME_SYNC), ...(id ? [mnId(id)] : []), ...prefixes.map(hnp)],
    });
    const domain = this.ctx.domain;
    const myNetwork = this.ctx.config.network;
    const homeAgents = domain.centralAnchors();
    const sender = domain.mrByAddress(from);
    const fromHomeAgent = sender !== undefined && sender.network === myNetwork && homeAgents.some((h) => h.node === sender.node);
    const replicas = [...new Set(this.ctx.config.mobility.domain.flatMap((n) => (n.lm && n.lm.address !== this.me ? [n.lm.address] : [])))];
    const fromReplica = replicas.includes(from);
    if (!id || !domain.mnById(id)) return reply(BA_STATUS.MISSING_MN_IDENTIFIER_OPTION);
    if (!fromHomeAgent && !fromReplica) {
      this.ctx.events.emit('lm.refused', { mnId: id, from, reason: 'home binding sync from neither a home agent of this network nor an LM replica' });
      return reply(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    }
    if (!careOf || prefixes.length === 0) return reply(BA_STATUS.MISSING_HOME_NETWORK_PREFIX_OPTION);
    for (const p of prefixes) {
      if (m.lifetime === 0) void this.remove(p, 'the node is home');
      else this.bind(p, id, careOf, m.lifetime);
    }
    const mine = homeAgents.filter((h) => h.network === myNetwork && h.node !== sender?.node);
    const targets = [...(fromHomeAgent ? replicas : []), ...mine.map((h) => h.address)];
    this.ctx.events.emit('lm.synced', {
      mnId: id,
      prefixes,
      careOf,
      lifetime: m.lifetime,
      from: sender?.node ?? from,
      forwarded: [
        ...(fromHomeAgent ? replicas.map((r) => this.ctx.config.mobility.domain.find((n) => n.lm?.address === r)?.lm?.node ?? r) : []),
        ...mine.map((h) => h.node),
      ],
    });
    for (const to of targets) {
      const toHomeAgent = mine.some((h) => h.address === to);
      void this.ctx.signalling
        .request(homeSync(toHomeAgent ? 'LRI' : 'PBU', id, prefixes, careOf, m.lifetime), to)
        .catch((e: unknown) => this.ctx.events.log('warn', `home binding sync to ${to}: ${e instanceof Error ? e.message : String(e)}`));
    }
    return reply(BA_STATUS.ACCEPTED);
  }

  async stop(): Promise<void> {}

  private onUpdate(m: MhMessage, from: string): MhMessage {
    if (m.type !== 'PBU') throw new Error('not a PBU');
    const id = mnIdOf(m);
    const reply = (status: number, options: MhMessage['options'] = [], lifetime = 0) => locationAck(m, id, status, options, lifetime);
    if (!id) return reply(BA_STATUS.MISSING_MN_IDENTIFIER_OPTION);
    if (!this.ctx.domain.mrByAddress(from)) {
      this.ctx.events.emit('lm.refused', { mnId: id, from, reason: 'sender is not an MR of the domain' });
      return reply(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    }
    const lifetime = m.lifetime === 0 ? 0 : this.ctx.config.mobility.bindingLifetime;
    const listed = hnpsOf(m);
    const realm = this.ctx.domain.realmLm(id) === this.me;
    let previous: string | undefined;
    let context: MnContext | undefined;
    if (realm) {
      context = this.contexts.get(id) ?? { mnId: id, prefixes: new Set<string>(), expires: 0 };
      previous = context.serving;
      if (lifetime === 0) {
        if (listed.length) for (const p of listed) context.prefixes.delete(p);
        else context.prefixes.clear();
        if (context.prefixes.size === 0) context.serving = undefined;
      } else {
        context.serving = from;
        for (const p of listed) context.prefixes.add(p);
      }
      context.expires = Date.now() + this.ctx.config.mobility.bindingLifetime * 1000;
      if (context.prefixes.size === 0 && !context.serving) this.contexts.delete(id);
      else this.contexts.set(id, context);
      this.ctx.events.emit('mn.context', { mnId: id, serving: context.serving ?? null, previous: previous ?? null, prefixes: [...context.prefixes] });
      this.ctx.timers.set(`ctx:${id}`, this.ctx.config.mobility.bindingLifetime * 1000, () => this.contexts.delete(id));
      if (lifetime > 0 && previous && previous !== from) this.releaseProxy(id, previous);
    }
    const targets = listed.length ? listed : context ? [...context.prefixes] : [];
    for (const p of targets) {
      if (this.ctx.domain.lmFor(p) !== this.me) continue;
      if (lifetime === 0) void this.remove(p, 'deregistered');
      else this.bind(p, id, from, lifetime);
    }
    const options: MhMessage['options'] = [];
    for (const p of realm && context && lifetime > 0 ? context.prefixes : targets) options.push(hnp(p));
    if (realm && previous && previous !== from) options.push(previousMrOption(previous));
    return reply(BA_STATUS.ACCEPTED, options, lifetime);
  }

  /**
   * The node left a visited network whose LM proxy stood for it here (hierarchical entry): the
   * proxy drops its entry (BRI naming the node, no prefix). The node's own network needs none.
   */
  private releaseProxy(id: string, previous: string): void {
    const visited = this.ctx.domain.proxiedNetwork(previous);
    if (!visited || visited === this.ctx.domain.realmOf(id)) return;
    this.ctx.events.emit('lm.proxy-released', { mnId: id, proxy: this.ctx.domain.mrByAddress(previous)?.node ?? previous, network: visited });
    void this.ctx.signalling
      // The node moved on (RFC 5846 6.1: an inter-MAG handover); a release revokes with another trigger.
      .request(
        { type: 'BRI', sequence: 0, trigger: REVOCATION_TRIGGER.INTER_MAG_HANDOVER_UNKNOWN, flags: { P: true, V: false, G: false }, options: [mnId(id)] },
        previous,
      )
      .catch((e: unknown) => this.ctx.events.log('warn', `BRI to LM proxy ${previous}: ${e instanceof Error ? e.message : String(e)}`));
  }

  private bind(prefix: string, id: string, location: string, lifetime: number): void {
    const old = this.bindings.get(prefix);
    const atHome = this.ctx.domain.anchorOf(prefix)?.address === location;
    // draft-tu 4.1: at initial attachment the update is optional; the anchor is reached by regular routing.
    if (!old && atHome && !this.ctx.config.mobility.registerOnAttach) return;
    const b: Binding = { prefix, mnId: id, location, expires: Date.now() + lifetime * 1000, queriers: old?.queriers ?? new Set() };
    this.bindings.set(prefix, b);
    this.ctx.timers.set(`binding:${prefix}`, lifetime * 1000, () => void this.remove(prefix, 'expired'));
    if (old?.location !== location)
      this.ctx.events.emit('binding.updated', {
        prefix,
        mnId: id,
        location,
        previous: old?.location ?? null,
        mr: this.ctx.domain.mrByAddress(location)?.node ?? location,
      });
  }

  private async remove(prefix: string, why: string): Promise<void> {
    const b = this.bindings.get(prefix);
    if (!b) return;
    this.bindings.delete(prefix);
    this.ctx.timers.clear(`binding:${prefix}`);
    this.ctx.events.emit('binding.removed', { prefix, mnId: b.mnId, reason: why });
    // MRs that cached this location drop it.
    await Promise.all(
      [...b.queriers].map((q) =>
        this.ctx.signalling
          .request(
            {
              type: 'BRI',
              sequence: 0,
              trigger: REVOCATION_TRIGGER.PER_PEER_POLICY,
              flags: { P: true, V: false, G: false },
              options: [mnId(b.mnId), hnp(prefix)],
            },
            q,
          )
          .catch(() => undefined),
      ),
    );
  }

  private onQuery(m: MhMessage, from: string): MhMessage {
    if (m.type !== 'EXP') throw new Error('not an EXP');
    const prefix = hnpsOf(m)[0];
    const b = prefix ? this.bindings.get(prefix) : undefined;
    if (b) b.queriers.add(from);
    this.ctx.events.emit('lm.query', { prefix: prefix ?? null, from, found: Boolean(b), location: b?.location ?? null });
    return locationReply(m, prefix, b ? { location: b.location, mnId: b.mnId, lifetimeS: (b.expires - Date.now()) / 1000 } : undefined);
  }

  state(): LmState {
    const now = Date.now();
    const name = (a: string) => this.ctx.domain.mrByAddress(a)?.node ?? a;
    return {
      bindings: [...this.bindings.values()].map((b) => ({
        prefix: b.prefix,
        mnId: b.mnId,
        location: b.location,
        mr: name(b.location),
        expiresInS: Math.round((b.expires - now) / 1000),
        queriers: [...b.queriers].map(name),
      })),
      contexts: [...this.contexts.values()].map((c) => ({ mnId: c.mnId, serving: c.serving ? name(c.serving) : null, prefixes: [...c.prefixes] })),
    };
  }
}
