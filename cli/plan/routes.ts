import { containsPrefix, formatPrefix, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import type { PlanLink, PlanNode, PlanRoute } from './types.js';

/**
 * Static infrastructure routes for one node, from shortest paths (hop count,
 * ties broken by link order) over the infrastructure links. Mobile nodes get
 * none (router advertisements configure them); a node with a single link gets
 * a default route; every other node gets a route to each loopback, MR tunnel
 * endpoint, MR anchor and link subnet it is not attached to. Destinations in
 * another local network are summarised by one route for that network's prefix
 * through the next hop most of them share, plus specific routes for the
 * exceptions (given `networks`); longest-prefix match then gives every
 * destination its shortest path with a fraction of the routes. An MR also gets
 * an `unreachable` route for its own anchor so that traffic for an absent
 * mobile node stops there instead of looping.
 */
export function computeRoutes(
  node: PlanNode,
  nodes: readonly PlanNode[],
  links: readonly PlanLink[],
  networks: readonly { name: string; prefix: string }[] = [],
): PlanRoute[] {
  if (node.roles.includes('mn')) return [];
  const infra = links.filter((l) => l.kind === 'infra');
  const adjacency = new Map<string, { peer: string; link: PlanLink; localIf: string; peerIf: string }[]>();
  for (const l of infra) {
    (adjacency.get(l.a.node) ?? adjacency.set(l.a.node, []).get(l.a.node)!).push({ peer: l.b.node, link: l, localIf: l.a.iface, peerIf: l.b.iface });
    (adjacency.get(l.b.node) ?? adjacency.set(l.b.node, []).get(l.b.node)!).push({ peer: l.a.node, link: l, localIf: l.b.iface, peerIf: l.a.iface });
  }
  const mine = adjacency.get(node.name) ?? [];
  const routes: PlanRoute[] = [];
  if (node.anchor) routes.push({ dst: node.anchor, type: 'unreachable' });
  if (mine.length === 0) return routes;

  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const addrOn = (n: string, iface: string) =>
    nodeByName
      .get(n)
      ?.interfaces.find((i) => i.name === iface)
      ?.addresses[0]?.split('/')[0];

  if (mine.length === 1) {
    const only = mine[0]!;
    const via = addrOn(only.peer, only.peerIf);
    if (via) routes.push({ dst: '::/0', via, dev: only.localIf, type: 'unicast' });
    return routes;
  }

  // BFS from this node: first hop towards every other node.
  const firstHop = new Map<string, (typeof mine)[number]>();
  const dist = new Map<string, number>([[node.name, 0]]);
  const queue: string[] = [];
  for (const e of mine) {
    if (!dist.has(e.peer)) {
      dist.set(e.peer, 1);
      firstHop.set(e.peer, e);
      queue.push(e.peer);
    }
  }
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const e of adjacency.get(cur) ?? []) {
      if (dist.has(e.peer)) continue;
      dist.set(e.peer, (dist.get(cur) ?? 0) + 1);
      firstHop.set(e.peer, firstHop.get(cur)!);
      queue.push(e.peer);
    }
  }
  const hop = (target: string): PlanRoute | undefined => {
    const e = firstHop.get(target);
    if (!e) return undefined;
    const via = addrOn(e.peer, e.peerIf);
    return via ? { dst: '', via, dev: e.localIf, type: 'unicast' } : undefined;
  };
  for (const other of nodes) {
    if (other.name === node.name) continue;
    const r = hop(other.name);
    if (!r) continue;
    for (const dst of [other.loopback && `${other.loopback}/128`, other.tunnelEndpoint && `${other.tunnelEndpoint}/128`, other.anchor]) {
      if (dst) routes.push({ ...r, dst });
    }
  }
  const attached = new Set(mine.map((e) => e.link.id));
  for (const l of infra) {
    if (attached.has(l.id) || !l.subnet) continue;
    // Towards whichever end is nearer; ties go to the first endpoint.
    const da = dist.get(l.a.node) ?? Infinity;
    const db = dist.get(l.b.node) ?? Infinity;
    const r = hop(da <= db ? l.a.node : l.b.node);
    if (r) routes.push({ ...r, dst: l.subnet });
  }
  return summarise(routes, node.network, networks);
}

/** Replaces each foreign network's routes by one aggregate through their commonest next hop, plus exceptions. */
function summarise(routes: PlanRoute[], own: string, networks: readonly { name: string; prefix: string }[]): PlanRoute[] {
  const foreign = networks.filter((n) => n.name !== own).map((n) => ({ name: n.name, prefix: parsePrefix(n.prefix) }));
  if (foreign.length === 0) return routes;
  const netOf = (dst: string): { name: string; prefix: Prefix } | undefined => {
    const p = parsePrefix(dst);
    return foreign.find((n) => containsPrefix(n.prefix, p));
  };
  const groups = new Map<string, PlanRoute[]>();
  const out: PlanRoute[] = [];
  for (const r of routes) {
    const n = r.type === 'unicast' ? netOf(r.dst) : undefined;
    if (!n) out.push(r);
    else (groups.get(n.name) ?? groups.set(n.name, []).get(n.name)!).push(r);
  }
  for (const n of foreign) {
    const rs = groups.get(n.name);
    if (!rs) continue;
    if (rs.length < 2) {
      out.push(...rs);
      continue;
    }
    const key = (r: PlanRoute) => `${r.via}|${r.dev}`;
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
    const best = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const sample = rs.find((r) => key(r) === best)!;
    out.push({ dst: formatPrefix(n.prefix), via: sample.via!, dev: sample.dev!, type: 'unicast' });
    out.push(...rs.filter((r) => key(r) !== best));
  }
  return out;
}
