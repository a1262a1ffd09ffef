import { linkLocalFromMac } from '../../shared/ipv6.js';
import { monoMs } from '../../shared/clock.js';
import { BA_STATUS, HACK_CODE, HANDOFF_INDICATOR, HI_CODE, type MhMessage } from '../../shared/protocol/index.js';
import type { MrInfo } from '../../shared/control/agent-config.js';
import type { AgentContext, Role } from '../context.js';
import { Radvd, type AdvertisedPrefix } from '../kernel/radvd.js';
import { ipJson } from '../kernel/kernel.js';
import { PURPOSE, altCoaOf, hnp, hnpsOf, mnId, mnIdOf, pbaFlags, previousMrOf, proxyPbu, purposeOf, purposeOption } from '../../shared/protocol/dmm-options.js';
import type { MrRole } from './mr/mr-role.js';

interface Visitor {
  mn: string;
  mnId: string;
  iface: string;
  mac: string;
  /** The node's link-local address on this access link (EUI-64 of its radio MAC). */
  linkLocal: string;
  /** expected: a previous MR announced it (predictive handover) and its routes are ready here. */
  state: 'attached' | 'detached' | 'away' | 'expected';
  /** Previous MR side of a predictive handover: the new MR that is ready for it. */
  preparedTo?: MrInfo;
  /** Home prefixes and the MR that anchors each. */
  prefixes: Map<string, MrInfo>;
  /** Bumped on every attach/detach so a slow procedure can tell it was overtaken. */
  generation: number;
  attachedAt?: number;
}

/**
 * Access Router (network-based, PMIPv6-like; flat DMM co-locates it with the
 * MR). Detects a mobile node attaching on an access link (carrier on its veth,
 * or the node's own BU in client mode); learns its prefixes and previous MR
 * from its realm LM; runs the context transfer with the previous MR (HI/HAck),
 * updates the LMs and anchors; gets a new prefix anchored here (dynamic
 * mobility, draft-tu 4.2); and advertises the prefixes, the old ones
 * deprecated, so a stock Linux node autoconfigures from them.
 */
export class ArRole implements Role {
  readonly name = 'ar';
  private readonly visitors = new Map<string, Visitor>();
  private readonly radvd: Radvd;
  private readonly handovers: Record<string, unknown>[] = [];

