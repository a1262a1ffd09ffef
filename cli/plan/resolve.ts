import { InputError, type InputIssue } from '../errors.js';
import type { SourceMap } from '../input/load-yaml.js';
import { formatPath } from '../input/load-yaml.js';
import { formatAddress, formatPrefix, hostAddress, mask, overlaps, parseAddress, parsePrefix, subPrefix, type Prefix } from '../../shared/ipv6.js';
import type { LinkParams, Topology } from '../topology/schema.js';
import { macFor, netnsName } from './names.js';
import { planHosts } from './hosts.js';
import { planRoutes } from './routes.js';
import { sysctlsFor } from './sysctls.js';
import type { Plan, PlanInterface, PlanLink, PlanNetwork, PlanNode } from './types.js';

/** Index of the /64 inside a network prefix that holds node loopbacks, MR tunnel endpoints, and the first link. */
const LOOPBACK_SUBNET = 0;
const TUNNEL_ENDPOINT_SUBNET = 1;
const FIRST_LINK_SUBNET = 0x1000;
/**
 * MTU of wired links unless the topology sets one: MRs carry mobile nodes'
 * 1500-byte packets inside a 40-byte outer IPv6 header, and IPv6 routers do
 * not fragment, so the core needs the headroom (as operators give PMIPv6
 * transport networks) or large packets would vanish into path-MTU discovery.
 */
export const INFRA_MTU = 1580;

/** First interface index the plan hands out (well clear of lo and the kernel's fallback devices). */
const FIRST_IFINDEX = 1001;
/** Anchors (per-MR aggregates of home prefixes) are /56 when the pool allows it. */
const ANCHOR_LEN = 56;

/**
 * Turns a checked topology into a plan: namespace and interface names, MACs,
 * addresses, and (unless `derived` is false) routes and sysctls. Pure: the same topology gives the same plan.
 * Throws InputError if planned and explicit addresses collide.
 */
