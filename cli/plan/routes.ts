import { contains, formatPrefix, parseAddress, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import type { PlanLink, PlanNode, PlanRoute } from './types.js';

/** One infrastructure link as seen from one of its ends. */
interface Edge {
  /** Index of the node at the other end. */
  peer: number;
  link: PlanLink;
  localIf: string;
  /** The peer's address on the link (the next hop), if it has one. */
  via: string | undefined;
}

/**
 * Static infrastructure routes for every node, from shortest paths (hop
 * count, ties broken by link order) over the infrastructure links. Mobile
 * nodes get none (router advertisements configure them); a node with a single
 * link gets a default route; every other node gets a route to each loopback,
 * MR tunnel endpoint, MR anchor, link subnet and (Mobile IPv6) care-of prefix it is
 * not attached to.
 * Destinations in another local network are summarised by one route for that
 * network's prefix through the next hop most of them share, plus specific
 * routes for the exceptions; longest-prefix match then gives every
 * destination its shortest path with a fraction of the routes. An MR also
 * gets an `unreachable` route for its own anchor so that traffic for an
 * absent mobile node stops there instead of looping.
 *
 * One breadth-first search per node over adjacency built once, and every
 * destination's network looked up once for the whole lab: linear in the size
 * of the lab per node.
 */
export function planRoutes(
  nodes: PlanNode[],
  links: readonly PlanLink[],
  networks: readonly { name: string; prefix: string }[],
  homeAgents: readonly string[] = [],
): Map<string, string> {
  const planner = new RoutePlanner(nodes, links, networks, homeAgents);
  for (const node of nodes) node.routes = planner.routesOf(node);
  return planner.nearestHomeAgent;
}

/** The routes of one node (tests; deploy plans every node at once with planRoutes). */
export function computeRoutes(
  node: PlanNode,
  nodes: readonly PlanNode[],
  links: readonly PlanLink[],
  networks: readonly { name: string; prefix: string }[] = [],
  homeAgents: readonly string[] = [],
): PlanRoute[] {
  return new RoutePlanner(nodes, links, networks, homeAgents).routesOf(node);
}

/** Adjacency, next-hop addresses and destination networks, built once for the lab. */
class RoutePlanner {
  private readonly index: Map<string, number>;
  private readonly infra: PlanLink[];
  private readonly adjacency: Edge[][];
  private readonly networksOf: (dst: string) => readonly string[];
  private readonly dist: Int32Array;
  private readonly first: Int32Array;
  private readonly queue: Int32Array;

  /** The MRs announcing every anchor's prefixes (anycast: migrating home agents, or flat DMM's anchors): their node indices, and the nearest one to each MR once planned. */
  private readonly homeAgents: number[];
  readonly nearestHomeAgent = new Map<string, string>();

  constructor(
    private readonly nodes: readonly PlanNode[],
    links: readonly PlanLink[],
    private readonly networks: readonly { name: string; prefix: string }[],
    homeAgents: readonly string[] = [],
  ) {
    this.index = new Map(nodes.map((n, i) => [n.name, i]));
    this.homeAgents = homeAgents.flatMap((h) => (this.index.has(h) ? [this.index.get(h)!] : []));
    const addressOn = new Map<string, string>();
    for (const n of nodes) for (const i of n.interfaces) if (i.addresses[0]) addressOn.set(`${n.name}|${i.name}`, i.addresses[0].split('/')[0] as string);
    this.infra = links.filter((l) => l.kind === 'infra');
    this.adjacency = nodes.map(() => []);
    for (const l of this.infra) {
      const a = this.index.get(l.a.node)!;
      const b = this.index.get(l.b.node)!;
      this.adjacency[a]!.push({ peer: b, link: l, localIf: l.a.iface, via: addressOn.get(`${l.b.node}|${l.b.iface}`) });
      this.adjacency[b]!.push({ peer: a, link: l, localIf: l.b.iface, via: addressOn.get(`${l.a.node}|${l.a.iface}`) });
    }
    this.networksOf = destinationNetworks(networks);
    this.dist = new Int32Array(nodes.length);
    this.first = new Int32Array(nodes.length);
    this.queue = new Int32Array(nodes.length);
  }

  routesOf(node: PlanNode): PlanRoute[] {
    if (node.roles.includes('mn')) return [];
    const u = this.index.get(node.name)!;
    const { dist, first } = this;
    const mine = this.adjacency[u]!;
    const routes: PlanRoute[] = [];
    if (node.anchor) routes.push({ dst: node.anchor, type: 'unreachable' });
    // A MAP's regional care-of addresses it has no binding for stop there (as an anchor's prefixes do).
    if (node.regional) routes.push({ dst: node.regional, type: 'unreachable' });
    if (mine.length === 0) return routes;
    const anycast = this.homeAgents.length > 0;
    if (anycast) this.search(u);
    if (anycast && node.roles.includes('mr')) {
      const ha = this.nearestOf(
        u,
        this.homeAgents.find((h) => this.nodes[h]!.network === node.network),
      );
      if (ha !== undefined) this.nearestHomeAgent.set(node.name, this.nodes[ha]!.name);
    }
    if (mine.length === 1) {
      const only = mine[0]!;
      if (only.via) routes.push({ dst: '::/0', via: only.via, dev: only.localIf, type: 'unicast' });
      return routes;
    }
    if (!anycast) this.search(u);
    const summary = new Summary(node.network, this.networks, this.networksOf);
    const add = (target: number, dst: string) => {
      if (target === u || dist[target] === -1) return;
      const k = first[target]!;
      const e = mine[k]!;
      if (e.via) summary.add(dst, k, e);
    };
    const homeAgents = new Set(this.homeAgents);
    this.nodes.forEach((other, v) => {
      if (v === u) return;
      if (other.loopback) add(v, `${other.loopback}/128`);
      if (other.tunnelEndpoint) add(v, `${other.tunnelEndpoint}/128`);
      // Migrating home agents announce every home agent's prefixes: the nearest one takes them
      // (a home agent itself takes them all, and tunnels what it has no binding for to the prefix's own).
      if (other.anchor) add(homeAgents.has(v) ? (this.nearestOf(u, v) ?? v) : v, other.anchor);
      for (const i of other.interfaces) if (i.careOf) add(v, i.careOf);
      if (other.regional) add(v, other.regional);
    });
    const attached = new Set(mine.map((e) => e.link.id));
    for (const l of this.infra) {
      if (attached.has(l.id) || !l.subnet) continue;
      // Towards whichever end is nearer; ties go to the first endpoint.
      const a = this.index.get(l.a.node)!;
      const b = this.index.get(l.b.node)!;
      const da = dist[a] === -1 ? Infinity : dist[a]!;
      const db = dist[b] === -1 ? Infinity : dist[b]!;
      add(da <= db ? a : b, l.subnet);
    }
    return [...routes, ...summary.routes()];
  }

  /** The home agent nearest the node searched from last (ties: `preferred`, then the first listed). */
  private nearestOf(u: number, preferred: number | undefined): number | undefined {
    let best: number | undefined;
    for (const h of this.homeAgents) {
      const d = h === u ? 0 : this.dist[h]!;
      if (d === -1) continue;
      const bd = best === undefined ? Infinity : best === u ? 0 : this.dist[best]!;
      if (d < bd || (d === bd && h === preferred)) best = h;
    }
    return best;
  }

  /** Breadth-first from node `u`: hop counts (dist) and the first edge towards every other node (first). */
  private search(u: number): void {
    const { dist, first, queue } = this;
    const mine = this.adjacency[u]!;
    dist.fill(-1);
    dist[u] = 0;
    let head = 0;
    let tail = 0;
    mine.forEach((e, k) => {
      if (dist[e.peer] !== -1) return;
      dist[e.peer] = 1;
      first[e.peer] = k;
      queue[tail++] = e.peer;
    });
    while (head < tail) {
      const cur = queue[head++]!;
      for (const e of this.adjacency[cur]!) {
        if (dist[e.peer] !== -1) continue;
        dist[e.peer] = dist[cur]! + 1;
        first[e.peer] = first[cur]!;
        queue[tail++] = e.peer;
      }
    }
  }
}

/**
 * Summarises one node's routes as they are added: destinations outside every
 * other network stay specific routes, in order; each other network's
 * destinations become one route for its prefix through their commonest first
 * hop (the first seen on a tie), followed by the exceptions.
 */
class Summary {
  private readonly out: PlanRoute[] = [];
  private readonly groups = new Map<string, { dst: string; edge: number; e: Edge }[]>();

  constructor(
    private readonly own: string,
    private readonly networks: readonly { name: string; prefix: string }[],
    private readonly networksOf: (dst: string) => readonly string[],
  ) {}

  add(dst: string, edge: number, e: Edge): void {
    const foreign = this.networksOf(dst).find((n) => n !== this.own);
    if (foreign === undefined) {
      this.out.push({ dst, via: e.via!, dev: e.localIf, type: 'unicast' });
      return;
    }
    (this.groups.get(foreign) ?? this.groups.set(foreign, []).get(foreign)!).push({ dst, edge, e });
  }

  routes(): PlanRoute[] {
    const out = [...this.out];
    for (const n of this.networks) {
      if (n.name === this.own) continue;
      const rs = this.groups.get(n.name);
      if (!rs) continue;
      const route = (r: { dst: string; e: Edge }): PlanRoute => ({ dst: r.dst, via: r.e.via!, dev: r.e.localIf, type: 'unicast' });
      if (rs.length < 2) {
        out.push(...rs.map(route));
        continue;
      }
      const counts = new Map<number, number>();
      for (const r of rs) counts.set(r.edge, (counts.get(r.edge) ?? 0) + 1);
      let best = -1;
      let bestCount = 0;
      for (const [edge, c] of counts) {
        if (c > bestCount) {
          best = edge;
          bestCount = c;
        }
      }
      const sample = rs.find((r) => r.edge === best)!;
      out.push({ dst: formatPrefix(parsePrefix(n.prefix)), via: sample.e.via!, dev: sample.e.localIf, type: 'unicast' });
      out.push(...rs.filter((r) => r.edge !== best).map(route));
    }
    return out;
  }
}

/**
 * The networks (in the topology's order) whose prefix holds a destination
 * (an address/128 or a prefix), each destination parsed once: network
 * prefixes are indexed by their length, so a lookup costs one probe per
 * distinct length, not one per network.
 */
function destinationNetworks(networks: readonly { name: string; prefix: string }[]): (dst: string) => readonly string[] {
  const byLength = new Map<number, Map<bigint, { order: number; name: string }[]>>();
  networks.forEach((n, order) => {
    const p = parsePrefix(n.prefix);
    const m = byLength.get(p.len) ?? byLength.set(p.len, new Map()).get(p.len)!;
    (m.get(p.addr) ?? m.set(p.addr, []).get(p.addr)!).push({ order, name: n.name });
  });
  const cache = new Map<string, readonly string[]>();
  return (dst) => {
    let hit = cache.get(dst);
    if (hit) return hit;
    const [a, l] = dst.split('/');
    const p: Prefix = { addr: parseAddress(a!), len: Number(l) };
    const found: { order: number; name: string }[] = [];
    for (const [len, m] of byLength) {
      if (len > p.len) continue;
      for (const net of m.get(p.addr & maskOf(len)) ?? []) if (contains({ addr: p.addr & maskOf(len), len }, p.addr)) found.push(net);
    }
    hit = found.sort((x, y) => x.order - y.order).map((x) => x.name);
    cache.set(dst, hit);
    return hit;
  };
}

const MASKS = new Map<number, bigint>();
function maskOf(len: number): bigint {
  let m = MASKS.get(len);
  if (m === undefined) {
    m = len <= 0 ? 0n : (((1n << 128n) - 1n) << BigInt(128 - len)) & ((1n << 128n) - 1n);
    MASKS.set(len, m);
  }
  return m;
}
