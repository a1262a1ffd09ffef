import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { MrPrefixState } from '../../../shared/control/role-state.js';
import { MobilityRoutes, RouteChanges, type PrefixRoute } from '../../kernel/mobility-routes.js';

/** Why an MR holds a home prefix, layer by layer; the strongest layer decides the route. */
interface PrefixState {
  /** The mobile node is on one of this MR's access links. */
  attached?: { iface: string; nextHop: string };
  /** Temporary handover context (previous MR): forward to the new MR until it expires (draft-tu 4.4). */
  context?: { peer: MrInfo; expires: number };
  /** This MR anchors the prefix and its mobile node is served by `peer`. */
  anchored?: { peer: MrInfo };
  /** Location learned by query, redirect or handover (route optimisation cache). */
  cache?: { peer: MrInfo; expires: number; source: string };
  /** The mobile node just left this MR: drop rather than loop until its new MR is known. */
  hold?: boolean;
  /**
   * Anycast (gap analysis 7, RS1; migrating home agents): this MR announces another anchor's whole
   * prefix and tunnels what it intercepts to that anchor, unless a longer entry says otherwise.
   */
  intercepted?: { peer: MrInfo };
}

export type Layer = keyof PrefixState;

/**
 * The MR's per-prefix mobility state, shared by its MR and AR roles, reduced
 * to one kernel route per prefix: on the access link if the node is here, else
 * to the new MR while a handover context lasts, else to the serving MR if this
 * MR anchors the prefix, else to a cached location, else a blackhole while the
 * node is between cells, else (an anycast aggregate) to its anchor, else
 * nothing (regular routing).
 */
export class MrDatapath {
  private readonly prefixes = new Map<string, PrefixState>();

  constructor(
    readonly routes: MobilityRoutes,
    private readonly me: MrInfo,
  ) {}

  private entry(prefix: string): PrefixState {
    let s = this.prefixes.get(prefix);
    if (!s) this.prefixes.set(prefix, (s = {}));
    return s;
  }

  /** Sets or clears one layer of a prefix, collecting the kernel change (if the route changes) in `c`. */
  stage<L extends Layer>(c: RouteChanges, prefix: string, layer: L, value: PrefixState[L] | undefined, reason: string): void {
    const s = this.entry(prefix);
    if (value === undefined) delete s[layer];
    else s[layer] = value;
    const route = this.desired(s);
    if (Object.keys(s).length === 0) this.prefixes.delete(prefix);
    this.routes.prefix(c, prefix, route, reason);
  }

  /** Sets or clears one layer of a prefix and applies the change at once. */
  async set<L extends Layer>(prefix: string, layer: L, value: PrefixState[L] | undefined, reason: string): Promise<void> {
    await this.change((c) => this.stage(c, prefix, layer, value, reason));
  }

  /** Runs `build` to collect several changes, then applies them in one kernel batch. */
  async change(build: (c: RouteChanges) => void): Promise<void> {
    const c = new RouteChanges();
    build(c);
    await this.routes.commit(c);
  }

  get(prefix: string): Readonly<PrefixState> | undefined {
    return this.prefixes.get(prefix);
  }

  private desired(s: PrefixState): PrefixRoute | undefined {
    if (s.attached) return { kind: 'onlink', iface: s.attached.iface, nextHop: s.attached.nextHop };
    const tunnel = (peer: MrInfo): PrefixRoute | undefined => (peer.node === this.me.node ? undefined : { kind: 'tunnel', peer });
    if (s.context) return tunnel(s.context.peer) ?? { kind: 'blackhole' };
    if (s.anchored) return tunnel(s.anchored.peer) ?? { kind: 'blackhole' };
    if (s.cache) return tunnel(s.cache.peer);
    if (s.hold) return { kind: 'blackhole' };
    if (s.intercepted) return tunnel(s.intercepted.peer);
    return undefined;
  }

  /** Prefixes whose given layer is set. */
  with(layer: Layer): string[] {
    return [...this.prefixes].filter(([, s]) => s[layer] !== undefined).map(([p]) => p);
  }

  snapshot(): MrPrefixState[] {
    const now = Date.now();
    const routes = new Map(this.routes.snapshot().map((r) => [r.prefix, r.route]));
    return [...this.prefixes].map(([prefix, s]) => ({
      prefix,
      ...(s.attached ? { attached: s.attached.iface } : {}),
      ...(s.context ? { contextTo: s.context.peer.node, contextExpiresInS: Math.max(0, Math.round((s.context.expires - now) / 1000)) } : {}),
      ...(s.anchored ? { servedBy: s.anchored.peer.node } : {}),
      ...(s.cache
        ? { cachedAt: s.cache.peer.node, cacheSource: s.cache.source, cacheExpiresInS: Math.max(0, Math.round((s.cache.expires - now) / 1000)) }
        : {}),
      ...(s.hold ? { hold: true as const } : {}),
      ...(s.intercepted ? { interceptedFor: s.intercepted.peer.node } : {}),
      route: routes.get(prefix) ?? 'none',
    }));
  }
}