export function resolve(t: Topology, source: SourceMap, labOverride?: string, opts: { derived?: boolean } = {}): Plan {
  const lab = labOverride ?? t.name;
  const issues: InputIssue[] = [];
  const issue = (path: (string | number)[], found: string, expected: string) => {
    const pos = source.locate(path);
    issues.push({ file: source.file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: formatPath(path), found, expected });
  };

  // Networks, their pools, and which node is their LM and HAA (by default the first node of the network with the role).
  const firstWith = new Map<string, string>(); // "network|role" -> node
  for (const [name, x] of Object.entries(t.nodes)) {
    for (const role of x.roles) if (!firstWith.has(`${x.network}|${role}`)) firstWith.set(`${x.network}|${role}`, name);
  }
  const networks: PlanNetwork[] = Object.entries(t.networks).map(([name, n]) => {
    const prefix = parsePrefix(n.prefix);
    const pool = n.pool ? parsePrefix(n.pool) : subPrefix(prefix, prefix.len + 1, 1);
    const lm = n.lm ?? firstWith.get(`${name}|lm`);
    const haa = n.haa ?? firstWith.get(`${name}|haa`);
    return {
      name,
      prefix: formatPrefix(prefix),
      pool: formatPrefix(pool),
      ...(lm ? { lm } : {}),
      ...(haa ? { haa } : {}),
      ...(n.lmProxy ? { lmProxy: n.lmProxy } : {}),
      ...(n.anchor ? { anchor: n.anchor } : {}),
      ...(n.map ? { map: n.map } : {}),
    };
  });
  const netByName = new Map(networks.map((n) => [n.name, n]));

  // Nodes: loopbacks, MR tunnel endpoints and anchors.
  const used = new Map<string, string>(); // address -> path that claimed it
  const claim = (addr: string, path: (string | number)[]) => {
    const prev = used.get(addr);
    if (prev) issue(path, `address ${addr}, already used by ${prev}`, 'an address no other node or link uses');
    else used.set(addr, formatPath(path));
  };
  const nodeIndex = new Map<string, number>();
  const nodeCount = new Map<string, number>();
  const mrIndex = new Map<string, number>();
  const mrCount = new Map<string, number>();
  for (const [name, n] of Object.entries(t.nodes)) {
    const i = (nodeCount.get(n.network) ?? 0) + 1;
    nodeCount.set(n.network, i);
    nodeIndex.set(name, i);
    if (n.roles.includes('mr')) {
      const j = mrCount.get(n.network) ?? 0;
      mrIndex.set(name, j);
      mrCount.set(n.network, j + 1);
    }
  }
  const prefixOf = new Map(networks.map((n) => [n.name, { prefix: parsePrefix(n.prefix), pool: parsePrefix(n.pool) }]));
  const nodes: PlanNode[] = Object.entries(t.nodes).map(([name, n]) => {
    const net = netByName.get(n.network) as PlanNetwork;
    const { prefix, pool } = prefixOf.get(n.network)!;
    const idx = nodeIndex.get(name) as number;
    const isMn = n.roles.includes('mn');
    const node: PlanNode = {
      name,
      roles: [...n.roles],
      network: n.network,
      netns: netnsName(lab, name),
      agent: n.agent ?? true,
      interfaces: [],
      routes: [],
      sysctls: {},
      ...(n.image ? { image: n.image } : {}),
    };
    if (!isMn) {
      node.loopback = formatAddress(n.address ? parseAddress(n.address) : hostAddress(subPrefix(prefix, 64, LOOPBACK_SUBNET), idx));
      claim(node.loopback, ['nodes', name, 'address']);
    }
    if (n.roles.includes('mr')) {
      node.tunnelEndpoint = formatAddress(hostAddress(subPrefix(prefix, 64, TUNNEL_ENDPOINT_SUBNET), idx));
      claim(node.tunnelEndpoint, ['nodes', name]);
      const count = mrCount.get(n.network) ?? 1;
      const bits = Math.ceil(Math.log2(Math.max(count, 1)));
      const len = Math.max(ANCHOR_LEN, pool.len + bits);
      if (len > 64) issue(['networks', n.network, 'pool'], `${net.pool} for ${count} MRs`, 'a pool large enough for a /64 per MR');
      else node.anchor = formatPrefix(subPrefix(pool, len, mrIndex.get(name) as number));
    }
    return node;
  });
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));

  // Links: infrastructure links get a /64 from the first endpoint's network; access links only link-local.
  const links: PlanLink[] = [];
  const linkCount = new Map<string, number>();
  const poolsHit = new Set<string>();
  let nextIndex = FIRST_IFINDEX;
  const ifNames = new Map<string, Set<string>>(); // node -> interface names taken
  const addIface = (node: PlanNode, name: string, peer: string, iface: Omit<PlanInterface, 'name' | 'peer' | 'ifindex'>, peerIface: string) => {
    node.interfaces.push({ ...iface, name, ifindex: nextIndex++, peer: { node: peer, iface: peerIface } });
    (ifNames.get(node.name) ?? ifNames.set(node.name, new Set()).get(node.name)!).add(name);
  };
  const nextName = (node: PlanNode, peer: string) => {
    const taken = ifNames.get(node.name);
    let name = peer;
    for (let i = 2; taken?.has(name); i++) name = `${peer}${i}`;
    return name;
  };
  const poolHolding = poolFinder(networks.map((n) => ({ name: n.name, pool: prefixOf.get(n.name)!.pool })));
  t.links.forEach((l, i) => {
    const [aName, bName] = l.endpoints;
    const a = nodeByName.get(aName) as PlanNode;
    const b = nodeByName.get(bName) as PlanNode;
    const net = netByName.get(a.network) as PlanNetwork;
    let subnet: Prefix;
    if (l.subnet) subnet = parsePrefix(l.subnet);
    else {
      const k = linkCount.get(net.name) ?? 0;
      linkCount.set(net.name, k + 1);
      subnet = subPrefix(prefixOf.get(net.name)!.prefix, 64, FIRST_LINK_SUBNET + k);
      const hit = poolHolding(subnet);
      const pool = hit ? netByName.get(hit) : undefined;
      if (pool && !poolsHit.has(pool.name)) {
        poolsHit.add(pool.name);
        issue(
          ['networks', pool.name, 'pool'],
          `${pool.pool}, which holds ${formatPrefix(subnet)}, planned for links[${i}]`,
          `a pool clear of the link subnets planned from ${formatPrefix(subPrefix(parsePrefix(net.prefix), 64, FIRST_LINK_SUBNET))} onward, or an explicit subnet on the link`,
        );
      }
    }
    const params = linkParamsOf(l);
    const id = `l${i}`;
    const aIf = nextName(a, bName);
    const bIf = nextName(b, aName);
    const aAddr = formatAddress(hostAddress(subnet, 1));
    const bAddr = formatAddress(hostAddress(subnet, 2));
    claim(aAddr, ['links', i]);
    claim(bAddr, ['links', i]);
    // Room for one 40-byte tunnel header around a full-size 1500-byte packet from a mobile node.
    const mtu = l.mtu ?? INFRA_MTU;
    addIface(
      a,
      aIf,
      bName,
      { mac: macFor(lab, aName, aIf), addresses: [`${aAddr}/64`], link: id, kind: 'infra', up: true, params, ...(mtu ? { mtu } : {}) },
      bIf,
    );
    addIface(
      b,
      bIf,
      aName,
      { mac: macFor(lab, bName, bIf), addresses: [`${bAddr}/64`], link: id, kind: 'infra', up: true, params, ...(mtu ? { mtu } : {}) },
      aIf,
    );
    links.push({ id, kind: 'infra', a: { node: aName, iface: aIf }, b: { node: bName, iface: bIf }, subnet: formatPrefix(subnet), params });
  });
  // The next /64 of a network after its link subnets (Mobile IPv6 care-of and HMIPv6 regional
  // prefixes), checked against the pools; `what` says what it was planned as.
  const nextSubnet = (network: string, what: string) => {
    const k = linkCount.get(network) ?? 0;
    linkCount.set(network, k + 1);
    const subnet = subPrefix(prefixOf.get(network)!.prefix, 64, FIRST_LINK_SUBNET + k);
    const hit = poolHolding(subnet);
    if (hit && !poolsHit.has(hit)) {
      poolsHit.add(hit);
      issue(
        ['networks', hit, 'pool'],
        `${netByName.get(hit)?.pool}, which holds ${formatPrefix(subnet)}, planned as ${what}`,
        'a pool clear of the link, care-of and regional subnets planned after the link subnets',
      );
    }
    return subnet;
  };
  // Mobile IPv6: a cell of another network than the node's gives it a care-of prefix, a /64 of the
  // access router's network planned after its link subnets.
  const careOfPrefix = (ar: PlanNode, mn: PlanNode, i: number, j: number): string | undefined => {
    if (t.mobility.mnMode !== 'mipv6' || ar.network === mn.network) return undefined;
    const subnet = nextSubnet(ar.network, `the care-of prefix of access[${i}].ars[${j}]`);
    claim(formatAddress(hostAddress(subnet, 1)), ['access', i, 'ars', j]);
    return formatPrefix(subnet);
  };
  t.access.forEach((acc, i) => {
    const mn = nodeByName.get(acc.mn) as PlanNode;
    const mnMac = macFor(lab, acc.mn, 'radio');
    const params = linkParamsOf(acc);
    acc.ars.forEach((arName, j) => {
      const ar = nodeByName.get(arName) as PlanNode;
      const id = `a-${acc.mn}-${arName}`;
      const mnIf = nextName(mn, arName);
      const arIf = nextName(ar, acc.mn);
      const up = acc.start === arName;
      const mtu = acc.mtu;
      const careOf = careOfPrefix(ar, mn, i, j);
      addIface(mn, mnIf, arName, { mac: mnMac, addresses: [], link: id, kind: 'access', up, params, ...(mtu ? { mtu } : {}) }, arIf);
      addIface(
        ar,
        arIf,
        acc.mn,
        { mac: macFor(lab, arName, arIf), addresses: [], link: id, kind: 'access', up: true, params, ...(mtu ? { mtu } : {}), ...(careOf ? { careOf } : {}) },
        mnIf,
      );
      links.push({ id, kind: 'access', a: { node: acc.mn, iface: mnIf }, b: { node: arName, iface: arIf }, params });
    });
  });
  // HMIPv6: each MAP's regional care-of addresses come from a /64 of its network, after its link and care-of subnets.
  for (const net of networks) {
    const map = net.map === undefined ? undefined : nodeByName.get(net.map);
    if (!map) continue;
    const subnet = nextSubnet(net.name, `the regional care-of prefix of networks.${net.name}.map`);
    net.regional = formatPrefix(subnet);
    map.regional = net.regional;
  }
  if (issues.length > 0) throw new InputError(issues);

  let nearestHomeAgent = new Map<string, string>();
  // Per-node settings derived from the rest (routes, sysctls) are what deploy needs; validate can leave them out.
  if (opts.derived !== false) {
    const homeAgents =
      t.mobility.homeAgents === 'migrating'
        ? networks.flatMap((n) => (n.anchor ? [n.anchor] : []))
        : t.mobility.anycast
          ? nodes.filter((n) => n.roles.includes('mr') && (netByName.get(n.network)?.anchor ?? n.name) === n.name).map((n) => n.name)
          : [];
    const nearest = planRoutes(nodes, links, networks, homeAgents);
    // Where a Mobile IPv6 node registers from each MR's cells (anycast in flat DMM needs no such thing).
    if (t.mobility.homeAgents === 'migrating') nearestHomeAgent = nearest;
    for (const node of nodes) node.sysctls = sysctlsFor(node, t.mobility.mnMode);
  }

  const addressOf = (n: string | undefined) => (n ? nodeByName.get(n)?.loopback : undefined);
  const mobility: Plan['mobility'] = {
    ...t.mobility,
    domain: networks.map((n) => {
      const lmAddr = addressOf(n.lm);
      const haaAddr = addressOf(n.haa);
      const proxyAddr = addressOf(n.lmProxy);
      return {
        name: n.name,
        prefix: n.prefix,
        pool: n.pool,
        ...(n.lm && lmAddr ? { lm: { node: n.lm, address: lmAddr } } : {}),
        ...(n.haa && haaAddr ? { haa: { node: n.haa, address: haaAddr } } : {}),
        ...(n.lmProxy && proxyAddr ? { lmProxy: { node: n.lmProxy, address: proxyAddr } } : {}),
        ...(n.anchor ? { anchor: n.anchor } : {}),
        ...(n.map && n.regional && addressOf(n.map) ? { map: { node: n.map, address: addressOf(n.map)!, regional: n.regional } } : {}),
      };
    }),
    mrs: nodes
      .filter((n) => n.roles.includes('mr') && n.anchor && n.tunnelEndpoint && n.loopback)
      .map((n) => ({
        node: n.name,
        network: n.network,
        address: n.loopback as string,
        tunnelEndpoint: n.tunnelEndpoint as string,
        anchor: n.anchor as string,
        ...(nearestHomeAgent.has(n.name) ? { homeAgent: nearestHomeAgent.get(n.name) } : {}),
      })),
    mns: t.access
      .filter((a) => nodeByName.has(a.mn))
      .map((a) => ({
        node: a.mn,
        id: `${a.mn}@${t.nodes[a.mn]?.network ?? ''}.${lab}`,
        network: t.nodes[a.mn]?.network ?? '',
        mac: macFor(lab, a.mn, 'radio'),
        ars: [...a.ars],
        ...(a.start ? { start: a.start } : {}),
      })),
  };
  const hosts = planHosts(t, lab, nodes, links);
  return { lab, source: source.file, networks, nodes, links, mobility, ...(hosts ? { hosts } : {}) };
}

