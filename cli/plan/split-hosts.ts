import type { Topology } from '../topology/schema.js';

/** Most hosts `--hosts` splits a lab over (underlay addresses 10.255.0.1–250). */
export const MAX_HOSTS = 250;

/**
 * `--hosts N`: places the topology's nodes on hosts h1..hN, replacing any
 * placement the file has. A mobile node and its access routers stay together
 * (a radio cannot cross hosts); the rest is cut in breadth-first order from
 * the first node, so neighbours tend to share a host and each host gets about
 * the same number of nodes. Pure.
 */
export function splitHosts(t: Topology, count: number): Topology {
  const names = Object.keys(t.nodes);
  // Groups that must share a host: a mobile node with all its access routers (union-find).
  const parent = new Map(names.map((n) => [n, n]));
  const find = (n: string): string => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(n, r);
    return r;
  };
  for (const a of t.access) for (const ar of a.ars) if (parent.has(a.mn) && parent.has(ar)) parent.set(find(ar), find(a.mn));
  const groups = new Map<string, string[]>();
  for (const n of names) (groups.get(find(n)) ?? groups.set(find(n), []).get(find(n))!).push(n);

  // Breadth-first over wired links, then whatever the search did not reach, in file order.
  const adj = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const l of t.links) {
    adj.get(l.endpoints[0])?.push(l.endpoints[1]);
    adj.get(l.endpoints[1])?.push(l.endpoints[0]);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  for (const start of names) {
    if (seen.has(start)) continue;
    seen.add(start);
    order.push(start);
    for (let head = order.length - 1; head < order.length; head++) {
      for (const m of adj.get(order[head] as string) ?? []) if (!seen.has(m) && seen.add(m)) order.push(m);
    }
  }
  const target = Math.ceil(names.length / count);
  const placed = new Map<string, string>();
  let host = 1;
  let filled = 0;
  for (const n of order) {
    if (placed.has(n)) continue;
    const group = groups.get(find(n)) as string[];
    if (filled > 0 && filled + group.length > target && host < count) {
      host++;
      filled = 0;
    }
    for (const m of group) placed.set(m, `h${host}`);
    filled += group.length;
  }
  const hosts = Object.fromEntries(Array.from({ length: count }, (_, i) => [`h${i + 1}`, {}]));
  const nodes = Object.fromEntries(Object.entries(t.nodes).map(([n, x]) => [n, { ...x, host: placed.get(n) as string }]));
  return { ...t, hosts, nodes };
}
