import { LRA_STATUS, REVOCATION_TRIGGER, type MhMessage } from '../../../shared/protocol/index.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { altCoa, altCoaOf, hnp, hnpsOf, localizedRoutingAck, locationQuery, mnId } from '../../../shared/protocol/dmm-options.js';
import type { AgentContext } from '../../context.js';
import { TrafficObserver, type Sighting } from '../../kernel/traffic-observer.js';
import type { MrDatapath } from './datapath.js';
import type { LmProxy } from './lm-proxy.js';
import type { AccessView } from './mr-port.js';

/**
 * Distributed routing (draft-tu 4.3): the MR watches the first packets of a
 * flow and learns where the destination is, by asking its LM (figure 3,
 * query) or by being told by the anchor (figure 4, redirect); a previous MR
 * forwarding for a node that left tells the sender's MR where it went
 * (figure 5 step 7). Locations are cached with a lifetime and routed by the
 * kernel straight to the serving MR.
 */
export class RouteOptimization {
  private observer: TrafficObserver | undefined;
  /** Destinations queried recently (prefix → until), to query once per cache lifetime. */
  private readonly asked = new Map<string, number>();
  /** Redirects sent recently (prefix|mr → until). */
  private readonly redirected = new Map<string, number>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly me: MrInfo,
    private readonly datapath: MrDatapath,
    private readonly lmProxy: LmProxy | undefined,
    private readonly access: () => AccessView,
  ) {}

  private get mode(): 'query' | 'redirect' | 'off' {
    return this.ctx.config.mobility.routeOptimization;
  }

  start(): void {
    this.ctx.signalling.on(
      (m) => m.type === 'LRI',
      ({ message, from }) => this.onRedirect(message, from),
    );
    if (this.mode !== 'off') this.observer = new TrafficObserver(this.ctx.events, this.ctx.exec, (x) => void this.onSighting(x));
    // Anycast brings correspondents' packets before any node attaches here: watch from the start.
    if (this.anycast) this.refresh();
  }

  /** Whether this MR announces every anchor's prefixes (anycast) and asks where their nodes are. */
  private get anycast(): boolean {
    return this.mode === 'query' && this.ctx.domain.anycastAnchors().some((a) => a.node === this.me.node);
  }

  stop(): void {
    this.observer?.stop();
  }

  /** Localized Routing Initiation: the node of `prefix` is at the MR given as alternate CoA (draft-tu figure 4 step 8, figure 5 step 7). */
  private async onRedirect(m: MhMessage, from: string): Promise<MhMessage> {
    if (m.type !== 'LRI') throw new Error('not an LRI');
    const location = altCoaOf(m);
    const peer = location ? this.ctx.domain.mrByAddress(location) : undefined;
    const prefixes = hnpsOf(m);
    const reply = (status: number) => localizedRoutingAck(m, status, prefixes);
    if (!peer || !this.ctx.domain.mrByAddress(from)) return reply(LRA_STATUS.NOT_ALLOWED);
    const lifetime = m.lifetime > 0 ? Math.min(m.lifetime, this.ctx.config.mobility.cacheLifetime) : this.ctx.config.mobility.cacheLifetime;
    const sender = this.ctx.domain.mrByAddress(from)?.node;
    for (const p of prefixes) {
      const anchoredHere = this.ctx.domain.anchorOf(p)?.node === this.me.node;
      if (anchoredHere) {
        // The anchor learns the new serving MR the same way (a redirect from the previous MR).
        if (this.datapath.get(p)?.anchored) await this.datapath.set(p, 'anchored', { peer }, `redirected by ${sender}`);
        continue;
      }
      await this.cache(p, peer, lifetime, `redirect from ${sender ?? from}`);
    }
    return reply(LRA_STATUS.SUCCESS);
  }

  async cache(prefix: string, peer: MrInfo, lifetimeS: number, source: string): Promise<void> {
    await this.datapath.set(prefix, 'cache', { peer, expires: Date.now() + lifetimeS * 1000, source }, source);
    this.ctx.events.emit('cache.updated', { prefix, location: peer.address, mr: peer.node, source, lifetime: lifetimeS });
    this.ctx.timers.set(`cache:${prefix}`, lifetimeS * 1000, () => {
      void this.datapath.set(prefix, 'cache', undefined, 'cache entry expired').then(() => {
        this.ctx.events.emit('cache.removed', { prefix, reason: 'expired' });
        this.refresh();
      });
    });
    this.refresh();
  }

  /** Re-derives what the traffic observer watches from the current state. */
  refresh(): void {
    if (!this.observer) return;
    const now = Date.now();
    const dp = this.datapath;
    const known = [...new Set([...dp.with('attached'), ...dp.with('cache'), ...[...this.asked].filter(([, t]) => t > now).map(([p]) => p), this.me.anchor])];
    const away = dp.with('anchored').filter((p) => dp.get(p)?.anchored?.peer.node !== this.me.node);
    this.observer.update({
      // Anycast brings correspondents' packets here from anywhere: with queries, any source is watched.
      from: this.anycast ? ['::/0'] : this.access().attachedPrefixes(),
      towards: this.ctx.domain.pools(),
      except: known,
      anchoredAway: this.mode === 'redirect' ? away : [],
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
    if (st?.anchored && this.mode === 'redirect' && this.ctx.domain.isHomeAddress(s.src)) {
      const srcPrefix = this.ctx.domain.prefixOf(s.src);
      const correspondent = (await this.locate(srcPrefix)) ?? this.ctx.domain.anchorOf(srcPrefix);
      if (correspondent && correspondent.node !== this.me.node) await this.redirect(dstPrefix, correspondent, st.anchored.peer, 'anchor');
      return;
    }
    // Figure 3: the correspondent's MR asks the LM where the destination is.
    if (this.mode === 'query' && this.ctx.domain.isHomeAddress(s.dst) && !st?.attached && !st?.cache) {
      const until = this.asked.get(dstPrefix) ?? 0;
      if (until > Date.now()) return;
      this.asked.set(dstPrefix, Date.now() + this.ctx.config.mobility.cacheLifetime * 1000);
      this.refresh();
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

  /**
   * `prefix` is gone at its anchor (released, or its lease or binding revoked): the MRs this one
   * redirected to it drop their cache entry (BRI), as the LM revokes the entries of the MRs that
   * queried it; without this an entry from a redirect outlived the prefix until its lifetime ran out.
   */
  async revokeRedirects(prefix: string, id: string | undefined): Promise<void> {
    const told = new Set<string>();
    for (const key of [...this.redirected.keys()]) {
      const [p, node] = key.split('|');
      if (p !== prefix || !node) continue;
      this.redirected.delete(key);
      told.add(node);
    }
    await Promise.all(
      [...told].flatMap((node) => {
        const mr = this.ctx.domain.mrByNode(node);
        if (!mr || mr.node === this.me.node) return [];
        this.ctx.events.emit('redirect.revoked', { prefix, to: node });
        const bri: MhMessage = {
          type: 'BRI',
          sequence: 0,
          trigger: REVOCATION_TRIGGER.PER_PEER_POLICY,
          flags: { P: true, V: false, G: false },
          options: [...(id ? [mnId(id)] : []), hnp(prefix)],
        };
        return [
          this.ctx.signalling
            .request(bri, mr.address)
            .catch((e: unknown) => this.ctx.events.log('warn', `BRI to ${node}: ${e instanceof Error ? e.message : String(e)}`)),
        ];
      }),
    );
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
}
