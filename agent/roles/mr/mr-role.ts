import { BA_STATUS, LRA_STATUS, REVOCATION_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { AgentContext, Role } from '../../context.js';
import { MobilityRoutes } from '../../kernel/mobility-routes.js';
import { TrafficObserver, type Sighting } from '../../kernel/traffic-observer.js';
import { tunnelDriver, type TunnelDriver } from '../../kernel/tunnel-driver.js';
import {
  PURPOSE,
  altCoa,
  altCoaOf,
  hnp,
  hnpsOf,
  locationQuery,
  mnId,
  mnIdOf,
  pbaFlags,
  pbuFlags,
  purposeOf,
  purposeOption,
} from '../../../shared/protocol/dmm-options.js';
import { LmProxy } from './lm-proxy.js';
import { MrDatapath } from './datapath.js';

/**
 * Mobility Routing (draft-tu 3.1 b): anchors the prefixes allocated in its
 * network and intercepts their traffic when the mobile node is elsewhere
 * (tunnelling it to the serving MR); caches locations learned by query
 * (figure 3), redirect (figure 4) or handover (figure 5) and tunnels straight
 * there; as the anchor in redirect mode, tells a correspondent's MR where the
 * node is. The kernel does all forwarding; this role only signals and
 * programs it (MrDatapath).
 */
export class MrRole implements Role {
  readonly name = 'mr';
  readonly me: MrInfo;
  readonly driver: TunnelDriver;
  readonly datapath: MrDatapath;
  private observer: TrafficObserver | undefined;
  /** Destinations queried recently (prefix → until), to query once per cache lifetime. */
  private readonly asked = new Map<string, number>();
  /** Redirects sent recently (prefix|mr → until). */
  private readonly redirected = new Map<string, number>();
  /** Set when this MR is its network's LM proxy for visiting nodes (hierarchical LM entries). */
  readonly lmProxy: LmProxy | undefined;
  /** Hooks the AR role sets so that the observer also knows which prefixes are on this MR's access links. */
  attachedPrefixes: () => string[] = () => [];

  constructor(private readonly ctx: AgentContext) {
    const me = ctx.domain.me;
    if (!me) throw new Error(`${ctx.config.node} has role mr but is not in the domain's MR list`);
    this.me = me;
    this.driver = tunnelDriver(ctx.config.tunnelDriver);
    const routes = new MobilityRoutes(ctx.kernel, this.driver, ctx.events, ctx.config.mobility.mrs);
    this.datapath = new MrDatapath(routes, me);
    this.lmProxy = ctx.domain.lmProxyOf(me.network)?.node === me.node ? new LmProxy(ctx, me) : undefined;
  }

  async start(): Promise<void> {
    const failures = await this.ctx.kernel.change(
      [...this.driver.setup(this.me), ...this.datapath.routes.setupLines()],
      /Cannot find device "ip6tnl0"|File exists/,
    );
    if (failures.length) throw new Error(`datapath setup failed: ${failures.map((f) => `${f.command}: ${f.message}`).join('; ')}`);
    const s = this.ctx.signalling;
    this.lmProxy?.listen();
    s.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.ANCHOR_BINDING,
      ({ message, from }) => this.onAnchorBinding(message, from),
    );
    s.on(
      (m) => m.type === 'LRI',
      ({ message, from }) => this.onRedirect(message, from),
    );
    s.on(
      (m) => m.type === 'BRI',
      ({ message, from }) => this.onRevocation(message, from),
    );
    if (this.ctx.config.mobility.routeOptimization !== 'off') {
      this.observer = new TrafficObserver(this.ctx.events, (x) => void this.onSighting(x));
    }
    this.ctx.events.emit('mr.ready', { driver: this.driver.name, anchor: this.me.anchor, tunnelEndpoint: this.me.tunnelEndpoint });
  }

  async stop(): Promise<void> {
    this.observer?.stop();
  }

  /** Serving MR → anchor: the node of `prefix` is served by the sender now (lifetime 0: gone). */
  private async onAnchorBinding(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'PBU') throw new Error('not a PBU');
    const serving = this.ctx.domain.mrByAddress(from);
    const prefixes = hnpsOf(m);
    const reply = (status: number): MhMessage => ({
      type: 'PBA',
      sequence: m.sequence,
      status,
      flags: pbaFlags(),
      lifetime: m.lifetime,
      options: [purposeOption(PURPOSE.ANCHOR_BINDING), ...prefixes.map(hnp)],
    });
    if (!serving) return reply(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    for (const p of prefixes) {
      if (this.ctx.domain.anchorOf(p)?.node !== this.me.node) return reply(BA_STATUS.NOT_LMA_FOR_THIS_MOBILE_NODE);
    }
    for (const p of prefixes) {
      if (m.lifetime === 0) await this.releaseAnchored(p, mnIdOf(m), 'released by the serving MR');
      else {
        await this.datapath.set(p, 'anchored', { peer: serving }, `served by ${serving.node}`);
        await this.datapath.set(p, 'hold', undefined, 'served elsewhere');
        this.ctx.events.emit('anchor.binding', { prefix: p, servedBy: serving.node, mnId: mnIdOf(m) ?? null });
      }
    }
    this.refreshObserver();
    return reply(BA_STATUS.ACCEPTED);
  }

  /**
   * Keeps the lease of a prefix anchored here alive: renews it at this
   * network's HAA at half its lifetime while the prefix is in use (its node is
   * attached here, or served elsewhere under an anchor binding).
   */
  trackLease(prefix: string, id: string, lifetimeS: number): void {
    const haa = this.ctx.domain.haaOf(this.me.network);
    if (!haa || lifetimeS <= 0) return;
    this.ctx.timers.set(`lease:${prefix}`, (lifetimeS * 1000) / 2, () => {
      const st = this.datapath.get(prefix);
      if (!st?.attached && !st?.anchored) return;
      void this.ctx.signalling
        .request(
          { type: 'PBU', sequence: 0, flags: pbuFlags(), lifetime: lifetimeS, options: [purposeOption(PURPOSE.HAA_ALLOCATION), mnId(id), hnp(prefix)] },
          haa,
        )
        .then((r) => {
          if (r.message.type === 'PBA' && r.message.status < 128) this.trackLease(prefix, id, r.message.lifetime);
          else this.ctx.events.emit('lease.renewal-refused', { prefix, status: r.message.type === 'PBA' ? r.message.status : null });
        })
        .catch((e: unknown) => this.ctx.events.log('warn', `lease renewal of ${prefix}: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  /** Drops an anchored prefix: route, and its lease at this network's HAA. */
  async releaseAnchored(prefix: string, id: string | undefined, why: string): Promise<void> {
    this.ctx.timers.clear(`lease:${prefix}`);
    await this.datapath.set(prefix, 'anchored', undefined, why);
    await this.datapath.set(prefix, 'hold', undefined, why);
    this.ctx.events.emit('anchor.released', { prefix, mnId: id ?? null, reason: why });
    const haa = this.ctx.domain.haaOf(this.me.network);
    if (haa && id) {
      await this.ctx.signalling
        .request({ type: 'PBU', sequence: 0, flags: pbuFlags(), lifetime: 0, options: [purposeOption(PURPOSE.HAA_ALLOCATION), mnId(id), hnp(prefix)] }, haa)
        .catch(() => undefined);
    }
    this.refreshObserver();
  }

  /** Localized Routing Initiation: the node of `prefix` is at the MR given as alternate CoA (draft-tu figure 4 step 8, figure 5 step 7). */
  private async onRedirect(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'LRI') throw new Error('not an LRI');
    const location = altCoaOf(m);
    const peer = location ? this.ctx.domain.mrByAddress(location) : undefined;
    const prefixes = hnpsOf(m);
    const reply = (status: number): MhMessage => ({
      type: 'LRA',
      sequence: m.sequence,
      flags: { U: false },
      status,
      lifetime: m.lifetime,
      options: prefixes.map(hnp),
    });
    if (!peer || !this.ctx.domain.mrByAddress(from)) return reply(LRA_STATUS.NOT_ALLOWED);
    const lifetime = m.lifetime > 0 ? Math.min(m.lifetime, this.ctx.config.mobility.cacheLifetime) : this.ctx.config.mobility.cacheLifetime;
    for (const p of prefixes) {
      const anchoredHere = this.ctx.domain.anchorOf(p)?.node === this.me.node;
      if (anchoredHere) {
        // The anchor learns the new serving MR the same way (a redirect from the previous MR).
        if (this.datapath.get(p)?.anchored) await this.datapath.set(p, 'anchored', { peer }, `redirected by ${this.ctx.domain.mrByAddress(from)?.node}`);
        continue;
      }
      await this.cache(p, peer, lifetime, `redirect from ${this.ctx.domain.mrByAddress(from)?.node ?? from}`);
    }
    return reply(LRA_STATUS.SUCCESS);
  }

  /** Binding Revocation: a lease expired (from the HAA) or a binding went (from an LM). */
  private async onRevocation(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'BRI') throw new Error('not a BRI');
    const prefixes = hnpsOf(m);
    for (const p of prefixes) {
      const anchoredHere = this.ctx.domain.anchorOf(p)?.node === this.me.node;
      const st = this.datapath.get(p);
      if (st?.cache) await this.datapath.set(p, 'cache', undefined, 'revoked');
      if (anchoredHere) {
        const servedBy = st?.anchored?.peer;
        await this.datapath.set(p, 'anchored', undefined, 'revoked');
        this.onPrefixRevoked(p);
        // The serving MR drops it too.
        if (servedBy && servedBy.node !== this.me.node && this.ctx.domain.mrByAddress(from)?.node !== servedBy.node) {
          await this.ctx.signalling.request({ ...m, sequence: 0 }, servedBy.address).catch(() => undefined);
        }
      } else {
        this.onPrefixRevoked(p);
      }
    }
    this.refreshObserver();
    return {
      type: 'BRA',
      sequence: m.sequence,
      status: REVOCATION_STATUS.SUCCESS,
      flags: m.flags,
      options: [...(mnIdOf(m) ? [mnId(mnIdOf(m) as string)] : []), ...prefixes.map(hnp)],
    };
  }

  /** Set by the AR role: a prefix of an attached node was revoked. */
  onPrefixRevoked: (prefix: string) => void = () => {};

  async cache(prefix: string, peer: MrInfo, lifetimeS: number, source: string): Promise<void> {
    await this.datapath.set(prefix, 'cache', { peer, expires: Date.now() + lifetimeS * 1000, source }, source);
    this.ctx.events.emit('cache.updated', { prefix, location: peer.address, mr: peer.node, source, lifetime: lifetimeS });
    this.ctx.timers.set(`cache:${prefix}`, lifetimeS * 1000, () => {
      void this.datapath.set(prefix, 'cache', undefined, 'cache entry expired').then(() => {
        this.ctx.events.emit('cache.removed', { prefix, reason: 'expired' });
        this.refreshObserver();
      });
    });
    this.refreshObserver();
  }

  /** Re-derives what the traffic observer watches from the current state. */
  refreshObserver(): void {
    if (!this.observer) return;
    const now = Date.now();
    const dp = this.datapath;
    const known = [...new Set([...dp.with('attached'), ...dp.with('cache'), ...[...this.asked].filter(([, t]) => t > now).map(([p]) => p), this.me.anchor])];
    const away = dp.with('anchored').filter((p) => dp.get(p)?.anchored?.peer.node !== this.me.node);
    const anchoredAway = this.ctx.config.mobility.routeOptimization === 'redirect' ? away : [];
    this.observer.update({
      from: this.attachedPrefixes(),
      towards: this.ctx.domain.pools(),
      except: known,
      anchoredAway,
      forwarded: [...new Set([...dp.with('context'), ...away])],
    });
  }

  private async onSighting(s: Sighting): Promise<void> {
    const dstPrefix = this.ctx.domain.prefixOf(s.dst);
    const st = this.datapath.get(dstPrefix);
    // Figure 5 step 7: a previous MR (or the anchor) forwarding for a node that left tells the sender's MR where it went.
    const forwardingTo = st?.context?.peer ?? st?.anchored?.peer;
    if (s.outerSrc && forwardingTo && forwardingTo.node !== this.me.node) {
      const sender = this.ctx.domain.mrByAddress(s.outerSrc);
      if (sender && sender.node !== forwardingTo.node) await this.redirect(dstPrefix, sender, forwardingTo, st?.context ? 'handover' : 'anchor');
      return;
    }
    if (s.outerSrc) return;
    // Figure 4: the anchor sees traffic for a node that is elsewhere and redirects the correspondent's MR.
    if (st?.anchored && this.ctx.config.mobility.routeOptimization === 'redirect' && this.ctx.domain.isHomeAddress(s.src)) {
      const srcPrefix = this.ctx.domain.prefixOf(s.src);
      const correspondent = (await this.locate(srcPrefix)) ?? this.ctx.domain.anchorOf(srcPrefix);
      if (correspondent && correspondent.node !== this.me.node) await this.redirect(dstPrefix, correspondent, st.anchored.peer, 'anchor');
      return;
    }
    // Figure 3: the correspondent's MR asks the LM where the destination is.
    if (this.ctx.config.mobility.routeOptimization === 'query' && this.ctx.domain.isHomeAddress(s.dst) && !st?.attached && !st?.cache) {
      const until = this.asked.get(dstPrefix) ?? 0;
      if (until > Date.now()) return;
      this.asked.set(dstPrefix, Date.now() + this.ctx.config.mobility.cacheLifetime * 1000);
      this.refreshObserver();
      const where = await this.locate(dstPrefix);
      if (where && where.node !== this.me.node) await this.cache(dstPrefix, where, this.ctx.config.mobility.cacheLifetime, 'query');
    }
  }

  /**
   * Where the node of `prefix` is: asks the prefix's authoritative LM (LMQ/LMR).
   * A hierarchical entry names a visited network's LM proxy, which is asked in
   * turn for the serving MR (the proxy itself if it does not know). Undefined
   * if the LM has no binding.
   */
  async locate(prefix: string): Promise<MrInfo | undefined> {
    const lm = this.ctx.domain.lmFor(prefix);
    const where = lm ? await this.query(lm, prefix) : undefined;
    if (!where || !this.ctx.domain.proxiedNetwork(where.address)) return where;
    if (where.node === this.me.node) return this.lmProxy?.servingOf(prefix) ?? where;
    return (await this.query(where.address, prefix)) ?? where;
  }

  private async query(to: string, prefix: string): Promise<MrInfo | undefined> {
    try {
      const r = await this.ctx.signalling.request(locationQuery(prefix), to);
      const loc = r.message.type === 'EXP' && r.message.status < 128 ? altCoaOf(r.message) : undefined;
      return loc ? this.ctx.domain.mrByAddress(loc) : undefined;
    } catch (e) {
      this.ctx.events.log('warn', `location query for ${prefix} at ${to}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /** Sends an LRI telling `to` that `prefix` is served by `location`. Once per cache lifetime per (prefix, MR). */
  async redirect(prefix: string, to: MrInfo, location: MrInfo, why: string): Promise<void> {
    const key = `${prefix}|${to.node}|${location.node}`;
    if ((this.redirected.get(key) ?? 0) > Date.now()) return;
    this.redirected.set(key, Date.now() + (this.ctx.config.mobility.cacheLifetime * 1000) / 2);
    this.ctx.events.emit('redirect.sent', { prefix, to: to.node, location: location.node, reason: why });
    await this.ctx.signalling
      .request({ type: 'LRI', sequence: 0, lifetime: this.ctx.config.mobility.cacheLifetime, options: [hnp(prefix), altCoa(location.address)] }, to.address)
      .catch((e: unknown) => this.ctx.events.log('warn', `LRI to ${to.node}: ${e instanceof Error ? e.message : String(e)}`));
  }

  state(): Record<string, unknown> {
    return {
      driver: this.driver.name,
      anchor: this.me.anchor,
      tunnelPeers: this.driver.peers(),
      prefixes: this.datapath.snapshot(),
      ...(this.lmProxy ? { lmProxy: this.lmProxy.state() } : {}),
      reverse: this.datapath.routes.reverseSnapshot(),
    };
  }
}
