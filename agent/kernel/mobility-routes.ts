import type { MrInfo } from '../../shared/control/agent-config.js';
import type { EventFields } from '../../shared/control/events.js';
import type { ReverseRuleState } from '../../shared/control/role-state.js';
import type { EventBus } from '../events.js';
import type { KernelPort } from './kernel.js';
import type { TunnelDriver } from './tunnel-driver.js';

/** Table of mobility routes (home prefixes), consulted before main for every packet. */
export const MOBILITY_TABLE = 100;
const MOBILITY_RULE_PREF = 1000;
/** Reverse-tunnel rules: packets from a visiting home prefix go back to its anchor. */
const REVERSE_RULE_PREF = 1100;
const REVERSE_TABLE_BASE = 1000;
/**
 * Source validation on access links (BCP 38 as the operator's network would
 * do it): uplink from a prefix this MR anchors is routed as usual; uplink
 * from any other home prefix without a reverse rule yet is dropped, so a
 * home address anchored elsewhere never leaves this MR unencapsulated — not
 * even in the moments between a node's arrival and its reverse rule.
 */
const OWN_SOURCE_RULE_PREF = 1180;
const FOREIGN_SOURCE_RULE_PREF = 1190;

/** Where an MR sends a home prefix. */
export type PrefixRoute = { kind: 'onlink'; iface: string; nextHop: string } | { kind: 'tunnel'; peer: MrInfo } | { kind: 'blackhole' };

export function describeRoute(r: PrefixRoute | undefined): string {
  if (!r) return 'none';
  if (r.kind === 'onlink') return `on-link via ${r.nextHop} dev ${r.iface}`;
  if (r.kind === 'tunnel') return `tunnel to ${r.peer.node}`;
  return 'blackhole';
}

/** A set of datapath changes applied to the kernel in one `ip -batch` (one process). */
export class RouteChanges {
  readonly lines: string[] = [];
  readonly events: EventFields['route.changed'][] = [];
}

/**
 * The MR's mobility datapath, kept as desired state and applied to the kernel:
 * one route per home prefix in table 100 (a mobile node on an access link, a
 * tunnel to the MR that serves it, or a blackhole while it is between cells),
 * one policy rule looking that table up before main (decapsulated packets go
 * through it too), and per visiting prefix a source rule that sends its
 * uplink back to the anchor, so a home address never leaves the wrong way.
 * Changes are collected in a RouteChanges and committed together.
 */
export class MobilityRoutes {
  private readonly routes = new Map<string, PrefixRoute>();
  private readonly reverse = new Map<string, { iface: string; table: number; anchor: string }>();
  private readonly reverseTables = new Set<number>();
  private readonly neighbours = new Map<string, { iface: string; address: string; mac: string }>();
  /** Home prefixes a home agent serves whose node is on one of its access links (prefix → iface). */
  private readonly servedSources = new Map<string, string>();

  constructor(
    private readonly kernel: KernelPort,
    private readonly driver: TunnelDriver,
    private readonly events: EventBus,
    private readonly mrs: readonly MrInfo[],
  ) {}

  /**
   * The MR's standing rules: the mobility table before main, and on each
   * access link, source validation (`ownAnchor` passes, `homePools` wait for
   * their reverse rule).
   */
  setupLines(access: { ifaces: readonly string[]; ownAnchor: string; homePools: readonly string[] } | undefined): string[] {
    const lines = [`rule add pref ${MOBILITY_RULE_PREF} lookup ${MOBILITY_TABLE}`];
    for (const iface of access?.ifaces ?? []) {
      lines.push(`rule add pref ${OWN_SOURCE_RULE_PREF} from ${access!.ownAnchor} iif ${iface} lookup main`);
      for (const pool of access!.homePools) lines.push(`rule add pref ${FOREIGN_SOURCE_RULE_PREF} from ${pool} iif ${iface} blackhole`);
    }
    return lines;
  }

  /** Applies collected changes in one batch and reports them. */
  async commit(c: RouteChanges): Promise<void> {
    if (c.lines.length === 0) return;
    c.lines.push(...this.unusedTunnels());
    await this.kernel.change(c.lines, /No such process|No such file|Cannot find device "ip6tnl0"/);
    for (const e of c.events) this.events.emit('route.changed', e);
  }

  /** Removes the tunnels no route and no reverse table uses any more (after the changes that stopped using them). */
  private unusedTunnels(): string[] {
    const used = new Set<string>();
    for (const r of this.routes.values()) if (r.kind === 'tunnel') used.add(r.peer.node);
    for (const t of this.reverseTables) {
      const anchor = this.mrs[t - REVERSE_TABLE_BASE];
      if (anchor) used.add(anchor.node);
    }
    return this.driver.peers().flatMap((p) => (used.has(p) ? [] : this.driver.release(p)));
  }