  constructor(
    private readonly ctx: AgentContext,
    private readonly mr: MrRole,
  ) {
    this.radvd = new Radvd(ctx.config.workDir, ctx.events);
    for (const a of ctx.config.access) {
      this.visitors.set(a.iface, {
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
  }

  async start(): Promise<void> {
    await this.radvd.start(this.ctx.config.access.map((a) => a.iface));
    const s = this.ctx.signalling;
    s.on(
      (m) => m.type === 'HI',
      ({ message, from }) => (this.mr.lmProxy?.relays(message, from) ? this.mr.lmProxy.relay(message, from) : this.onHandoverInitiate(message, from)),
    );
    s.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.CLIENT_UPDATE,
      ({ message, scope }) => this.onClientUpdate(message, scope),
    );
    this.mr.attachedPrefixes = () => [...this.visitors.values()].filter((v) => v.state === 'attached').flatMap((v) => [...v.prefixes.keys()]);
    this.mr.onPrefixRevoked = (p) => void this.dropPrefix(p, 'revoked');
    this.ctx.onCarrier((iface, carrier) => {
      const v = this.visitors.get(iface);
      if (!v) return;
      if (!carrier) void this.detach(v);
      // The node signals to the link's address (a client-based binding update, or a network-based node
      // releasing an idle prefix). In network-based mode the socket is opened once the attachment is
      // done: looking the address up spawns ip, which would hold up the registration.
      else if (this.ctx.config.mobility.mnMode === 'network') void this.attach(v).finally(() => this.ensureLinkSocket(iface));
      else {
        void this.ensureLinkSocket(iface);
        this.ctx.events.emit('mn.link-up', { mn: v.mn, iface, note: 'client-based mode: waiting for the node’s binding update' });
      }
    });
  }

  async stop(): Promise<void> {
    this.radvd.stop();
  }

  private readonly linkSockets = new Set<string>();

  /** A signalling socket on this access link's link-local address (client-based mobile nodes talk to it). */
  private async ensureLinkSocket(iface: string): Promise<void> {
    if (this.linkSockets.has(iface)) return;
    for (let i = 0; i < 50; i++) {
      const l = await ipJson<{ addr_info?: { local: string; scope?: string }[] }>(['-6', 'address', 'show', 'dev', iface]);
      const ll = l[0]?.addr_info?.find((a) => a.scope === 'link')?.local;
      if (ll) {
        try {
          await this.ctx.signalling.listen(`${ll}%${iface}`);
          this.linkSockets.add(iface);
          return;
        } catch {
          // address not usable yet
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    this.ctx.events.log('warn', `no signalling socket on ${iface}`);
  }

  private visitorById(id: string): Visitor | undefined {
    return [...this.visitors.values()].find((v) => v.mnId === id);
  }

  /** A mobile node arrived on an access link. */
  async attach(v: Visitor): Promise<void> {
    const gen = ++v.generation;
    const t0 = monoMs();
    const wasHere = v.state === 'detached' && v.prefixes.size > 0;
    // Predictive handover: the previous MR already forwards here and the routes are in; only the node's neighbour entry is missing.
    const prepared = v.state === 'expected';
    v.state = 'attached';
    v.preparedTo = undefined;
    v.attachedAt = t0;
    this.ctx.timers.clear(`expect:${v.iface}`);
    this.ctx.events.emit('mn.attached', { mn: v.mn, mnId: v.mnId, iface: v.iface, ...(prepared ? { prepared: true } : {}) });
    // The node's neighbour entry goes in while the registration is on its way (the kernel batch is in order).
    const neighbour = this.mr.datapath.change((c) => this.mr.datapath.routes.neighbour(c, v.iface, v.linkLocal, v.mac));
    if (prepared || wasHere) await neighbour;
    if (wasHere) {
      // Back before anybody else took over: deliver again, nothing to signal.
      await this.deliver(v);
      this.finish(v, t0, undefined, 'returned');
      return;
    }
    const me = this.mr.me;
    const realm = this.locationManager(v);
    if (!realm) {
      this.ctx.events.emit('agent.error', { message: `no LM for the realm of ${v.mnId}` });
      return;
    }
    let known: string[] = [];
    let previous: MrInfo | undefined;
    try {
      const r = await this.ctx.signalling.request(
        proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [], this.ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.UNKNOWN),
        realm,
      );
      known = hnpsOf(r.message);
      const prev = previousMrOf(r.message);
      previous = prev ? this.ctx.domain.mrByAddress(prev) : undefined;
    } catch (e) {
      this.ctx.events.emit('agent.error', { message: `registration of ${v.mnId} at its LM failed: ${errText(e)}` });
    }
    if (gen !== v.generation) return;
    for (const p of known) {
      const anchor = this.ctx.domain.anchorOf(p);
      if (anchor) v.prefixes.set(p, anchor);
    }
    const handover = v.prefixes.size > 0;
    const anchoredHere = () => [...v.prefixes.values()].some((a) => a.node === me.node);
    const willAddPrefix = !handover || (this.ctx.config.mobility.newPrefixOnHandover && !anchoredHere());
    if (handover) {
      // The context transfer goes out first: the previous MR starts forwarding while routes go in here.
      // The previous MR learns from the context transfer; unless it is only the LM proxy of the network the node
      // left (it relays the transfer to the MR that served the node there), so what it anchors is told here too.
      const relayed = previous !== undefined && previous.network !== me.network && this.ctx.domain.proxiedNetwork(previous.address) !== undefined;
      const toldByTransfer = relayed ? undefined : previous?.node;
      const tasks: Promise<unknown>[] = [];
      if (previous && previous.node !== me.node && !prepared) tasks.push(this.transferContext(v, previous, realm, toldByTransfer));
      tasks.push(this.deliver(v, willAddPrefix));
      tasks.push(...this.announce(v, [...v.prefixes.keys()], realm, toldByTransfer));
      await Promise.all(tasks);
    }
    if (gen !== v.generation) return;
    if (willAddPrefix) {
      const p = await this.allocate(v);
      if (p && gen === v.generation) {
        v.prefixes.set(p, me);
        await this.deliver(v, false);
        await Promise.all([
          this.tell(
            realm,
            proxyPbu(
              PURPOSE.LOCATION_UPDATE,
              v.mnId,
              [p],
              this.ctx.config.mobility.bindingLifetime,
              handover ? HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE : HANDOFF_INDICATOR.NEW_INTERFACE,
            ),
          ),
          ...this.updateOtherLms(v, [p], realm),
        ]);
      }
    }
    if (gen === v.generation) this.finish(v, t0, previous, handover ? 'handover' : 'initial');
  }

  private finish(v: Visitor, t0: number, previous: MrInfo | undefined, kind: string): void {
    const ms = monoMs() - t0;
    const record = { mn: v.mn, mnId: v.mnId, mode: kind, from: previous?.node ?? null, to: this.mr.me.node, prefixes: [...v.prefixes.keys()], ms };
    this.handovers.push(record);
    if (this.handovers.length > 50) this.handovers.shift();
    this.ctx.events.emit(kind === 'handover' ? 'handover.completed' : 'attachment.completed', record);
    this.mr.refreshObserver();
    this.scheduleRefresh(v);
  }

  /** Re-registers the node's prefixes before their bindings expire, while it stays here. */
  private scheduleRefresh(v: Visitor): void {
    const every = (this.ctx.config.mobility.bindingLifetime * 1000) / 2;
    this.ctx.timers.set(`refresh:${v.iface}`, every, () => {
      if (v.state !== 'attached') return;
      const realm = this.locationManager(v);
      if (realm)
        void this.tell(
          realm,
          proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [...v.prefixes.keys()], this.ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.NOT_CHANGED),
        );
      if (realm) void Promise.all(this.updateOtherLms(v, [...v.prefixes.keys()], realm));
      this.scheduleRefresh(v);
    });
  }

  /**
   * Tells where the node is now for these prefixes: their anchors (anchor
   * binding; not `skipAnchor`, which learns it from the context transfer),
   * their LMs, and this MR itself for the prefixes it anchors.
   */
  private announce(v: Visitor, prefixes: string[], realm: string, skipAnchor: string | undefined): Promise<unknown>[] {
    const me = this.mr.me;
    const tasks: Promise<unknown>[] = [];
    const anchorOf = (p: string) => v.prefixes.get(p) as MrInfo;
    const byAnchor = group(
      prefixes.filter((p) => v.prefixes.has(p) && anchorOf(p).node !== me.node && anchorOf(p).node !== skipAnchor),
      (p) => anchorOf(p).node,
    );
    for (const [, ps] of byAnchor)
      tasks.push(this.tell(anchorOf(ps[0] as string).address, proxyPbu(PURPOSE.ANCHOR_BINDING, v.mnId, ps, this.ctx.config.mobility.bindingLifetime)));
    tasks.push(...this.updateOtherLms(v, prefixes, realm));
    const home = prefixes.filter((p) => v.prefixes.get(p)?.node === me.node);
    if (home.length > 0) {
      tasks.push(
        this.mr.datapath.change((c) => {
          for (const p of home) this.mr.datapath.stage(c, p, 'anchored', undefined, 'its node is back at its anchor');
        }),
      );
    }
    return tasks;
  }

  /** HI/HAck with the previous MR: it forwards what still arrives for the node to us from now on (draft-tu 4.4). */
  private async transferContext(v: Visitor, previous: MrInfo, realm: string, toldByTransfer: string | undefined): Promise<void> {
    try {
      const r = await this.ctx.signalling.request(
        {
          type: 'HI',
          sequence: 0,
          flags: { S: false, U: false, P: true, F: true },
          code: HI_CODE.FBU_NOT_FROM_PCOA,
          options: [mnId(v.mnId), ...[...v.prefixes.keys()].map(hnp)],
        },
        previous.address,
      );
      // Prefixes the node's LM did not list (those a visited network's LM proxy kept to itself): delivered and announced here.
      const learned: string[] = [];
      for (const p of hnpsOf(r.message)) {
        const anchor = this.ctx.domain.anchorOf(p);
        if (anchor && !v.prefixes.has(p)) {
          v.prefixes.set(p, anchor);
          learned.push(p);
        }
      }
      if (learned.length > 0) await Promise.all([this.deliver(v), ...this.announce(v, learned, realm, toldByTransfer)]);
      this.ctx.events.emit('context.transferred', { mn: v.mn, from: previous.node, code: r.message.type === 'HAck' ? r.message.code : null });
    } catch (e) {
      this.ctx.events.emit('agent.error', { message: `context transfer with ${previous.node} for ${v.mn}: ${errText(e)}` });
    }
  }

  /**
   * Where location updates for a node go: its realm LM; for a node visiting a
   * network with an LM proxy, that proxy (hierarchical LM entries, Chan
   * figures 4 and 9), which keeps moves inside the network from the home LM.
   */
  private locationManager(v: Visitor): string | undefined {
    return this.lmProxyFor(v) ?? this.ctx.domain.realmLm(v.mnId);
  }

  private lmProxyFor(v: Visitor): string | undefined {
    const here = this.ctx.config.network;
    return this.ctx.domain.realmOf(v.mnId) === here ? undefined : this.ctx.domain.lmProxyOf(here)?.address;
  }

  /**
   * Location updates to the LMs (other than the realm LM) authoritative for
   * some of the prefixes. Behind an LM proxy only this network's own LM: the
   * proxy registers the foreign prefixes itself.
   */
  private updateOtherLms(v: Visitor, prefixes: string[], realm: string): Promise<unknown>[] {
    const byLm = group(prefixes, (p) => this.ctx.domain.lmFor(p) ?? '');
    const proxied = this.lmProxyFor(v) !== undefined;
    const ownLm = this.ctx.domain.lmOf(this.ctx.config.network);
    const out: Promise<unknown>[] = [];
    for (const [lm, ps] of byLm) {
      if (!lm || lm === realm || (proxied && lm !== ownLm)) continue;
      out.push(
        this.tell(lm, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, ps, this.ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE)),
      );
    }
    return out;
  }

  /** A new home prefix anchored here, from this network's HAA. */
  private async allocate(v: Visitor): Promise<string | undefined> {
    const haa = this.ctx.domain.haaOf(this.ctx.config.network);
    if (!haa) {
      this.ctx.events.emit('agent.error', { message: `network ${this.ctx.config.network} has no HAA` });
      return undefined;
    }
    try {
      const r = await this.ctx.signalling.request(proxyPbu(PURPOSE.HAA_ALLOCATION, v.mnId, ['::/0'], this.ctx.config.mobility.leaseLifetime), haa);
      if (r.message.type !== 'PBA' || r.message.status >= 128) {
        this.ctx.events.emit('agent.error', { message: `HAA refused a prefix for ${v.mnId} (status ${r.message.type === 'PBA' ? r.message.status : '?'})` });
        return undefined;
      }
      const p = hnpsOf(r.message)[0];
      if (p) {
        this.ctx.events.emit('prefix.allocated', { mn: v.mn, mnId: v.mnId, prefix: p, anchor: this.mr.me.node, lifetime: r.message.lifetime });
        this.mr.trackLease(p, v.mnId, r.message.lifetime);
      }
      return p;
    } catch (e) {
      this.ctx.events.emit('agent.error', { message: `prefix request for ${v.mnId}: ${errText(e)}` });
      return undefined;
    }
  }

  /** Routes, reverse rules and router advertisements for a node on its access link (one kernel batch). */
  private async deliver(v: Visitor, deprecateAll = false): Promise<void> {
    const me = this.mr.me;
    const hasLocal = [...v.prefixes.values()].some((a) => a.node === me.node);
    const list: AdvertisedPrefix[] = [];
    const dp = this.mr.datapath;
    // Where the node is was known elsewhere before it came (back) here: a handover context or cached location
    // left from an earlier visit would send its traffic away once it leaves again, possibly in a loop.
    const stale = [...v.prefixes.keys()].filter((p) => dp.get(p)?.context || dp.get(p)?.cache);
    for (const p of stale) {
      this.ctx.timers.clear(`context:${p}`);
      this.ctx.timers.clear(`cache:${p}`);
      this.ctx.events.emit(dp.get(p)?.context ? 'context.deleted' : 'cache.removed', {
        prefix: p,
        reason: `${v.mn} is here`,
        ...(dp.get(p)?.context ? { to: dp.get(p)?.context?.peer.node } : {}),
      });
    }
    const kernel = dp.change((c) => {
      for (const p of stale) {
        dp.stage(c, p, 'context', undefined, `${v.mn} is here`);
        dp.stage(c, p, 'cache', undefined, `${v.mn} is here`);
      }
      for (const [p, anchor] of v.prefixes) {
        dp.stage(c, p, 'hold', undefined, 'attached');
        dp.stage(c, p, 'attached', { iface: v.iface, nextHop: v.linkLocal }, `${v.mn} attached on ${v.iface}`);
        dp.routes.reverseRule(c, p, v.iface, anchor.node === me.node ? undefined : anchor);
        // draft-tu 4.2: new sessions use the prefix anchored here; the others stay valid for the sessions that use them.
        const preferred = deprecateAll || (hasLocal && anchor.node !== me.node) ? 0 : this.ctx.config.mobility.leaseLifetime;
        list.push({ prefix: p, preferred, valid: this.ctx.config.mobility.leaseLifetime });
      }
    });
    // Routes and the advertisement go out together: the node configures its addresses while the routes are installed.
    await Promise.all([kernel, this.radvd.set(v.iface, list)]);
  }

  /** The node left the access link: stop delivering; hold its prefixes until its new MR is known. */
  async detach(v: Visitor): Promise<void> {
    if (v.state !== 'attached') return;
    v.generation++;
    v.state = 'detached';
    this.ctx.events.emit('mn.detached', { mn: v.mn, mnId: v.mnId, iface: v.iface });
    this.ctx.timers.clear(`refresh:${v.iface}`);
    const dp = this.mr.datapath;
    if (v.preparedTo) {
      await this.handOff(v, v.preparedTo);
      return;
    }
    await Promise.all([
      dp.change((c) => {
        for (const p of v.prefixes.keys()) {
          dp.stage(c, p, 'hold', true, `${v.mn} between cells`);
          dp.stage(c, p, 'attached', undefined, `${v.mn} left ${v.iface}`);
          dp.routes.reverseRule(c, p, undefined, undefined);
        }
        dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
      }),
      this.radvd.set(v.iface, []),
    ]);
    this.mr.refreshObserver();
    const gen = v.generation;
    this.ctx.timers.set(`hold:${v.iface}`, this.ctx.config.mobility.bindingLifetime * 1000, () => {
      if (v.generation !== gen) return;
      const gone = [...v.prefixes.keys()];
      v.prefixes.clear();
      v.state = 'away';
      void dp.change((c) => {
        for (const p of gone) dp.stage(c, p, 'hold', undefined, 'hold expired');
      });
    });
  }

  /** Forwards a node's prefixes to its new MR right away (the previous MR of a prepared handover). */
  private async handOff(v: Visitor, next: MrInfo): Promise<void> {
    const dp = this.mr.datapath;
    const me = this.mr.me;
    const prefixes = [...v.prefixes.keys()];
    const lifetimeMs = this.ctx.config.mobility.handoverContextLifetime * 1000;
    v.preparedTo = undefined;
    v.state = 'away';
    v.prefixes.clear();
    await Promise.all([
      dp.change((c) => {
        for (const p of prefixes) {
          if (this.ctx.domain.anchorOf(p)?.node === me.node) dp.stage(c, p, 'anchored', { peer: next }, `served by ${next.node}`);
          else dp.stage(c, p, 'context', { peer: next, expires: Date.now() + lifetimeMs }, `handover context for ${next.node}`);
          dp.stage(c, p, 'attached', undefined, `${v.mn} moved to ${next.node}`);
          dp.routes.reverseRule(c, p, undefined, undefined);
        }
        dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
      }),
      this.radvd.set(v.iface, []),
    ]);
    this.armContextTimers(prefixes, next, lifetimeMs);
    this.ctx.events.emit('context.created', {
      mnId: v.mnId,
      mn: v.mn,
      to: next.node,
      prefixes,
      lifetimeS: this.ctx.config.mobility.handoverContextLifetime,
      predictive: true,
    });
    this.mr.refreshObserver();
  }

  /** Temporary handover contexts end after their lifetime ("deleted when the handover is over", draft-tu 4.4). */
  private armContextTimers(prefixes: string[], next: MrInfo, lifetimeMs: number): void {
    const dp = this.mr.datapath;
    for (const p of prefixes) {
      if (!dp.get(p)?.context) continue;
      this.ctx.timers.set(`context:${p}`, lifetimeMs, () => {
        void dp.set(p, 'context', undefined, 'handover over').then(() => {
          this.ctx.events.emit('context.deleted', { prefix: p, to: next.node });
          this.mr.refreshObserver();
        });
      });
    }
  }

  /**
   * Predictive handover (RFC 5949), previous MR side: told by a link-layer
   * trigger that the node will move to `to`, it hands the node's context to
   * the new MR (HI, code 0) before the node leaves; when the node's link goes
   * down it forwards to the new MR at once instead of holding.
   */
  async prepareHandover(mnNode: string, to: string): Promise<Record<string, unknown>> {
    const v = [...this.visitors.values()].find((x) => x.mn === mnNode);
    const next = this.ctx.domain.mrByNode(to);
    if (!v) throw new Error(`${mnNode} has no access link to ${this.mr.me.node}`);
    if (!next) throw new Error(`${to} is not an MR`);
    if (v.state !== 'attached') throw new Error(`${mnNode} is not attached here`);
    if (next.node === this.mr.me.node) return { prepared: false, reason: 'already here' };
    const r = await this.ctx.signalling.request(
      {
        type: 'HI',
        sequence: 0,
        flags: { S: false, U: false, P: true, F: true },
        code: HI_CODE.FBU_FROM_PCOA,
        options: [mnId(v.mnId), ...[...v.prefixes.keys()].map(hnp)],
      },
      next.address,
    );
    if (r.message.type !== 'HAck' || r.message.code >= 128) throw new Error(`${to} refused to prepare for ${mnNode}`);
    v.preparedTo = next;
    this.ctx.events.emit('handover.prepared', { mn: v.mn, to: next.node, prefixes: [...v.prefixes.keys()] });
    return { prepared: true, to: next.node, prefixes: [...v.prefixes.keys()] };
  }

  /** New MR side of a predictive handover: make the node's routes and advertisement ready before it arrives. */
  private async expect(m: MhMessage, from: string): Promise<MhMessage> {
    const id = mnIdOf(m);
    const previous = this.ctx.domain.mrByAddress(from);
    const v = id ? this.visitorById(id) : undefined;
    const reply = (code: number): MhMessage => ({
      type: 'HAck',
      sequence: m.sequence,
      flags: { U: false, P: true, F: true },
      code,
      options: [...(id ? [mnId(id)] : []), ...(v ? [...v.prefixes.keys()].map(hnp) : [])],
    });
    if (!v || !previous) return reply(HACK_CODE.NOT_ACCEPTED);
    if (v.state === 'attached') return reply(HACK_CODE.ACCEPTED);
    const gen = ++v.generation;
    v.state = 'expected';
    for (const p of hnpsOf(m)) {
      const anchor = this.ctx.domain.anchorOf(p);
      if (anchor) v.prefixes.set(p, anchor);
    }
    const me = this.mr.me;
    const willAddPrefix = this.ctx.config.mobility.newPrefixOnHandover && ![...v.prefixes.values()].some((a) => a.node === me.node);
    await this.deliver(v, willAddPrefix);
    this.ctx.events.emit('handover.expected', { mn: v.mn, from: previous.node, prefixes: [...v.prefixes.keys()] });
    // A node that never comes: forget it after the handover context lifetime.
    this.ctx.timers.set(`expect:${v.iface}`, this.ctx.config.mobility.handoverContextLifetime * 1000, () => {
      if (v.generation !== gen || v.state !== 'expected') return;
      v.state = 'away';
      const gone = [...v.prefixes.keys()];
      v.prefixes.clear();
      void this.mr.datapath.change((c) => {
        for (const p of gone) {
          this.mr.datapath.stage(c, p, 'attached', undefined, `${v.mn} never arrived`);
          this.mr.datapath.routes.reverseRule(c, p, undefined, undefined);
        }
      });
      void this.radvd.set(v.iface, []);
    });
    return reply(HACK_CODE.ACCEPTED);
  }

  /** Previous MR side of the context transfer: forward to the new MR for a while, then forget. */
  private async onHandoverInitiate(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'HI') throw new Error('not an HI');
    if (m.code === HI_CODE.FBU_FROM_PCOA) return this.expect(m, from);
    const id = mnIdOf(m);
    // Relayed by this network's LM proxy: the new MR is the alternate care-of address.
    const relayedFor = from === this.ctx.domain.lmProxyOf(this.mr.me.network)?.address ? altCoaOf(m) : undefined;
    const next = this.ctx.domain.mrByAddress(relayedFor ?? from);
    const reply = (code: number, prefixes: string[]): MhMessage => ({
      type: 'HAck',
      sequence: m.sequence,
      flags: { U: false, P: true, F: true },
      code,
      options: [...(id ? [mnId(id)] : []), ...prefixes.map(hnp)],
    });
    if (!id || !next) return reply(HACK_CODE.NOT_ACCEPTED, []);
    const v = this.visitorById(id);
    const prefixes = [...new Set([...(v ? [...v.prefixes.keys()] : []), ...hnpsOf(m)])];
    const lifetimeMs = this.ctx.config.mobility.handoverContextLifetime * 1000;
    const me = this.mr.me;
    const dp = this.mr.datapath;
    const wasAttached = v?.state === 'attached';
    if (v) {
      v.generation++;
      v.preparedTo = undefined;
      this.ctx.timers.clear(`refresh:${v.iface}`);
      this.ctx.timers.clear(`hold:${v.iface}`);
      v.state = 'away';
      v.prefixes.clear();
    }
    // Forwarding first (one batch): from here on what still arrives for the node goes to its new MR.
    await dp.change((c) => {
      for (const p of prefixes) {
        if (this.ctx.domain.anchorOf(p)?.node === me.node) dp.stage(c, p, 'anchored', { peer: next }, `served by ${next.node}`);
        else dp.stage(c, p, 'context', { peer: next, expires: Date.now() + lifetimeMs }, `handover context for ${next.node}`);
        dp.stage(c, p, 'hold', undefined, `handed over to ${next.node}`);
        dp.stage(c, p, 'attached', undefined, `handed over to ${next.node}`);
        dp.routes.reverseRule(c, p, undefined, undefined);
      }
      if (v && wasAttached) dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
    });
    if (v && wasAttached) await this.radvd.set(v.iface, []);
    this.armContextTimers(prefixes, next, lifetimeMs);
    this.ctx.events.emit('context.created', {
      mnId: id,
      mn: v?.mn ?? null,
      to: next.node,
      prefixes,
      lifetimeS: this.ctx.config.mobility.handoverContextLifetime,
    });
    this.mr.refreshObserver();
    return reply(HACK_CODE.ACCEPTED, prefixes);
  }

  /** Client-based mode: the node's own BU (attach), or its release of a prefix (lifetime 0). */
  private async onClientUpdate(m: MhMessage, scope: string | undefined): Promise<MhMessage> {
    if (m.type !== 'PBU') throw new Error('not a BU');
    const id = mnIdOf(m);
    const v = id ? this.visitorById(id) : undefined;
    const reply = (status: number, prefixes: string[] = []): MhMessage => ({
      type: 'PBA',
      sequence: m.sequence,
      status,
      flags: pbaFlags(false),
      lifetime: m.lifetime,
      options: [purposeOption(PURPOSE.CLIENT_UPDATE), ...prefixes.map(hnp)],
    });
    if (!v || (scope && v.iface !== scope)) return reply(BA_STATUS.ADMINISTRATIVELY_PROHIBITED);
    if (m.lifetime === 0) {
      const gone = hnpsOf(m);
      for (const p of gone) await this.release(v, p);
      return reply(BA_STATUS.ACCEPTED, gone);
    }
    if (v.state !== 'attached') void this.attach(v);
    return reply(BA_STATUS.ACCEPTED, [...v.prefixes.keys()]);
  }

  /** The node gave up a prefix (its sessions on it are over): remove its state everywhere (draft-tu 4.2). */
  private async release(v: Visitor, prefix: string): Promise<void> {
    const anchor = v.prefixes.get(prefix);
    if (!anchor) return;
    await this.dropPrefix(prefix, 'released by the node');
    const lm = this.ctx.domain.lmFor(prefix);
    const proxy = this.lmProxyFor(v);
    // Behind an LM proxy: this network's LM for its own prefixes, the proxy for the rest (it tells their LMs).
    const targets = proxy ? [lm === this.ctx.domain.lmOf(this.ctx.config.network) ? lm : undefined, proxy] : [lm, this.ctx.domain.realmLm(v.mnId)];
    for (const target of new Set(targets)) if (target) void this.tell(target, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [prefix], 0));
    if (anchor.node === this.mr.me.node) await this.mr.releaseAnchored(prefix, v.mnId, 'released by its node');
    else await this.tell(anchor.address, proxyPbu(PURPOSE.ANCHOR_BINDING, v.mnId, [prefix], 0));
  }

