import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../cli/errors.js';
import { underlayCommands, vxlanCommands } from '../../../cli/links/vxlan-commands.js';
import { VXLAN_OVERHEAD } from '../../../cli/plan/hosts.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { INFRA_MTU } from '../../../cli/plan/resolve.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const fig1 = readFileSync(path.join(ROOT, 'topologies/fig1.yaml'), 'utf8');

describe('labs that span hosts', () => {
  it('--hosts splits a lab keeping each mobile node with its access routers, every host used', () => {
    const { plan } = parseTopology('fig1.yaml', fig1, { hosts: 3 });
    const hostOf = new Map(plan.nodes.map((n) => [n.name, n.host]));
    for (const m of plan.mobility.mns) for (const ar of m.ars) expect(hostOf.get(ar), `${m.node} and ${ar}`).toBe(hostOf.get(m.node));
    expect(plan.hosts?.list.map((h) => h.name)).toEqual(['h1', 'h2', 'h3']);
    for (const h of plan.hosts?.list ?? []) expect(h.nodes.length, h.name).toBeGreaterThan(0);
    expect(plan.hosts?.list.flatMap((h) => h.nodes).sort()).toEqual(plan.nodes.map((n) => n.name).sort());
    // The same topology always splits the same way.
    expect(parseTopology('fig1.yaml', fig1, { hosts: 3 }).plan).toEqual(plan);
  });

  it('turns exactly the wired links between hosts into VXLAN, one VNI each, and sizes the underlay for them', () => {
    const { plan } = parseTopology('fig1.yaml', fig1, { hosts: 2 });
    const host = new Map(plan.nodes.map((n) => [n.name, n.host]));
    const crossing = plan.links.filter((l) => host.get(l.a.node) !== host.get(l.b.node));
    expect(crossing.length).toBeGreaterThan(0);
    expect(crossing.every((l) => l.kind === 'infra')).toBe(true);
    for (const l of plan.links) expect(l.vxlan !== undefined, l.id).toBe(crossing.includes(l));
    const vnis = crossing.map((l) => l.vxlan?.vni);
    expect(new Set(vnis).size).toBe(vnis.length);
    expect(plan.hosts?.underlayMtu).toBe(INFRA_MTU + VXLAN_OVERHEAD);
  });

  it('creates each VXLAN end from its host, inside its node, local and remote the two hosts', () => {
    const { plan } = parseTopology('fig1.yaml', fig1, { hosts: 2, lab: 'x' });
    const [h1, h2] = plan.hosts?.list ?? [];
    const l = plan.links.find((x) => x.vxlan)!;
    const onH1 = plan.nodes.find((n) => (n.name === l.a.node || n.name === l.b.node) && n.host === 'h1')!;
    const end = onH1.name === l.a.node ? l.a : l.b;
    const line = vxlanCommands(plan, plan.links, h1!).find((x) => x.startsWith(`link add name ${end.iface} `) && x.includes(`netns ${onH1.netns} `));
    expect(line).toMatch(new RegExp(`type vxlan id ${l.vxlan?.vni} local ${h1?.address} remote ${h2?.address} dstport 4789 dev underlay$`));
    expect(line).toContain(`mtu ${INFRA_MTU}`);
    // Every VXLAN end is created once, by the host of its node.
    const all = plan.hosts!.list.flatMap((h) => vxlanCommands(plan, plan.links, h));
    expect(all).toHaveLength(2 * plan.links.filter((x) => x.vxlan).length);
    const u = underlayCommands(plan.hosts!);
    expect(u.root).toHaveLength(2);
    expect(u.root[0]).toContain(`mtu ${INFRA_MTU + VXLAN_OVERHEAD}`);
    expect(u.inHost.get(h1!.netns)).toContain(`route add ${h2?.address}/32 dev underlay`);
  });

  it('a radio between hosts is VXLAN too, its access router end down until the node attaches there', () => {
    const file = path.join(ROOT, 'topologies/fig1-hosts.yaml');
    const { plan } = parseTopology(file, readFileSync(file, 'utf8'));
    const radio = plan.links.find((l) => l.kind === 'access' && l.a.node === 'mn1' && l.b.node === 'mr2')!;
    expect(radio.vxlan).toBeDefined();
    const arEnd = plan.nodes.find((n) => n.name === 'mr2')!.interfaces.find((i) => i.name === radio.b.iface)!;
    expect(arEnd.up).toBe(false);
    // Radios within a host stay veths, the access router's end up (its carrier follows the node's end).
    const local = plan.links.find((l) => l.kind === 'access' && l.a.node === 'mn1' && l.b.node === 'mr12')!;
    expect(local.vxlan).toBeUndefined();
    expect(plan.nodes.find((n) => n.name === 'mr12')!.interfaces.find((i) => i.name === local.b.iface)!.up).toBe(true);
  });

  it('a lab on one host has no hosts and no VXLAN', () => {
    const { plan } = parseTopology('fig1.yaml', fig1);
    expect(plan.hosts).toBeUndefined();
    expect(plan.links.some((l) => l.vxlan)).toBe(false);
    expect(parseTopology('fig1.yaml', fig1, { hosts: 1 }).plan.links.some((l) => l.vxlan)).toBe(false);
  });

  it('refuses --hosts that is not a whole number from 1 to 250, naming the option', () => {
    for (const bad of [0, 251, 1.5]) {
      try {
        parseTopology('fig1.yaml', fig1, { hosts: bad });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).issues[0]).toMatchObject({ file: '(command line)', path: '--hosts', found: String(bad) });
      }
    }
  });
});
