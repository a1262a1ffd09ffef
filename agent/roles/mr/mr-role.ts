import { BA_STATUS, REVOCATION_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { MrState } from '../../../shared/control/role-state.js';
import { PURPOSE, hnp, hnpsOf, mnId, mnIdOf, pbaFlags, pbuFlags, purposeOf, purposeOption } from '../../../shared/protocol/dmm-options.js';
import type { AgentContext, Role } from '../../context.js';
import { MobilityRoutes } from '../../kernel/mobility-routes.js';
import { tunnelDriver, type TunnelDriver } from '../../kernel/tunnel-driver.js';
import { applyTc } from '../../kernel/bpf-files.js';
import { MrDatapath } from './datapath.js';
import { HomeAgent } from './home-agent.js';
import { LmProxy } from './lm-proxy.js';
import type { AccessView, MrPort } from './mr-port.js';
import { RouteOptimization } from './route-optimization.js';

/**
 * Mobility Routing (draft-tu 3.1 b): anchors the prefixes allocated in its
 * network and intercepts their traffic when the mobile node is elsewhere
 * (tunnelling it to the serving MR); keeps their leases; drops what a
 * revocation names. Route optimisation (query, redirect) is its own part
 * (route-optimization.ts), and so is the LM proxy of hierarchical LM
 * entries (lm-proxy.ts). The kernel does all forwarding; this role only
 * signals and programs it (MrDatapath).
 */
export class MrRole implements Role<'mr'>, MrPort {
  readonly name = 'mr';
  readonly me: MrInfo;
  readonly driver: TunnelDriver;
  readonly datapath: MrDatapath;
  /** Set when this MR is its network's LM proxy for visiting nodes (hierarchical LM entries). */
  readonly lmProxy: LmProxy | undefined;
  private readonly routing: RouteOptimization;
  private access: AccessView = { attachedPrefixes: () => [], prefixRevoked: () => undefined };

  constructor(private readonly ctx: AgentContext) {
    const me = ctx.domain.me;
    if (!me) throw new Error(`${ctx.config.node} has role mr but is not in the domain's MR list`);
    this.me = me;
    this.driver = tunnelDriver(ctx.config.tunnelDriver, ctx.config.workDir, ctx.config.mobility.mrs);
    const routes = new MobilityRoutes(ctx.kernel, this.driver, ctx.events, ctx.config.mobility.mrs);
    this.datapath = new MrDatapath(routes, me);
    this.lmProxy = ctx.domain.lmProxyOf(me.network)?.node === me.node ? new LmProxy(ctx, me) : undefined;
    this.routing = new RouteOptimization(ctx, me, this.datapath, this.lmProxy, () => this.access);
  }

  connectAccess(view: AccessView): void {
    this.access = view;
  }

  async start(): Promise<void> {
    const failures = await this.ctx.kernel.change(
      [
        ...this.driver.setup(this.me),
        ...this.datapath.routes.setupLines({
          ifaces: this.ctx.config.access.map((a) => a.iface),
          ownAnchor: this.me.anchor,
          homePools: [...new Set(this.ctx.config.mobility.domain.map((n) => n.pool))],
        }),
      ],
      /Cannot find device "ip6tnl0"|File exists/,
    );
    if (failures.length) throw new Error(`datapath setup failed: ${failures.map((f) => `${f.command}: ${f.message}`).join('; ')}`);
    await applyTc(this.ctx.exec, this.driver.setupTc(this.me)).catch((e: unknown) => {
      throw new Error(`datapath setup failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    const s = this.ctx.signalling;
    // The LM proxy's handlers go first: its BRI handler takes the revocations that name a node only.
    this.lmProxy?.listen();
    s.on(
      (m) => m.type === 'PBU' && purposeOf(m) === PURPOSE.ANCHOR_BINDING,
      ({ message, from }) => this.onAnchorBinding(message, from),
    );
    // The home agent's handlers go before route optimisation's: it takes the LRIs of migrating home agents.
    const homeAgent = new HomeAgent(this.ctx, this.me, this.datapath, () => this.refreshObserver());
    homeAgent.listen();
    await this.intercept();
    this.routing.start();
    s.on(
      (m) => m.type === 'BRI',
      ({ message, from }) => this.onRevocation(message, from),
    );
    this.ctx.events.emit('mr.ready', { driver: this.driver.name, anchor: this.me.anchor, tunnelEndpoint: this.me.tunnelEndpoint });
  }

  async stop(): Promise<void> {
    this.routing.stop();
  }

  /**
   * Anycast (migrating home agents; gap analysis 7, RS1 anycast): an MR that announces every anchor's
   * prefixes tunnels each other anchor's whole prefix to it; bindings, caches and attachments of
   * single /64s take precedence by longest prefix.
   */
  private async intercept(): Promise<void> {
    const anchors = this.ctx.domain.anycastAnchors();
    if (!anchors.some((a) => a.node === this.me.node)) return;
    await this.datapath.change((c) => {
      for (const a of anchors) if (a.node !== this.me.node) this.datapath.stage(c, a.anchor, 'intercepted', { peer: a }, `anycast: ${a.node}'s home prefixes`);
    });
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
    await this.routing.revokeRedirects(prefix, id);
    const haa = this.ctx.domain.haaOf(this.me.network);
    if (haa && id) {
      await this.ctx.signalling
        .request({ type: 'PBU', sequence: 0, flags: pbuFlags(), lifetime: 0, options: [purposeOption(PURPOSE.HAA_ALLOCATION), mnId(id), hnp(prefix)] }, haa)
        .catch(() => undefined);
    }
    this.refreshObserver();
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
        this.access.prefixRevoked(p);
        await this.routing.revokeRedirects(p, mnIdOf(m));
        // The serving MR drops it too.
        if (servedBy && servedBy.node !== this.me.node && this.ctx.domain.mrByAddress(from)?.node !== servedBy.node) {
          await this.ctx.signalling.request({ ...m, sequence: 0 }, servedBy.address).catch(() => undefined);
        }
      } else {
        this.access.prefixRevoked(p);
      }
    }
    this.refreshObserver();
    const id = mnIdOf(m);
    return { type: 'BRA', sequence: m.sequence, status: REVOCATION_STATUS.SUCCESS, flags: m.flags, options: [...(id ? [mnId(id)] : []), ...prefixes.map(hnp)] };
  }

  /** Re-derives what the traffic observer watches from the current state. */
  refreshObserver(): void {
    this.routing.refresh();
  }

  state(): MrState {
    return {
      driver: this.driver.name,
      anchor: this.me.anchor,
      tunnelPeers: this.driver.peers(),
      prefixes: this.datapath.snapshot(),
      ...(this.lmProxy ? { lmProxy: this.lmProxy.state() } : {}),
      reverse: this.datapath.routes.reverseSnapshot(),
      ...(this.datapath.routes.servedSourcesSnapshot().length ? { servedSources: this.datapath.routes.servedSourcesSnapshot() } : {}),
    };
  }
}
