import { describe, expect, it } from 'vitest';
import { computeRoutes } from '../../../cli/plan/routes.js';
import type { PlanLink, PlanNode, PlanRoute } from '../../../cli/plan/types.js';
import type { Role } from '../../../cli/topology/schema.js';

/**
 * A hand-made plan graph: node i (1-based, in `names` order) has loopback
 * fd00::i; link k (1-based, in `edges` order) is fd00:0:0:k::/64 with the first
 * endpoint at ::1 and the second at ::2. Interfaces are named after the peer,
 * numbered from 2 on for parallel links. MRs (roles) get a tunnel endpoint
 * fd00:1::i and an anchor fd00:8:i::/48.
 */
function graph(names: string[], edges: [string, string][], roles: Record<string, Role[]> = {}) {
  const nodes: PlanNode[] = names.map((name, i) => {
    const r = roles[name] ?? ['router'];
    const mr = r.includes('mr');
    return {
      name,
      roles: r,
      network: 'n',
      netns: `dmm-t-${name}`,
      agent: true,
      interfaces: [],
      routes: [],
      sysctls: {},
      ...(r.includes('mn') ? {} : { loopback: `fd00::${i + 1}` }),
      ...(mr ? { tunnelEndpoint: `fd00:1::${i + 1}`, anchor: `fd00:8:${i + 1}::/48` } : {}),
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const ifname = (n: PlanNode, peer: string) => {
    let name = peer;
    for (let j = 2; n.interfaces.some((x) => x.name === name); j++) name = `${peer}${j}`;
    return name;
  };
  const links: PlanLink[] = edges.map(([a, b], k) => {
    const na = byName.get(a)!;
    const nb = byName.get(b)!;
    const ia = ifname(na, b);
    const ib = ifname(nb, a);
    const id = `l${k}`;
    const common = { mac: '02:00:00:00:00:00', link: id, kind: 'infra' as const, up: true, params: {} };
    na.interfaces.push({ ...common, name: ia, ifindex: 1001 + 2 * k, peer: { node: b, iface: ib }, addresses: [`fd00:0:0:${k + 1}::1/64`] });
    nb.interfaces.push({ ...common, name: ib, ifindex: 1002 + 2 * k, peer: { node: a, iface: ia }, addresses: [`fd00:0:0:${k + 1}::2/64`] });
    return { id, kind: 'infra', a: { node: a, iface: ia }, b: { node: b, iface: ib }, subnet: `fd00:0:0:${k + 1}::/64`, params: {} };
  });
  const routes = (name: string) => computeRoutes(byName.get(name)!, nodes, links);
  return { nodes, links, routes };
}

/** dst -> "via dev" (or "unreachable"), for comparing whole tables. */
function table(routes: PlanRoute[]): Record<string, string> {
  const t: Record<string, string> = {};
  for (const r of routes) {
    expect(t[r.dst], `two routes to ${r.dst}`).toBeUndefined();
    t[r.dst] = r.type === 'unreachable' ? 'unreachable' : `${r.via} ${r.dev}`;
  }
  return t;
}

describe('computeRoutes', () => {
  describe('chain a - b - c - d', () => {
    const g = graph(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
      ],
    );

    it.each([
      ['a', 'fd00:0:0:1::2', 'b'],
      ['d', 'fd00:0:0:3::1', 'c'],
    ])('leaf %s has one default route via its only neighbour', (node, via, dev) => {
      expect(g.routes(node)).toEqual([{ dst: '::/0', via, dev, type: 'unicast' }]);
    });

    it('b routes each loopback and each subnet it is not on towards the right side', () => {
      expect(table(g.routes('b'))).toEqual({
        'fd00::1/128': 'fd00:0:0:1::1 a',
        'fd00::3/128': 'fd00:0:0:2::2 c',
        'fd00::4/128': 'fd00:0:0:2::2 c',
        'fd00:0:0:3::/64': 'fd00:0:0:2::2 c',
      });
    });

    it('c routes the far subnet a-b and the far loopback a through b', () => {
      expect(table(g.routes('c'))).toEqual({
        'fd00::1/128': 'fd00:0:0:2::1 b',
        'fd00::2/128': 'fd00:0:0:2::1 b',
        'fd00::4/128': 'fd00:0:0:3::2 d',
        'fd00:0:0:1::/64': 'fd00:0:0:2::1 b',
      });
    });
  });

  describe('ring: equal-cost paths are broken by link order', () => {
    // a's links in order: a-b (l0) before d-a (l3), so c (two hops either way) goes via b.
    it.each([
      {
        name: 'a-b listed first',
        edges: [
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'd'],
          ['d', 'a'],
        ] as [string, string][],
        via: 'fd00:0:0:1::2',
        dev: 'b',
      },
      {
        name: 'd-a listed first',
        edges: [
          ['d', 'a'],
          ['b', 'c'],
          ['c', 'd'],
          ['a', 'b'],
        ] as [string, string][],
        via: 'fd00:0:0:1::1',
        dev: 'd',
      },
    ])('$name: a reaches c via $dev', ({ edges, via, dev }) => {
      const g = graph(['a', 'b', 'c', 'd'], edges);
      const toC = g.routes('a').find((r) => r.dst === 'fd00::3/128');
      expect(toC).toEqual({ dst: 'fd00::3/128', via, dev, type: 'unicast' });
    });

    it('a subnet whose two ends are equally far goes towards its first endpoint', () => {
      // Five-ring a b c d e: from a, c and d are both two hops away.
      const ring = (cd: [string, string]) => graph(['a', 'b', 'c', 'd', 'e'], [['a', 'b'], ['b', 'c'], cd, ['d', 'e'], ['e', 'a']]);
      const cdRoute = (cd: [string, string]) =>
        ring(cd)
          .routes('a')
          .find((r) => r.dst === 'fd00:0:0:3::/64');
      expect(cdRoute(['c', 'd'])).toEqual({ dst: 'fd00:0:0:3::/64', via: 'fd00:0:0:1::2', dev: 'b', type: 'unicast' });
      expect(cdRoute(['d', 'c'])).toEqual({ dst: 'fd00:0:0:3::/64', via: 'fd00:0:0:5::1', dev: 'e', type: 'unicast' });
    });

    it('a subnet with one nearer end goes towards that end, whatever its order', () => {
      // Four-ring: from a, link b-c has b one hop away and c two.
      const g = graph(
        ['a', 'b', 'c', 'd'],
        [
          ['a', 'b'],
          ['c', 'b'],
          ['c', 'd'],
          ['d', 'a'],
        ],
      );
      expect(g.routes('a').find((r) => r.dst === 'fd00:0:0:2::/64')).toEqual({ dst: 'fd00:0:0:2::/64', via: 'fd00:0:0:1::2', dev: 'b', type: 'unicast' });
      expect(g.routes('a').find((r) => r.dst === 'fd00:0:0:3::/64')).toEqual({ dst: 'fd00:0:0:3::/64', via: 'fd00:0:0:4::1', dev: 'd', type: 'unicast' });
    });
  });

  describe('star: hub h with leaves x, y, z', () => {
    const g = graph(
      ['h', 'x', 'y', 'z'],
      [
        ['h', 'x'],
        ['h', 'y'],
        ['z', 'h'],
      ],
    );

    it('the hub reaches every leaf directly and has no subnet routes (it is on every link)', () => {
      expect(table(g.routes('h'))).toEqual({
        'fd00::2/128': 'fd00:0:0:1::2 x',
        'fd00::3/128': 'fd00:0:0:2::2 y',
        'fd00::4/128': 'fd00:0:0:3::1 z',
      });
    });

    it.each([
      ['x', 'fd00:0:0:1::1'],
      ['y', 'fd00:0:0:2::1'],
      ['z', 'fd00:0:0:3::2'],
    ])('leaf %s defaults to the hub', (leaf, via) => {
      expect(g.routes(leaf)).toEqual([{ dst: '::/0', via, dev: 'h', type: 'unicast' }]);
    });
  });

  describe('roles', () => {
    const g = graph(
      ['m1', 'r', 'm2', 'm3', 'mn'],
      [
        ['m1', 'r'],
        ['r', 'm2'],
        ['m2', 'm3'],
      ],
      { m1: ['mr', 'ar'], m2: ['mr', 'ar', 'lm', 'haa'], m3: ['mr'], mn: ['mn'] },
    );

    it('an MR that is a leaf gets unreachable for its own anchor plus the default route', () => {
      expect(g.routes('m1')).toEqual([
        { dst: 'fd00:8:1::/48', type: 'unreachable' },
        { dst: '::/0', via: 'fd00:0:0:1::2', dev: 'r', type: 'unicast' },
      ]);
    });

    it("a transit router routes every MR's loopback, tunnel endpoint and anchor", () => {
      expect(table(g.routes('r'))).toEqual({
        'fd00::1/128': 'fd00:0:0:1::1 m1',
        'fd00:1::1/128': 'fd00:0:0:1::1 m1',
        'fd00:8:1::/48': 'fd00:0:0:1::1 m1',
        'fd00::3/128': 'fd00:0:0:2::2 m2',
        'fd00:1::3/128': 'fd00:0:0:2::2 m2',
        'fd00:8:3::/48': 'fd00:0:0:2::2 m2',
        'fd00::4/128': 'fd00:0:0:2::2 m2',
        'fd00:1::4/128': 'fd00:0:0:2::2 m2',
        'fd00:8:4::/48': 'fd00:0:0:2::2 m2',
        'fd00:0:0:3::/64': 'fd00:0:0:2::2 m2',
      });
    });

    it('a transit MR has unreachable for its own anchor and routes for the others, never for itself', () => {
      const t = table(g.routes('m2'));
      expect(t['fd00:8:3::/48']).toBe('unreachable');
      expect(t['fd00:8:1::/48']).toBe('fd00:0:0:2::1 r');
      expect(t['fd00:8:4::/48']).toBe('fd00:0:0:3::2 m3');
      expect(t['fd00::3/128']).toBeUndefined();
      expect(t['fd00:1::3/128']).toBeUndefined();
    });

    it('a mobile node gets no static routes (router advertisements configure it)', () => {
      expect(g.routes('mn')).toEqual([]);
    });

    it('an MR with no links gets only its unreachable anchor', () => {
      const lone = graph(['m'], [], { m: ['mr'] });
      expect(lone.routes('m')).toEqual([{ dst: 'fd00:8:1::/48', type: 'unreachable' }]);
    });
  });

  describe('parallel links', () => {
    const g = graph(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['a', 'b'],
        ['b', 'c'],
      ],
    );

    it('a node with two links to the same peer uses the first one and is not treated as a leaf', () => {
      expect(table(g.routes('a'))).toEqual({
        'fd00::2/128': 'fd00:0:0:1::2 b',
        'fd00::3/128': 'fd00:0:0:1::2 b',
        'fd00:0:0:3::/64': 'fd00:0:0:1::2 b',
      });
    });

    it('a third node reaches both parallel subnets through their common end', () => {
      expect(g.routes('c')).toEqual([{ dst: '::/0', via: 'fd00:0:0:3::1', dev: 'b', type: 'unicast' }]);
      const t = table(g.routes('b'));
      expect(t['fd00:0:0:1::/64']).toBeUndefined();
      expect(t['fd00:0:0:2::/64']).toBeUndefined();
      expect(t['fd00::1/128']).toBe('fd00:0:0:1::1 a');
    });
  });

  it('ignores access links', () => {
    const g = graph(['r', 'ar', 'mn'], [['r', 'ar']], { ar: ['mr', 'ar'], mn: ['mn'] });
    const ar = g.nodes.find((n) => n.name === 'ar')!;
    const access: PlanLink = { id: 'a-mn-ar', kind: 'access', a: { node: 'mn', iface: 'ar' }, b: { node: 'ar', iface: 'mn' }, params: {} };
    ar.interfaces.push({
      name: 'mn',
      ifindex: 2001,
      mac: '02:00:00:00:00:01',
      addresses: [],
      link: access.id,
      kind: 'access',
      peer: { node: 'mn', iface: 'ar' },
      up: true,
      params: {},
    });
    // Still a leaf on the wired side: one default route, not a route per neighbour.
    expect(computeRoutes(ar, g.nodes, [...g.links, access])).toEqual([
      { dst: 'fd00:8:2::/48', type: 'unreachable' },
      { dst: '::/0', via: 'fd00:0:0:1::1', dev: 'r', type: 'unicast' },
    ]);
  });
});