  /** Removes a prefix from whichever node holds it here. */
  private async dropPrefix(prefix: string, why: string): Promise<void> {
    const dp = this.mr.datapath;
    for (const v of this.visitors.values()) {
      if (!v.prefixes.delete(prefix)) continue;
      await dp.change((c) => {
        dp.routes.reverseRule(c, prefix, undefined, undefined);
        dp.stage(c, prefix, 'attached', undefined, why);
        dp.stage(c, prefix, 'hold', undefined, why);
      });
      if (v.state === 'attached') await this.deliver(v);
      this.ctx.events.emit('prefix.removed', { mn: v.mn, prefix, reason: why });
    }
    this.mr.refreshObserver();
  }

  /** A request whose failure is logged, not fatal. */
  private async tell(to: string, m: MhMessage): Promise<void> {
    try {
      const r = await this.ctx.signalling.request(m, to);
      if (r.message.type === 'PBA' && r.message.status >= 128) this.ctx.events.log('warn', `PBA status ${r.message.status} from ${to}`);
    } catch (e) {
      this.ctx.events.log('warn', `${m.type} to ${to}: ${errText(e)}`);
    }
  }

  state(): Record<string, unknown> {
    return {
      visitors: [...this.visitors.values()].map((v) => ({
        mn: v.mn,
        mnId: v.mnId,
        iface: v.iface,
        state: v.state,
        prefixes: [...v.prefixes].map(([p, a]) => ({ prefix: p, anchor: a.node })),
      })),
      advertised: this.radvd.current(),
      recent: this.handovers.slice(-10),
    };
  }
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    (m.get(k) ?? m.set(k, []).get(k)!).push(i);
  }
  return m;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
