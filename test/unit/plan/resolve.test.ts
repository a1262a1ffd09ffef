import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../cli/errors.js';
import { resolve } from '../../../cli/plan/resolve.js';
import type { Plan, PlanNode, PlanRoute } from '../../../cli/plan/types.js';
import { containsPrefix, parsePrefix } from '../../../shared/ipv6.js';
import { loadTopology, parseTopology } from '../../../cli/plan/load.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The topologies under test, by short name. */
const files = {
  fig1: 'topologies/fig1.yaml',
  smoke: 'topologies/smoke.yaml',
  parallel: 'test/fixtures/topologies/valid/parallel-links.yaml',
  explicit: 'test/fixtures/topologies/valid/explicit-addressing.yaml',
  params: 'test/fixtures/topologies/valid/link-params.yaml',
  pmip: 'test/fixtures/topologies/valid/pmipv6.yaml',
  longest: 'test/fixtures/topologies/valid/longest-names.yaml',
  plain: 'test/fixtures/topologies/valid/plain-routing.yaml',
} as const;
type Fixture = keyof typeof files;
const fixtures = Object.keys(files) as Fixture[];

const plans = new Map<Fixture, Promise<Plan>>();
function plan(f: Fixture): Promise<Plan> {
  let p = plans.get(f);
  if (!p) plans.set(f, (p = loadTopology(root + files[f]).then((l) => l.plan)));
  return p;
}
async function node(f: Fixture, name: string): Promise<PlanNode> {
  const n = (await plan(f)).nodes.find((x) => x.name === name);
  if (!n) throw new Error(`${f} has no node ${name}`);
  return n;
}
const isHost = (n: PlanNode) => n.roles.includes('mn') || n.roles.includes('cn');
const infraIfaces = (n: PlanNode) => n.interfaces.filter((i) => i.kind === 'infra');

/** The route the kernel would use for `dst` (an address or prefix): longest-prefix match. */
function lookup(routes: readonly PlanRoute[], dst: string): PlanRoute | undefined {
  const target = parsePrefix(dst.includes('/') ? dst : `${dst}/128`);
  let best: PlanRoute | undefined;
  let bestLen = -1;
  for (const r of routes) {
    const p = parsePrefix(r.dst);
    if (containsPrefix(p, target) && p.len > bestLen) {
      best = r;
      bestLen = p.len;
    }
  }
  return best;
}