  /** Sets (or with undefined removes) the route of a home prefix. */
  prefix(c: RouteChanges, prefix: string, route: PrefixRoute | undefined, reason: string): void {
    const before = this.routes.get(prefix);
    if (same(before, route)) return;
    if (!route) {
      c.lines.push(`route del ${prefix} table ${MOBILITY_TABLE}`);
      this.routes.delete(prefix);
    } else {
      if (route.kind === 'onlink') c.lines.push(`route replace ${prefix} table ${MOBILITY_TABLE} via ${route.nextHop} dev ${route.iface}`);
      else if (route.kind === 'blackhole') c.lines.push(`route replace blackhole ${prefix} table ${MOBILITY_TABLE}`);
      else {
        const t = this.driver.toward(route.peer);
        c.lines.push(...t.prepare, `route replace ${prefix} table ${MOBILITY_TABLE} ${t.via}`);
      }
      this.routes.set(prefix, route);
    }
    c.events.push({ prefix, route: describeRoute(route), previous: describeRoute(before), reason });
  }

  /** Uplink from `prefix` arriving on `iface` goes back through a tunnel to `anchor` (undefined removes it). */
  reverseRule(c: RouteChanges, prefix: string, iface: string | undefined, anchor: MrInfo | undefined): void {
    const old = this.reverse.get(prefix);
    if (old && (!anchor || !iface || old.iface !== iface || old.anchor !== anchor.node)) {
      c.lines.push(`rule del pref ${REVERSE_RULE_PREF} from ${prefix} iif ${old.iface} lookup ${old.table}`);
      this.reverse.delete(prefix);
      // The table goes with the last rule that looked it up (unless this change points a rule at it again).
      const stillUsed = [...this.reverse.values()].some((r) => r.table === old.table);
      const reused =
        anchor &&
        iface &&
        REVERSE_TABLE_BASE +
          Math.max(
            0,
            this.mrs.findIndex((m) => m.node === anchor.node),
          ) ===
          old.table;
      if (!stillUsed && !reused) {
        // Its one route by name: `route flush` cannot delete a route through a nexthop object (bpf driver).
        c.lines.push(`route del ::/0 table ${old.table}`);
        this.reverseTables.delete(old.table);
      }
    }
    if (anchor && iface && !(old && old.iface === iface && old.anchor === anchor.node)) {
      const table =
        REVERSE_TABLE_BASE +
        Math.max(
          0,
          this.mrs.findIndex((m) => m.node === anchor.node),
        );
      if (!this.reverseTables.has(table)) {
        const t = this.driver.toward(anchor);
        c.lines.push(...t.prepare, `route replace ::/0 table ${table} ${t.via}`);
        this.reverseTables.add(table);
      }
      c.lines.push(`rule add pref ${REVERSE_RULE_PREF} from ${prefix} iif ${iface} lookup ${table}`);
      this.reverse.set(prefix, { iface, table, anchor: anchor.node });
    }
  }

  /**
   * Uplink from `prefix` arriving on `iface` is routed as usual (undefined removes the exception): a
   * home agent serving a prefix whose node sits on one of its own access links, reverse-tunnelled to
   * it. Decapsulation by seg6 End.DX6 keeps the access link as the inner packet's input interface,
   * so without this the source check of that link would drop what the node sends through its tunnel.
   */
  servedSource(c: RouteChanges, prefix: string, iface: string | undefined): void {
    const old = this.servedSources.get(prefix);
    if (old === iface) return;
    if (old !== undefined) c.lines.push(`rule del pref ${OWN_SOURCE_RULE_PREF} from ${prefix} iif ${old} lookup main`);
    if (iface === undefined) this.servedSources.delete(prefix);
    else {
      c.lines.push(`rule add pref ${OWN_SOURCE_RULE_PREF} from ${prefix} iif ${iface} lookup main`);
      this.servedSources.set(prefix, iface);
    }
  }

  /** A permanent neighbour entry for a mobile node on an access link (no resolution delay after attach). */
  neighbour(c: RouteChanges, iface: string, address: string, mac: string | undefined): void {
    const key = `${iface}/${address}`;
    if (mac) {
      this.neighbours.set(key, { iface, address, mac });
      c.lines.push(`neigh replace ${address} lladdr ${mac} dev ${iface} nud permanent`);
    } else if (this.neighbours.delete(key)) {
      c.lines.push(`neigh del ${address} dev ${iface}`);
    }
  }

  route(prefix: string): PrefixRoute | undefined {
    return this.routes.get(prefix);
  }

  snapshot(): { prefix: string; route: string }[] {
    return [...this.routes].map(([prefix, r]) => ({ prefix, route: describeRoute(r) }));
  }

  servedSourcesSnapshot(): { prefix: string; iface: string }[] {
    return [...this.servedSources].map(([prefix, iface]) => ({ prefix, iface }));
  }

  reverseSnapshot(): ReverseRuleState[] {
    return [...this.reverse].map(([prefix, r]) => ({ prefix, iface: r.iface, anchor: r.anchor, table: r.table }));
  }
}

function same(a: PrefixRoute | undefined, b: PrefixRoute | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'onlink' && b.kind === 'onlink') return a.iface === b.iface && a.nextHop === b.nextHop;
  // A Mobile IPv6 node's tunnel end moves with its care-of address.
  if (a.kind === 'tunnel' && b.kind === 'tunnel') return a.peer.node === b.peer.node && a.peer.tunnelEndpoint === b.peer.tunnelEndpoint;
  return true;
}
