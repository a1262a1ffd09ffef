import type { InputIssue } from '../errors.js';
import type { SourceMap } from '../input/load-yaml.js';
import { formatPath } from '../input/load-yaml.js';
import { formatPrefix, hasHostBits, overlaps, parseAddress, parsePrefix, containsPrefix, subPrefix, type Prefix } from '../../shared/ipv6.js';
import { AGENT_ONLY_ROLES, type RoleName } from '../../shared/control/roles.js';
import { IFNAME_MAX, type Topology } from './schema.js';
import { checkHosts } from './check-hosts.js';

export { IFNAME_MAX } from './schema.js';

/** Roles that only the dmmlab agent can play. */

/**
 * Cross-reference checks on a topology that already passed the schema: names
 * that must exist, roles that need other roles, prefixes that must not
 * overlap, names that must fit the kernel's 15 characters. Returns every
 * problem found (empty when the topology is sound).
 */
export function checkTopology(t: Topology, source: SourceMap): InputIssue[] {
  const issues: InputIssue[] = [];
  // at 'key': locate the last path element's key (a node or network as a whole) rather than its value.
  const add = (path: (string | number)[], found: string, expected: string, at: 'value' | 'key' = 'value') => {
    const pos = at === 'key' ? source.locate(path.slice(0, -1), String(path[path.length - 1])) : source.locate(path);
    issues.push({ file: source.file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: formatPath(path), found, expected });
  };
  const nodes = t.nodes;
  const has = (n: string, r: RoleName) => nodes[n]?.roles.includes(r) ?? false;

  // Networks: prefixes well formed and disjoint, pools inside their network.
  const netPrefixes = new Map<string, Prefix>();
  /** Home-prefix pool of each network: explicit, or the upper half of its prefix (as resolve plans it). */
  const pools = new Map<string, Prefix>();
  const overlapping = overlapsWithEarlier(
    Object.entries(t.networks).map(([name, net]) => {
      try {
        return { name, p: parsePrefix(net.prefix) };
      } catch {
        return { name, p: undefined };
      }
    }),
  );
  for (const [name, net] of Object.entries(t.networks)) {
    const p = prefixOrIssue(net.prefix, ['networks', name, 'prefix'], add);
    if (!p) continue;
    const unusable = p.len >= 16 ? unusableRange(p) : undefined;
    if (p.len < 16)
      add(['networks', name, 'prefix'], `${net.prefix} (/${p.len})`, 'a prefix of length /16 or longer (one network, not a share of the address space)');
    else if (unusable)
      add(['networks', name, 'prefix'], `${net.prefix}, ${unusable}`, 'a global unicast prefix (2000::/3, or a unique local fd00::/8), e.g. 2001:db8:1::/48');
    if (p.len > 52)
      add(['networks', name, 'prefix'], `/${p.len}`, 'a prefix of length /52 or shorter (links, node addresses and home prefixes are planned inside it)');
    for (const other of overlapping.get(name) ?? []) {
      const q = netPrefixes.get(other);
      if (q)
        add(['networks', name, 'prefix'], `${net.prefix}, which overlaps network ${other} (${formatPrefix(q)})`, 'a prefix disjoint from every other network');
    }
    netPrefixes.set(name, p);
    if (!net.pool && p.len < 128) pools.set(name, subPrefix(p, p.len + 1, 1));
    if (net.pool) {
      const pool = prefixOrIssue(net.pool, ['networks', name, 'pool'], add);
      if (pool) pools.set(name, pool);
      if (pool && !containsPrefix(p, pool))
        add(['networks', name, 'pool'], `${net.pool}, outside ${net.prefix}`, `a pool inside the network prefix ${net.prefix}`);
      else if (pool && pool.len > 60) add(['networks', name, 'pool'], `/${pool.len}`, 'a pool of length /60 or shorter (it is cut into /64 home prefixes)');
      else if (pool && p && (containsPrefix(pool, { addr: p.addr, len: 64 }) || containsPrefix(pool, { addr: p.addr | (1n << 64n), len: 64 })))
        add(
          ['networks', name, 'pool'],
          `${net.pool}, which holds the network's node addresses (${formatPrefix({ addr: p.addr, len: 63 })})`,
          'a pool clear of the first two /64s of the network',
        );
    }
  }

  // Nodes: network exists, role combinations make sense.
  for (const [name, node] of Object.entries(nodes)) {
    if (!(node.network in t.networks)) add(['nodes', name, 'network'], `"${node.network}"`, `one of the networks: ${Object.keys(t.networks).join(', ')}`);
    const roles = node.roles;
    const dup = roles.find((r, i) => roles.indexOf(r) !== i);
    if (dup) add(['nodes', name, 'roles'], `role ${dup} twice`, 'each role once');
    for (const solo of ['mn', 'cn'] as const) {
      if (roles.includes(solo) && roles.length > 1)
        add(
          ['nodes', name, 'roles'],
          `[${roles.join(', ')}]`,
          `role ${solo} alone (a ${solo === 'mn' ? 'mobile node' : 'correspondent node'} plays no other role)`,
        );
    }
    if (roles.includes('ar') && !roles.includes('mr'))
      add(['nodes', name, 'roles'], `[${roles.join(', ')}]: ar without mr`, 'role ar together with mr on the same node (access routers are flat-DMM MRs)');
    if (node.agent === false) {
      const needs = roles.filter((r) => AGENT_ONLY_ROLES.includes(r));
      if (needs.length > 0)
        add(['nodes', name, 'agent'], `agent: false on a node with role ${needs.join(', ')}`, 'agent: true (only the agent plays mr, lm, haa and ar)');
    }
    if (node.address && roles.includes('mn')) {
      add(
        ['nodes', name, 'address'],
        `address ${node.address} on mobile node ${name}`,
        'no address (mobile nodes configure theirs from router advertisements)',
      );
    } else if (node.address) {
      try {
        parseAddress(node.address);
      } catch {
        add(['nodes', name, 'address'], `"${node.address}"`, 'an IPv6 address');
      }
    }
    if (name.startsWith('t-') && has(name.slice(2), 'mr'))
      add(
        ['nodes', name],
        `the name "${name}", which is also the tunnel device every MR uses towards MR ${name.slice(2)}`,
        'a name that does not start with "t-" followed by an MR\'s name',
        'key',
      );
    if (roles.includes('mr') && `t-${name}`.length > IFNAME_MAX)
      add(
        ['nodes', name],
        `MR name "${name}" (${name.length} characters): its tunnel interface t-${name} would have ${name.length + 2}`,
        `an MR name of at most ${IFNAME_MAX - 2} characters (interface names are at most ${IFNAME_MAX})`,
        'key',
      );
  }

  // Networks' LM and HAA: explicit ones exist and have the role; MR networks have both.
  const withRole = new Map<string, string[]>(); // "network|role" -> nodes, in file order
  for (const [n, node] of Object.entries(nodes)) {
    for (const r of node.roles) (withRole.get(`${node.network}|${r}`) ?? withRole.set(`${node.network}|${r}`, []).get(`${node.network}|${r}`)!).push(n);
  }
  for (const [name, net] of Object.entries(t.networks)) {
    for (const role of ['lm', 'haa'] as const) {
      const chosen = net[role];
      if (chosen !== undefined) {
        if (!(chosen in nodes)) add(['networks', name, role], `"${chosen}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
        else if (!has(chosen, role)) add(['networks', name, role], `"${chosen}", which lacks role ${role}`, `a node with role ${role}`);
        continue;
      }
      const mrs = withRole.get(`${name}|mr`) ?? [];
      if (mrs.length === 0) continue;
      // Mobile IPv6: a network no mobile node belongs to is only ever visited (its routers give care-of
      // addresses), unless its LM is one of the replicas of migrating home agents.
      if (t.mobility.mnMode === 'mipv6' && t.mobility.homeAgents === 'single' && (withRole.get(`${name}|mn`) ?? []).length === 0) continue;
      const candidates = withRole.get(`${name}|${role}`) ?? [];
      if (candidates.length === 0)
        add(
          ['networks', name],
          `network ${name} has MR ${mrs.join(', ')} but no ${role.toUpperCase()}`,
          `a node with role ${role} in network ${name}, or networks.${name}.${role} naming one`,
          'key',
        );
      else if (candidates.length > 1)
        add(
          ['networks', name],
          `several nodes with role ${role} in ${name} (${candidates.join(', ')})`,
          `networks.${name}.${role} saying which one serves the network`,
          'key',
        );
    }
  }

  // Migrating home agents: Mobile IPv6 nodes, and in every network with an MR its anchor (the network's home agent).
  if (t.mobility.homeAgents === 'migrating') {
    if (t.mobility.mnMode !== 'mipv6')
      add(['mobility', 'homeAgents'], `migrating with mnMode ${t.mobility.mnMode}`, 'mnMode: mipv6 (migrating home agents serve Mobile IPv6 nodes)');
    for (const [name, net] of Object.entries(t.networks)) {
      const mrs = withRole.get(`${name}|mr`) ?? [];
      if (mrs.length > 0 && net.anchor === undefined)
        add(
          ['networks', name],
          `network ${name} has MR ${mrs.join(', ')} but no anchor (mobility.homeAgents migrating)`,
          `networks.${name}.anchor naming the MR that is the network's home agent`,
          'key',
        );
    }
  }

  if (t.mobility.anycast && t.mobility.mnMode === 'mipv6')
    add(['mobility', 'anycast'], 'anycast with mnMode mipv6', 'homeAgents: migrating (the Mobile IPv6 form of anycast anchors), or another mnMode');

  // LM proxies: an MR of the same network, not the network's LM itself.
  for (const [name, net] of Object.entries(t.networks)) {
    const proxy = net.lmProxy;
    if (proxy === undefined) continue;
    const path = ['networks', name, 'lmProxy'];
    const node = nodes[proxy];
    if (!node) add(path, `"${proxy}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
    else if (!node.roles.includes('mr')) add(path, `"${proxy}", which lacks role mr`, `an MR of network ${name}`);
    else if (node.network !== name) add(path, `"${proxy}", an MR of network ${node.network}`, `an MR of network ${name}`);
    else if (node.roles.includes('lm'))
      add(path, `"${proxy}", which is the LM of ${name} itself`, `an MR of ${name} without role lm (the network's own LM needs no proxy)`);
  }

  // A network's MAP (HMIPv6) and central anchor: each an MR of that network.
  const ownMr = (network: string, field: 'map' | 'anchor', name: string): boolean => {
    const path = ['networks', network, field];
    const node = nodes[name];
    if (!node) add(path, `"${name}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
    else if (!node.roles.includes('mr')) add(path, `"${name}", which lacks role mr`, `an MR of network ${network}`);
    else if (node.network !== network) add(path, `"${name}", an MR of network ${node.network}`, `an MR of network ${network}`);
    else return true;
    return false;
  };
  for (const [name, net] of Object.entries(t.networks)) {
    // A MAP serves Mobile IPv6 nodes.
    if (net.map !== undefined && ownMr(name, 'map', net.map) && t.mobility.mnMode !== 'mipv6')
      add(
        ['networks', name, 'map'],
        `a MAP with mnMode ${t.mobility.mnMode}`,
        'mnMode: mipv6 (a MAP serves Mobile IPv6 nodes; lmProxy is the network-based form)',
      );
    if (net.anchor !== undefined) ownMr(name, 'anchor', net.anchor);
  }

  // Links: known nodes, no self links, no mobile nodes, interface names fit.
  const ifnames = new Map<string, Set<string>>();
  const claim = (node: string, ifname: string, path: (string | number)[]) => {
    const set = ifnames.get(node) ?? new Set<string>();
    ifnames.set(node, set);
    let name = ifname;
    for (let i = 2; set.has(name); i++) name = `${ifname}${i}`;
    set.add(name);
    if (name.length > IFNAME_MAX)
      add(
        path,
        `interface name "${name}" on node ${node} (${name.length} characters)`,
        `names short enough that interface names fit the kernel's ${IFNAME_MAX} characters`,
      );
  };
  const linkSubnets: { p: Prefix; path: (string | number)[] }[] = [];
  t.links.forEach((link, i) => {
    const [a, b] = link.endpoints;
    let ok = true;
    for (const [j, n] of [a, b].entries()) {
      if (!(n in nodes)) {
        add(['links', i, 'endpoints', j], `"${n}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
        ok = false;
      } else if (has(n, 'mn')) {
        add(['links', i, 'endpoints', j], `mobile node "${n}"`, 'an infrastructure node (mobile nodes attach through `access`)');
        ok = false;
      }
    }
    if (a === b) {
      add(['links', i, 'endpoints'], `a link from ${a} to itself`, 'two different nodes');
      ok = false;
    }
    if (ok) {
      claim(a, b, ['links', i, 'endpoints']);
      claim(b, a, ['links', i, 'endpoints']);
    }
    if (link.subnet) {
      const p = prefixOrIssue(link.subnet, ['links', i, 'subnet'], add);
      if (p && p.len !== 64) add(['links', i, 'subnet'], `/${p.len}`, 'a /64');
      if (p) {
        for (const other of linkSubnets)
          if (overlaps(p, other.p)) add(['links', i, 'subnet'], `${link.subnet}, which overlaps ${formatPath(other.path)}`, 'a subnet no other link uses');
        for (const [net, pool] of pools) {
          if (overlaps(p, pool))
            add(
              ['links', i, 'subnet'],
              `${link.subnet}, inside the home-prefix pool of ${net} (${formatPrefix(pool)})`,
              'a subnet outside every home-prefix pool',
            );
        }
        linkSubnets.push({ p, path: ['links', i, 'subnet'] });
      }
    }
  });

  // Access: mobile nodes reach access routers; every mobile node has a cell.
  const mnsWithAccess = new Set<string>();
  t.access.forEach((acc, i) => {
    if (!(acc.mn in nodes)) add(['access', i, 'mn'], `"${acc.mn}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
    else if (!has(acc.mn, 'mn')) add(['access', i, 'mn'], `"${acc.mn}", which lacks role mn`, 'a node with role mn');
    else if (mnsWithAccess.has(acc.mn))
      add(['access', i, 'mn'], `a second access entry for ${acc.mn}`, 'one access entry per mobile node, listing all its access routers');
    mnsWithAccess.add(acc.mn);
    const seen = new Set<string>();
    acc.ars.forEach((ar, j) => {
      if (!(ar in nodes)) add(['access', i, 'ars', j], `"${ar}"`, `a node name (one of ${Object.keys(nodes).join(', ')})`);
      else if (!has(ar, 'ar')) add(['access', i, 'ars', j], `"${ar}", which lacks role ar`, 'an access router (a node with role ar)');
      else if (seen.has(ar)) add(['access', i, 'ars', j], `${ar} twice`, 'each access router once');
      else {
        claim(acc.mn, ar, ['access', i, 'ars', j]);
        claim(ar, acc.mn, ['access', i, 'ars', j]);
      }
      seen.add(ar);
    });
    if (acc.start !== undefined && !acc.ars.includes(acc.start))
      add(['access', i, 'start'], `"${acc.start}"`, `one of this entry's access routers (${acc.ars.join(', ')})`);
    // A Mobile IPv6 node gets its home address on its home link; away from it, it only binds it.
    const home = nodes[acc.mn]?.network;
    if (t.mobility.mnMode === 'mipv6' && home !== undefined && acc.ars.every((ar) => nodes[ar] === undefined || nodes[ar].network !== home))
      add(
        ['access', i, 'ars'],
        `no access router in ${acc.mn}'s network ${home} (mobility.mnMode mipv6)`,
        `at least one access router of network ${home}: the node's home link`,
      );
    else if (t.mobility.mnMode === 'mipv6' && acc.start !== undefined && nodes[acc.start] !== undefined && nodes[acc.start]!.network !== home)
      add(
        ['access', i, 'start'],
        `"${acc.start}", in network ${nodes[acc.start]!.network} (mobility.mnMode mipv6)`,
        `an access router of ${acc.mn}'s own network ${home}: a Mobile IPv6 node starts on its home link, where it gets its home address`,
      );
  });
  for (const [name, node] of Object.entries(nodes)) {
    if (node.roles.includes('mn') && !mnsWithAccess.has(name))
      add(['nodes', name], `mobile node ${name} with no access link`, `an entry under access: with mn: ${name} and the access routers it may attach to`, 'key');
  }

  checkHosts(t, add);

  // Every infrastructure node reaches every other one (routes are computed, not learned).
  const infra = Object.keys(nodes).filter((n) => !has(n, 'mn'));
  if (infra.length > 1 && issues.length === 0) {
    const adj = new Map<string, string[]>(infra.map((n) => [n, []]));
    for (const l of t.links) {
      adj.get(l.endpoints[0])?.push(l.endpoints[1]);
      adj.get(l.endpoints[1])?.push(l.endpoints[0]);
    }
    const seen = new Set<string>([infra[0] as string]);
    const queue = [infra[0] as string];
    for (let head = 0; head < queue.length; head++) {
      for (const m of adj.get(queue[head] as string) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        queue.push(m);
      }
    }
    const cut = infra.filter((n) => !seen.has(n));
    if (cut.length > 0) add(['links'], `nodes ${cut.join(', ')} unreachable from ${infra[0]}`, 'links that connect every infrastructure node');
  }
  return issues;
}

/**
 * Address ranges a lab's network cannot use, with the rule each breaks: the
 * kernel refuses or treats specially addresses in them (RFC 4291 2.4: the
 * unspecified and loopback addresses, IPv4-mapped addresses, link-local
 * unicast, multicast), so a deploy would fail half-way.
 */
const UNUSABLE: { prefix: Prefix; why: string }[] = [
  { prefix: parsePrefix('ff00::/8'), why: 'multicast (ff00::/8, RFC 4291 2.7): no interface can carry it as its address' },
  { prefix: parsePrefix('fe80::/10'), why: 'link-local (fe80::/10, RFC 4291 2.5.6): never routed beyond a link' },
  { prefix: parsePrefix('::ffff:0:0/96'), why: 'IPv4-mapped (::ffff:0:0/96, RFC 4291 2.5.5.2): not for interfaces' },
  { prefix: parsePrefix('::/8'), why: 'reserved (::/8 holds the unspecified and loopback addresses, RFC 4291 2.5.2–2.5.3)' },
];

/** The rule a network prefix breaks, when it overlaps a range no lab can use. */
function unusableRange(p: Prefix): string | undefined {
  // The narrowest range that holds the prefix names it best; else the widest one it spills into.
  const holding = UNUSABLE.filter((u) => containsPrefix(u.prefix, p)).sort((a, b) => b.prefix.len - a.prefix.len)[0];
  const held = UNUSABLE.filter((u) => containsPrefix(p, u.prefix)).sort((a, b) => a.prefix.len - b.prefix.len)[0];
  const u = holding ?? held;
  return u ? `which is ${u.why}` : undefined;
}

function prefixOrIssue(text: string, path: (string | number)[], add: (p: (string | number)[], f: string, e: string) => void): Prefix | undefined {
  try {
    const p = parsePrefix(text);
    if (hasHostBits(text)) {
      add(path, `${text} (host bits set)`, `the network address ${formatPrefix(p)}`);
      return undefined;
    }
    return p;
  } catch {
    add(path, `"${text}"`, 'an IPv6 prefix such as 2001:db8:1::/48');
    return undefined;
  }
}

/**
 * For each entry, the earlier entries (in the given order) whose prefix
 * overlaps its own. Two prefixes overlap only when one holds the other, so a
 * sweep over the prefixes sorted by address with a stack of the ones still
 * open finds every pair without comparing each with all others.
 */
function overlapsWithEarlier(entries: readonly { name: string; p: Prefix | undefined }[]): Map<string, string[]> {
  const order = new Map(entries.map((e, i) => [e.name, i]));
  const sorted = entries
    .filter((e): e is { name: string; p: Prefix } => e.p !== undefined)
    .sort((a, b) => (a.p.addr < b.p.addr ? -1 : a.p.addr > b.p.addr ? 1 : a.p.len - b.p.len));
  const end = (p: Prefix) => p.addr + (1n << BigInt(128 - p.len)) - 1n;
  const open: { name: string; p: Prefix }[] = [];
  const out = new Map<string, string[]>();
  const pair = (a: string, b: string) => {
    const [later, earlier] = (order.get(a) ?? 0) > (order.get(b) ?? 0) ? [a, b] : [b, a];
    (out.get(later) ?? out.set(later, []).get(later)!).push(earlier);
  };
  for (const e of sorted) {
    while (open.length > 0 && end(open[open.length - 1]!.p) < e.p.addr) open.pop();
    for (const o of open) pair(e.name, o.name);
    open.push(e);
  }
  for (const list of out.values()) list.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return out;
}