function linkParamsOf(l: LinkParams): LinkParams {
  const p: LinkParams = {};
  if (l.delay !== undefined) p.delay = l.delay;
  if (l.jitter !== undefined) p.jitter = l.jitter;
  if (l.loss !== undefined) p.loss = l.loss;
  if (l.rate !== undefined) p.rate = l.rate;
  if (l.mtu !== undefined) p.mtu = l.mtu;
  return p;
}

/**
 * The network whose home-prefix pool overlaps a prefix, in a few map lookups:
 * pools are indexed by their length, so a link subnet is looked up once per
 * distinct pool length instead of against every pool (what keeps planning
 * linear in the number of networks).
 */
function poolFinder(pools: readonly { name: string; pool: Prefix }[]): (p: Prefix) => string | undefined {
  const byLength = new Map<number, Map<bigint, string>>();
  for (const { name, pool } of pools) {
    const m = byLength.get(pool.len) ?? byLength.set(pool.len, new Map()).get(pool.len)!;
    if (!m.has(pool.addr)) m.set(pool.addr, name);
  }
  const lengths = [...byLength.keys()].sort((a, b) => a - b).map((len) => ({ len, mask: mask(len), pools: byLength.get(len)! }));
  return (p) => {
    for (const { len, mask: m, pools: byAddr } of lengths) {
      // A pool no longer than the prefix holds it; a longer one lies inside it.
      if (len <= p.len) {
        const hit = byAddr.get(p.addr & m);
        if (hit !== undefined) return hit;
      } else {
        for (const [addr, name] of byAddr) if (overlaps({ addr, len }, p)) return name;
      }
    }
    return undefined;
  };
}