describe('resolve', () => {
  describe('namespace names are dmm-<lab>-<node>', () => {
    it.each([
      ['fig1', 'core', 'dmm-fig1-core'],
      ['fig1', 'mn1', 'dmm-fig1-mn1'],
      ['smoke', 'mr1', 'dmm-smoke-mr1'],
      ['pmip', 'lma', 'dmm-pmip-lma'],
      ['longest', 'edge-router-one', 'dmm-abcdefghijklmnopqrstuvwx-edge-router-one'],
    ] as const)('%s %s -> %s', async (f, n, netns) => {
      expect((await node(f, n)).netns).toBe(netns);
    });

    it.each(fixtures)('%s: every node, in file order', async (f) => {
      const p = await plan(f);
      const { topology } = await loadTopology(root + files[f]);
      expect(p.lab).toBe(topology.name);
      expect(p.source).toBe(root + files[f]);
      expect(p.nodes.map((n) => n.name)).toEqual(Object.keys(topology.nodes));
      for (const n of p.nodes) expect(n.netns).toBe(`dmm-${p.lab}-${n.name}`);
    });
  });

  describe('node addresses: loopback P::<n>, tunnel endpoint P:1::<n>, anchor a /56 of the pool per MR', () => {
    it.each([
      ['fig1', 'core', '2001:db8:ff::1', undefined, undefined],
      ['fig1', 'cn', '2001:db8:ff::2', undefined, undefined],
      ['fig1', 'mr11', '2001:db8:1::1', '2001:db8:1:1::1', '2001:db8:1:8000::/56'],
      ['fig1', 'mr12', '2001:db8:1::2', '2001:db8:1:1::2', '2001:db8:1:8100::/56'],
      ['fig1', 'lm1', '2001:db8:1::3', undefined, undefined],
      ['fig1', 'mn1', undefined, undefined, undefined],
      ['fig1', 'mr2', '2001:db8:2::1', '2001:db8:2:1::1', '2001:db8:2:8000::/56'],
      ['fig1', 'lm2', '2001:db8:2::2', undefined, undefined],
      ['fig1', 'mr31', '2001:db8:3::1', '2001:db8:3:1::1', '2001:db8:3:8000::/56'],
      ['fig1', 'mr32', '2001:db8:3::2', '2001:db8:3:1::2', '2001:db8:3:8100::/56'],
      ['fig1', 'lm3', '2001:db8:3::3', undefined, undefined],
      ['fig1', 'haa3', '2001:db8:3::4', undefined, undefined],
      ['fig1', 'mn2', undefined, undefined, undefined],
      ['smoke', 'mr1', '2001:db8:10::1', '2001:db8:10:1::1', '2001:db8:10:8000::/56'],
      ['smoke', 'cn1', '2001:db8:10::2', undefined, undefined],
      // An explicit address replaces the planned loopback only; the tunnel endpoint keeps the node's index.
      ['explicit', 'mr1', '2001:db8:1::100', '2001:db8:1:1::1', '2001:db8:1:c000::/56'],
      ['explicit', 'mr2', '2001:db8:1::2', '2001:db8:1:1::2', '2001:db8:1:c100::/56'],
      ['explicit', 'lm1', '2001:db8:1::3', undefined, undefined],
      ['explicit', 'mr3', '2001:db8:2::1', '2001:db8:2:1::1', '2001:db8:2:8000::/56'],
      ['explicit', 'cn2', '2001:db8:2::2', undefined, undefined],
      ['pmip', 'lma', '2001:db8:40::1', '2001:db8:40:1::1', '2001:db8:40:8000::/56'],
      ['pmip', 'mag1', '2001:db8:40::2', '2001:db8:40:1::2', '2001:db8:40:8100::/56'],
      ['pmip', 'mag2', '2001:db8:40::3', '2001:db8:40:1::3', '2001:db8:40:8200::/56'],
      ['pmip', 'cn', '2001:db8:40::4', undefined, undefined],
    ] as const)('%s %s: %s %s %s', async (f, n, loopback, tunnelEndpoint, anchor) => {
      const x = await node(f, n);
      expect({ loopback: x.loopback, tunnelEndpoint: x.tunnelEndpoint, anchor: x.anchor }).toEqual({ loopback, tunnelEndpoint, anchor });
    });

    it.each([
      ['fig1', 'net1', '2001:db8:1::/48', '2001:db8:1:8000::/49', 'lm1', 'lm1'],
      ['fig1', 'net3', '2001:db8:3::/48', '2001:db8:3:8000::/49', 'lm3', 'haa3'],
      ['fig1', 'core', '2001:db8:ff::/48', '2001:db8:ff:8000::/49', undefined, undefined],
      ['smoke', 'home', '2001:db8:10::/48', '2001:db8:10:8000::/49', 'mr1', 'mr1'],
      // networks.net1.lm chooses lm1 although mr2, earlier in the file, also has role lm.
      ['explicit', 'net1', '2001:db8:1::/48', '2001:db8:1:c000::/50', 'lm1', 'lm1'],
      ['explicit', 'net2', '2001:db8:2::/48', '2001:db8:2:8000::/49', 'mr3', 'mr3'],
      ['pmip', 'domain', '2001:db8:40::/48', '2001:db8:40:8000::/49', 'lma', 'lma'],
    ] as const)('%s network %s: prefix %s, pool %s, LM %s, HAA %s', async (f, name, prefix, pool, lm, haa) => {
      const p = await plan(f);
      const net = p.networks.find((n) => n.name === name);
      expect(net).toEqual({ name, prefix, pool, ...(lm ? { lm } : {}), ...(haa ? { haa } : {}) });
      const domain = p.mobility.domain.find((d) => d.name === name);
      const addr = (n: string | undefined) => (n ? p.nodes.find((x) => x.name === n)?.loopback : undefined);
      expect(domain?.lm).toEqual(lm ? { node: lm, address: addr(lm) } : undefined);
      expect(domain?.haa).toEqual(haa ? { node: haa, address: addr(haa) } : undefined);
    });

    it.each(fixtures)('%s: loopbacks and tunnel endpoints are unique; anchors are disjoint /56s inside the pool', async (f) => {
      const p = await plan(f);
      const addrs = p.nodes.flatMap((n) => [n.loopback, n.tunnelEndpoint]).filter((a): a is string => a !== undefined);
      expect(new Set(addrs).size).toBe(addrs.length);
      for (const n of p.nodes) {
        expect(n.anchor !== undefined).toBe(n.roles.includes('mr'));
        expect(n.tunnelEndpoint !== undefined).toBe(n.roles.includes('mr'));
        expect(n.loopback === undefined).toBe(n.roles.includes('mn'));
      }
      expect(p.mobility.mrs.map((m) => m.node)).toEqual(p.nodes.filter((n) => n.roles.includes('mr')).map((n) => n.name));
      const anchors = p.nodes.filter((n) => n.anchor).map((n) => n.anchor as string);
      expect(new Set(anchors).size).toBe(anchors.length);
      for (const a of anchors) expect(a).toMatch(/\/56$/);
    });
  });

  describe('interfaces are named after the peer; parallel links are numbered', () => {
    it.each([
      ['fig1', 'core', ['cn', 'mr11', 'mr12', 'mr2', 'mr31', 'mr32']],
      ['fig1', 'mr12', ['core', 'mr11', 'lm1', 'mn1']],
      ['fig1', 'mr2', ['core', 'lm2', 'mn1']],
      ['fig1', 'mn1', ['mr11', 'mr12', 'mr2']],
      ['fig1', 'cn', ['core']],
      ['smoke', 'mr1', ['cn1', 'mn1']],
      ['parallel', 'edge', ['core', 'core2', 'core3', 'mn1']],
      ['parallel', 'core', ['edge', 'edge2', 'edge3', 'cn1']],
      ['longest', 'mobility-rtr1', ['edge-router-one', 'handset-of-bob1']],
      ['longest', 'handset-of-bob1', ['mobility-rtr1']],
    ] as const)('%s %s: %j', async (f, n, names) => {
      expect((await node(f, n)).interfaces.map((i) => i.name)).toEqual(names);
    });

    it.each(fixtures)('%s: names fit 15 characters, are unique per node, and both ends point at each other', async (f) => {
      const p = await plan(f);
      for (const n of p.nodes) {
        const names = n.interfaces.map((i) => i.name);
        expect(new Set(names).size).toBe(names.length);
        for (const i of n.interfaces) {
          expect(i.name.length).toBeLessThanOrEqual(15);
          const back = p.nodes.find((x) => x.name === i.peer.node)?.interfaces.find((x) => x.name === i.peer.iface);
          expect(back, `${n.name}:${i.name}`).toBeDefined();
          expect(back?.peer).toEqual({ node: n.name, iface: i.name });
          expect(back?.link).toBe(i.link);
          expect(back?.kind).toBe(i.kind);
        }
      }
    });
  });

  describe("links: a /64 each from the first endpoint's network (P:1000::/64 on), ::1 on the first end, ::2 on the second", () => {
    it.each([
      ['fig1', 0, 'core', 'cn', 'cn', 'core', '2001:db8:ff:1000::/64'],
      ['fig1', 1, 'mr11', 'core', 'core', 'mr11', '2001:db8:1:1000::/64'],
      ['fig1', 3, 'mr11', 'mr12', 'mr12', 'mr11', '2001:db8:1:1002::/64'],
      ['fig1', 4, 'lm1', 'mr12', 'mr12', 'lm1', '2001:db8:1:1003::/64'],
      ['fig1', 5, 'mr2', 'core', 'core', 'mr2', '2001:db8:2:1000::/64'],
      ['fig1', 11, 'haa3', 'mr32', 'mr32', 'haa3', '2001:db8:3:1004::/64'],
      ['smoke', 0, 'mr1', 'cn1', 'cn1', 'mr1', '2001:db8:10:1000::/64'],
      ['parallel', 1, 'edge', 'core2', 'core', 'edge2', '2001:db8:20:1001::/64'],
      ['parallel', 2, 'core', 'edge3', 'edge', 'core3', '2001:db8:20:1002::/64'],
      // An explicit subnet does not use up a planned one.
      ['explicit', 0, 'mr1', 'mr2', 'mr2', 'mr1', '2001:db8:1:2000::/64'],
      ['explicit', 1, 'mr2', 'lm1', 'lm1', 'mr2', '2001:db8:1:1000::/64'],
      ['explicit', 2, 'mr1', 'mr3', 'mr3', 'mr1', '2001:db8:1:1001::/64'],
      ['explicit', 3, 'mr3', 'cn2', 'cn2', 'mr3', '2001:db8:2:1000::/64'],
    ] as const)('%s links[%i]: %s:%s - %s:%s in %s', async (f, i, a, aIf, b, bIf, subnet) => {
      const p = await plan(f);
      const link = p.links.filter((l) => l.kind === 'infra')[i];
      expect(link).toMatchObject({ id: `l${i}`, kind: 'infra', a: { node: a, iface: aIf }, b: { node: b, iface: bIf }, subnet });
      const base = subnet.replace('::/64', '::');
      expect((await node(f, a)).interfaces.find((x) => x.name === aIf)?.addresses).toEqual([`${base}1/64`]);
      expect((await node(f, b)).interfaces.find((x) => x.name === bIf)?.addresses).toEqual([`${base}2/64`]);
    });

    it.each([
      ['fig1', 'mn1', 'mr11', true],
      ['fig1', 'mn1', 'mr12', false],
      ['fig1', 'mn1', 'mr2', false],
      ['fig1', 'mn2', 'mr31', true],
      ['fig1', 'mn2', 'mr32', false],
      ['longest', 'handset-of-bob1', 'mobility-rtr1', false],
    ] as const)('%s access %s - %s: no addresses (link-local only); the radio is up: %s', async (f, mn, ar, up) => {
      const p = await plan(f);
      const link = p.links.find((l) => l.id === `a-${mn}-${ar}`);
      expect(link).toEqual({ id: `a-${mn}-${ar}`, kind: 'access', a: { node: mn, iface: ar }, b: { node: ar, iface: mn }, params: {} });
      const radio = (await node(f, mn)).interfaces.find((i) => i.name === ar);
      expect(radio).toMatchObject({ kind: 'access', addresses: [], up });
      // The access router's side is always up: the mobile node's side says whether it is attached.
      expect((await node(f, ar)).interfaces.find((i) => i.name === mn)).toMatchObject({ kind: 'access', addresses: [], up: true });
    });

    it('carries link parameters to the link and both interfaces, and mtu to the interfaces', async () => {
      const p = await plan('params');
      const l0 = { delay: '20ms', jitter: '5ms', loss: 1, rate: '10mbit', mtu: 1400 };
      expect(p.links[0]?.params).toEqual(l0);
      for (const [n, i] of [
        ['mr1', 'mr2'],
        ['mr2', 'mr1'],
      ] as const) {
        expect((await node('params', n)).interfaces.find((x) => x.name === i)).toMatchObject({ params: l0, mtu: 1400 });
      }
      expect(p.links[1]?.params).toEqual({ delay: 2 });
      // Wired links default to room for one tunnel header around 1500 bytes.
      expect((await node('params', 'cn1')).interfaces[0]?.mtu).toBe(1580);
      const radio = { delay: '1.5s', loss: '0.5%', mtu: 1280 };
      for (const id of ['a-mn1-mr1', 'a-mn1-mr2']) expect(p.links.find((l) => l.id === id)?.params).toEqual(radio);
      expect((await node('params', 'mn1')).interfaces.map((i) => [i.name, i.mtu, i.up])).toEqual([
        ['mr1', 1280, false],
        ['mr2', 1280, true],
      ]);
      expect((await node('params', 'mr2')).interfaces.find((i) => i.name === 'mn1')).toMatchObject({ params: radio, mtu: 1280 });
    });

    it.each(fixtures)('%s: link subnets are unique /64s', async (f) => {
      const subnets = (await plan(f)).links.filter((l) => l.kind === 'infra').map((l) => l.subnet);
      expect(new Set(subnets).size).toBe(subnets.length);
      for (const s of subnets) expect(s).toMatch(/::\/64$/);
    });
  });

  describe('MACs', () => {
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

    it.each(fixtures)('%s: locally administered unicast, one per link end, one per mobile node', async (f) => {
      const p = await plan(f);
      const seen = new Map<string, string>();
      for (const n of p.nodes) {
        const macs = new Set(n.interfaces.map((i) => i.mac));
        for (const m of macs) {
          expect(m).toMatch(mac);
          const first = parseInt(m.slice(0, 2), 16);
          expect(first & 1, `${m} is multicast`).toBe(0);
          expect(first & 2, `${m} is not locally administered`).toBe(2);
        }
        if (n.roles.includes('mn')) {
          // A mobile node keeps one MAC on all its radios, like one card moving between cells.
          expect(macs.size).toBe(1);
          expect(p.mobility.mns.find((m) => m.node === n.name)?.mac).toBe(n.interfaces[0]?.mac);
        } else {
          expect(macs.size).toBe(n.interfaces.length);
        }
        for (const m of macs) {
          expect(seen.get(m), `${m} on ${n.name} and ${seen.get(m)}`).toBeUndefined();
          seen.set(m, n.name);
        }
      }
    });

    it('do not change when unrelated nodes and links are added', async () => {
      const file = root + files.fig1;
      const text = await readFile(file, 'utf8');
      const before = parseTopology(file, text).plan;
      const grown = text
        .replace('  mn2: { roles: [mn], network: net3 }\n', '  mn2: { roles: [mn], network: net3 }\n  cn9: { roles: [cn], network: core }\n')
        .replace('  - endpoints: [haa3, mr32]\n', '  - endpoints: [haa3, mr32]\n  - endpoints: [core, cn9]\n');
      const after = parseTopology(file, grown).plan;
      expect(after.nodes).toHaveLength(before.nodes.length + 1);
      for (const n of before.nodes) {
        const m = after.nodes.find((x) => x.name === n.name)!;
        for (const i of n.interfaces) expect(m.interfaces.find((x) => x.name === i.name)?.mac).toBe(i.mac);
      }
    });
  });

  describe('routes', () => {
    it.each([
      ['fig1', 'cn', [{ dst: '::/0', via: '2001:db8:ff:1000::1', dev: 'core', type: 'unicast' }]],
      ['fig1', 'lm1', [{ dst: '::/0', via: '2001:db8:1:1003::2', dev: 'mr12', type: 'unicast' }]],
      ['fig1', 'lm2', [{ dst: '::/0', via: '2001:db8:2:1001::2', dev: 'mr2', type: 'unicast' }]],
      ['fig1', 'lm3', [{ dst: '::/0', via: '2001:db8:3:1003::2', dev: 'mr31', type: 'unicast' }]],
      ['fig1', 'haa3', [{ dst: '::/0', via: '2001:db8:3:1004::2', dev: 'mr32', type: 'unicast' }]],
      ['fig1', 'mn1', []],
      ['fig1', 'mn2', []],
      ['smoke', 'cn1', [{ dst: '::/0', via: '2001:db8:10:1000::1', dev: 'mr1', type: 'unicast' }]],
      [
        'smoke',
        'mr1',
        [
          { dst: '2001:db8:10:8000::/56', type: 'unreachable' },
          { dst: '::/0', via: '2001:db8:10:1000::2', dev: 'cn1', type: 'unicast' },
        ],
      ],
      ['smoke', 'mn1', []],
      [
        'pmip',
        'mag1',
        [
          { dst: '2001:db8:40:8100::/56', type: 'unreachable' },
          { dst: '::/0', via: '2001:db8:40:1000::1', dev: 'lma', type: 'unicast' },
        ],
      ],
      ['pmip', 'cn', [{ dst: '::/0', via: '2001:db8:40:1002::1', dev: 'lma', type: 'unicast' }]],
      ['plain', 'h1', [{ dst: '::/0', via: '2001:db8:60:1004::2', dev: 'r1', type: 'unicast' }]],
    ] as const)('%s %s: the whole table', async (f, n, routes) => {
      expect((await node(f, n)).routes).toEqual(routes);
    });

    it.each([
      ['fig1', 'mr11', '2001:db8:1:8000::/56', undefined, undefined],
      ['fig1', 'mr11', '2001:db8:1::3/128', '2001:db8:1:1002::2', 'mr12'],
      ['fig1', 'mr11', '2001:db8:ff::2/128', '2001:db8:1:1000::2', 'core'],
      ['fig1', 'mr11', '2001:db8:2:8000::/56', '2001:db8:1:1000::2', 'core'],
      ['fig1', 'mr11', '2001:db8:3:1::2/128', '2001:db8:1:1000::2', 'core'],
      // mr12-core: both ends one hop from mr11; the tie goes to the first endpoint, mr12.
      ['fig1', 'mr11', '2001:db8:1:1001::/64', '2001:db8:1:1002::2', 'mr12'],
      ['fig1', 'mr11', '2001:db8:1:1003::/64', '2001:db8:1:1002::2', 'mr12'],
      ['fig1', 'mr11', '2001:db8:ff:1000::/64', '2001:db8:1:1000::2', 'core'],
      // mr11-core: both ends one hop from mr12; the tie goes to mr11.
      ['fig1', 'mr12', '2001:db8:1:1000::/64', '2001:db8:1:1002::1', 'mr11'],
      ['fig1', 'mr12', '2001:db8:ff::1/128', '2001:db8:1:1001::2', 'core'],
      ['fig1', 'mr12', '2001:db8:1:8000::/56', '2001:db8:1:1002::1', 'mr11'],
      ['fig1', 'core', '2001:db8:1::3/128', '2001:db8:1:1001::1', 'mr12'],
      ['fig1', 'core', '2001:db8:1:1002::/64', '2001:db8:1:1000::1', 'mr11'],
      ['fig1', 'core', '2001:db8:3:1002::/64', '2001:db8:3:1000::1', 'mr31'],
      ['fig1', 'core', '2001:db8:3::4/128', '2001:db8:3:1001::1', 'mr32'],
      ['fig1', 'core', '2001:db8:3:8100::/56', '2001:db8:3:1001::1', 'mr32'],
      ['fig1', 'core', '2001:db8:ff::2/128', '2001:db8:ff:1000::2', 'cn'],
      ['fig1', 'mr2', '2001:db8:2:8000::/56', undefined, undefined],
      ['fig1', 'mr2', '2001:db8:2::2/128', '2001:db8:2:1001::1', 'lm2'],
      ['fig1', 'mr2', '2001:db8:3:8100::/56', '2001:db8:2:1000::2', 'core'],
      ['pmip', 'lma', '2001:db8:40:8000::/56', undefined, undefined],
      ['pmip', 'lma', '2001:db8:40:8100::/56', '2001:db8:40:1000::2', 'mag1'],
      ['pmip', 'lma', '2001:db8:40:1::3/128', '2001:db8:40:1001::2', 'mag2'],
      ['explicit', 'mr2', '2001:db8:1::100/128', '2001:db8:1:2000::1', 'mr1'],
      ['explicit', 'mr2', '2001:db8:2::2/128', '2001:db8:1:2000::1', 'mr1'],
      ['explicit', 'mr1', '2001:db8:1:c100::/56', '2001:db8:1:2000::2', 'mr2'],
      ['parallel', 'edge', '2001:db8:20::3/128', '2001:db8:20:1000::2', 'core'],
      // The ring r1 r2 r3 r4: r3 is two hops from r1 either way; r1's first link (to r2) wins.
      ['plain', 'r1', '2001:db8:60::3/128', '2001:db8:60:1000::2', 'r2'],
      ['plain', 'r1', '2001:db8:60::6/128', '2001:db8:60:1000::2', 'r2'],
      ['plain', 'r1', '2001:db8:60:1005::/64', '2001:db8:60:1000::2', 'r2'],
      ['plain', 'r1', '2001:db8:60:1002::/64', '2001:db8:60:1003::1', 'r4'],
      ['plain', 'r2', '2001:db8:60::4/128', '2001:db8:60:1000::1', 'r1'],
    ] as const)('%s %s: %s via %s dev %s', async (f, n, dst, via, dev) => {
      // Longest-prefix match, as the kernel does: other networks are reached through their aggregate.
      const r = lookup((await node(f, n)).routes, dst);
      expect(r ? { type: r.type, via: r.via, dev: r.dev } : undefined).toEqual(
        via === undefined ? { type: 'unreachable', via: undefined, dev: undefined } : { type: 'unicast', via, dev },
      );
    });

    it('summarises other networks: fig1 mr11 reaches net2, net3 and the core through one route each', async () => {
      const routes = (await node('fig1', 'mr11')).routes;
      for (const agg of ['2001:db8:2::/48', '2001:db8:3::/48', '2001:db8:ff::/48'])
        expect(routes.filter((r) => r.dst === agg)).toEqual([{ dst: agg, via: '2001:db8:1:1000::2', dev: 'core', type: 'unicast' }]);
      expect(routes.filter((r) => r.dst.startsWith('2001:db8:3:') && r.dst !== '2001:db8:3::/48')).toEqual([]);
      expect(routes.length).toBeLessThan(12);
    });

    it.each(fixtures)('%s: leaves default, routers reach everything by a shortest path, MRs stop their own anchor', async (f) => {
      const p = await plan(f);
      const byName = new Map(p.nodes.map((n) => [n.name, n]));
      const infra = p.links.filter((l) => l.kind === 'infra');
      const distFrom = (start: string) => {
        const d = new Map([[start, 0]]);
        const queue = [start];
        while (queue.length) {
          const cur = queue.shift() as string;
          for (const l of infra) {
            const next = l.a.node === cur ? l.b.node : l.b.node === cur ? l.a.node : undefined;
            if (next === undefined || d.has(next)) continue;
            d.set(next, (d.get(cur) as number) + 1);
            queue.push(next);
          }
        }
        return d;
      };
      for (const n of p.nodes) {
        const own = n.anchor ? [{ dst: n.anchor, type: 'unreachable' }] : [];
        const ifs = infraIfaces(n);
        if (n.roles.includes('mn')) {
          expect(n.routes).toEqual([]);
          continue;
        }
        if (ifs.length === 1) {
          const i = ifs[0]!;
          const via = byName
            .get(i.peer.node)
            ?.interfaces.find((x) => x.name === i.peer.iface)
            ?.addresses[0]?.split('/')[0];
          expect(n.routes).toEqual([...own, { dst: '::/0', via, dev: i.name, type: 'unicast' }]);
          continue;
        }
        // Every destination it is not on itself, and where it lives (the nodes it is nearest through).
        const wanted = new Map<string, string[]>();
        for (const o of p.nodes) {
          if (o.name === n.name) continue;
          if (o.loopback) wanted.set(`${o.loopback}/128`, [o.name]);
          if (o.tunnelEndpoint) wanted.set(`${o.tunnelEndpoint}/128`, [o.name]);
          if (o.anchor) wanted.set(o.anchor, [o.name]);
        }
        const attached = new Set(ifs.map((i) => i.link));
        for (const l of infra) if (!attached.has(l.id)) wanted.set(l.subnet as string, [l.a.node, l.b.node]);
        const mine = distFrom(n.name);
        const unicast = n.routes.filter((r) => r.type === 'unicast');
        expect(n.routes.filter((r) => r.type === 'unreachable')).toEqual(own);
        // Every destination resolves (longest-prefix match) to a route through a neighbour one hop nearer to it.
        for (const [dst] of wanted) {
          const r = lookup(n.routes, dst);
          expect(r?.type, `${n.name} has no route for ${dst}`).toBe('unicast');
          const i = n.interfaces.find((x) => x.name === r!.dev);
          expect(i?.kind, `${n.name} ${r!.dst} dev ${r!.dev}`).toBe('infra');
          const peer = byName.get(i!.peer.node)!;
          expect(peer.interfaces.find((x) => x.name === i!.peer.iface)?.addresses[0]).toBe(`${r!.via}/64`);
          // The next hop is one hop nearer to the destination than this node is.
          const targets = wanted.get(dst)!;
          const fromPeer = distFrom(peer.name);
          const best = (d: Map<string, number>) => Math.min(...targets.map((t) => d.get(t) ?? Infinity));
          expect(best(fromPeer), `${n.name} ${dst} via ${peer.name}`).toBe(best(mine) - 1);
        }
        // Nothing but those destinations and their networks' aggregates.
        for (const r of unicast) expect(wanted.has(r.dst) || p.networks.some((x) => x.prefix === r.dst), `${n.name}: unexpected route ${r.dst}`).toBe(true);
      }
    });
  });

  describe('sysctls', () => {
    it.each([
      ['fig1', 'core', 'net.ipv6.conf.all.forwarding', '1'],
      ['fig1', 'core', 'net.ipv6.conf.default.forwarding', '1'],
      ['fig1', 'core', 'net.ipv6.conf.all.accept_ra', '0'],
      ['fig1', 'core', 'net.ipv6.conf.all.seg6_enabled', undefined],
      ['fig1', 'core', 'net.ipv6.conf.mr31.accept_dad', '0'],
      ['fig1', 'lm1', 'net.ipv6.conf.all.forwarding', '1'],
      ['fig1', 'mr11', 'net.ipv6.conf.all.forwarding', '1'],
      ['fig1', 'mr11', 'net.ipv6.conf.all.seg6_enabled', '1'],
      ['fig1', 'mr11', 'net.ipv6.conf.core.seg6_enabled', '1'],
      ['fig1', 'mr11', 'net.ipv6.conf.mn1.accept_dad', '0'],
      ['fig1', 'cn', 'net.ipv6.conf.all.forwarding', '0'],
      ['fig1', 'cn', 'net.ipv6.conf.default.forwarding', '0'],
      ['fig1', 'cn', 'net.ipv6.conf.core.accept_dad', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.forwarding', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.default.forwarding', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.accept_ra', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.default.accept_ra', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.router_solicitation_delay', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.default.router_solicitation_delay', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.keep_addr_on_down', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.ignore_routes_with_linkdown', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.mr11.accept_ra', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.mr2.router_solicitation_delay', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.mr12.keep_addr_on_down', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.mr12.ignore_routes_with_linkdown', '1'],
      ['fig1', 'mn1', 'net.ipv6.conf.mr2.accept_dad', '0'],
      ['fig1', 'mn1', 'net.ipv6.conf.all.seg6_enabled', undefined],
      ['pmip', 'mn', 'net.ipv6.conf.mag2.accept_ra', '1'],
      ['longest', 'edge-router-one', 'net.ipv6.conf.mobility-rtr1.accept_dad', '0'],
    ] as const)('%s %s: %s = %s', async (f, n, key, value) => {
      expect((await node(f, n)).sysctls[key]).toBe(value);
    });

    it.each(fixtures)('%s: no DAD anywhere, forwarding on routers only, keys only for interfaces that exist', async (f) => {
      for (const n of (await plan(f)).nodes) {
        for (const scope of ['all', 'default', ...n.interfaces.map((i) => i.name)]) {
          expect(n.sysctls[`net.ipv6.conf.${scope}.accept_dad`], `${n.name} ${scope}`).toBe('0');
          expect(n.sysctls[`net.ipv6.conf.${scope}.dad_transmits`], `${n.name} ${scope}`).toBe('0');
        }
        for (const scope of ['all', 'default']) expect(n.sysctls[`net.ipv6.conf.${scope}.forwarding`]).toBe(isHost(n) ? '0' : '1');
        for (const key of Object.keys(n.sysctls)) {
          const m = /^net\.ipv6\.conf\.([^.]+)\./.exec(key);
          if (m) expect(['all', 'default', ...n.interfaces.map((i) => i.name)], key).toContain(m[1]);
        }
      }
    });
  });

  describe('mobility', () => {
    it('lists the mobile nodes with their identifiers, networks, radios and start', async () => {
      const p = await plan('fig1');
      expect(p.mobility.mns.map(({ mac: _mac, ...m }) => m)).toEqual([
        { node: 'mn1', id: 'mn1@net1.fig1', network: 'net1', ars: ['mr11', 'mr12', 'mr2'], start: 'mr11' },
        { node: 'mn2', id: 'mn2@net3.fig1', network: 'net3', ars: ['mr31', 'mr32'], start: 'mr31' },
      ]);
      expect((await plan('longest')).mobility.mns[0]).not.toHaveProperty('start');
    });

    it("keeps the file's mobility settings and fills in the defaults", async () => {
      expect((await plan('params')).mobility).toMatchObject({
        routeOptimization: 'redirect',
        tunnel: 'seg6',
        mnMode: 'client',
        leaseLifetime: 120,
        bindingLifetime: 600,
        registerOnAttach: true,
      });
      expect((await plan('smoke')).mobility).toMatchObject({ routeOptimization: 'query', tunnel: 'auto', mnMode: 'network', leaseLifetime: 3600 });
      expect((await node('pmip', 'mn')).agent).toBe(false);
      expect((await node('pmip', 'mag1')).agent).toBe(true);
    });
  });

  describe('purity', () => {
    it.each(fixtures)('%s: two resolves of the same topology give equal, independent plans and leave it untouched', async (f) => {
      const { topology, source } = await loadTopology(root + files[f]);
      const before = structuredClone(topology);
      const one = resolve(topology, source);
      const two = resolve(topology, source);
      expect(two).toEqual(one);
      expect(topology).toEqual(before);
      // Nothing shared: changing one plan leaves the other and the topology alone.
      const first = one.nodes[0]!;
      first.roles.push('router');
      const iface = first.interfaces[0];
      if (iface) iface.params.delay = 999;
      one.mobility.mns[0]?.ars.push('x');
      expect(two).toEqual(resolve(topology, source));
      expect(topology).toEqual(before);
    });

    it('parsing the same text twice gives equal plans', async () => {
      const file = root + files.fig1;
      const text = await readFile(file, 'utf8');
      expect(parseTopology(file, text).plan).toEqual(parseTopology(file, text).plan);
    });
  });

  describe('--name', () => {
    it('renames the lab everywhere the lab name appears, and nothing else', async () => {
      const base = await plan('fig1');
      const { plan: p, topology } = await loadTopology(root + files.fig1, { lab: 'fig1-b' });
      expect(topology.name).toBe('fig1');
      expect(p.lab).toBe('fig1-b');
      expect(p.nodes.map((n) => n.netns)).toEqual(base.nodes.map((n) => `dmm-fig1-b-${n.name}`));
      expect(p.mobility.mns.map((m) => m.id)).toEqual(['mn1@net1.fig1-b', 'mn2@net3.fig1-b']);
      expect(p.nodes.map((n) => [n.loopback, n.interfaces.map((i) => i.name), n.routes])).toEqual(
        base.nodes.map((n) => [n.loopback, n.interfaces.map((i) => i.name), n.routes]),
      );
    });

    it.each(['Fig1', 'a'.repeat(25), '1lab', ''])('refuses %j as a lab name', async (lab) => {
      const error = await loadTopology(root + files.smoke, { lab }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).issues).toEqual([
        { file: '(command line)', path: '--name', found: JSON.stringify(lab), expected: expect.stringContaining('lab name') as string },
      ]);
    });

    it('accepts a 24-character lab name', async () => {
      const { plan: p } = await loadTopology(root + files.smoke, { lab: 'a'.repeat(24) });
      expect(p.nodes[0]?.netns).toBe(`dmm-${'a'.repeat(24)}-mr1`);
    });
  });
});
