import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigFor } from '../../../cli/agents/agent-config.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Plan } from '../../../cli/plan/types.js';
import { ROOT } from '../../support/cli.js';

async function plan(mobility?: Record<string, unknown>, topology = 'topologies/mipv6.yaml'): Promise<Plan> {
  const file = path.join(ROOT, topology);
  return parseTopology(file, await readFile(file, 'utf8'), { lab: 'mip', ...(mobility ? { mobility } : {}) }).plan;
}

const cellOf = (p: Plan, ar: string) => p.nodes.find((n) => n.name === ar)!.interfaces.find((i) => i.kind === 'access')!;

describe('Mobile IPv6 care-of prefixes (mnMode mipv6)', () => {
  it('each visited cell gets a /64 of its router’s network, after the link subnets; the home link gets none', async () => {
    const p = await plan();
    expect(cellOf(p, 'ha').careOf).toBeUndefined();
    const c1 = cellOf(p, 'var1').careOf;
    const c2 = cellOf(p, 'var2').careOf;
    expect(c1).toMatch(/^2001:db8:60:[0-9a-f]+::\/64$/);
    expect(c2).toMatch(/^2001:db8:60:[0-9a-f]+::\/64$/);
    expect(c1).not.toBe(c2);
    const linkSubnets = p.links.flatMap((l) => (l.subnet ? [l.subnet] : []));
    expect(linkSubnets).not.toContain(c1);
    expect(linkSubnets).not.toContain(c2);
    // The pool (upper half of the /48) holds no care-of prefix.
    expect(p.networks.find((n) => n.name === 'visited')!.pool).toBe('2001:db8:60:8000::/49');
  });

  it('routes lead every router to each care-of prefix: vr straight to its access router', async () => {
    const p = await plan();
    const c1 = cellOf(p, 'var1').careOf!;
    const vr = p.nodes.find((n) => n.name === 'vr')!;
    const toVar1 = vr.interfaces.find((i) => i.peer.node === 'var1')!;
    expect(vr.routes).toContainEqual(expect.objectContaining({ dst: c1, dev: toVar1.name }));
    // The home agent reaches it through the Internet (the visited network's summary route, or the prefix itself).
    const ha = p.nodes.find((n) => n.name === 'ha')!;
    expect(ha.routes.some((r) => r.dst === '::/0' || r.dst === c1 || r.dst === '2001:db8:60::/48')).toBe(true);
  });

  it('the access router’s configuration carries the care-of prefix of each visited cell', async () => {
    const p = await plan();
    const key = { key: 'AA==', spi: 300 };
    const var1 = agentConfigFor(
      p,
      p.nodes.find((n) => n.name === 'var1')!,
      'seg6',
      key,
    );
    expect(var1.access).toEqual([expect.objectContaining({ mn: 'mn', careOf: cellOf(p, 'var1').careOf })]);
    const ha = agentConfigFor(
      p,
      p.nodes.find((n) => n.name === 'ha')!,
      'seg6',
      key,
    );
    expect(ha.access[0]!.careOf).toBeUndefined();
    expect(ha.mobility.mnMode).toBe('mipv6');
  });

  it('other modes plan no care-of prefix; the visited network then needs its own LM and HAA', async () => {
    const p = await plan({ mnMode: 'client' }, 'topologies/fig1.yaml');
    expect(p.nodes.flatMap((n) => n.interfaces).some((i) => i.careOf)).toBe(false);
    await expect(plan({ mnMode: 'network' })).rejects.toThrow(/networks\.visited: found network visited has MR var1, var2 but no LM/);
  });
});

describe('HMIPv6 regional care-of prefixes (networks.<n>.map)', () => {
  it('the MAP’s network gets a /64 after its link and care-of subnets, routed to the MAP, unreachable there', async () => {
    const p = await plan(undefined, 'topologies/hmipv6.yaml');
    const visited = p.networks.find((n) => n.name === 'visited')!;
    expect(visited.map).toBe('map');
    const regional = visited.regional!;
    expect(regional).toMatch(/^2001:db8:60:[0-9a-f]+::\/64$/);
    const taken = [
      ...p.links.flatMap((l) => (l.subnet ? [l.subnet] : [])),
      ...p.nodes.flatMap((n) => n.interfaces.flatMap((i) => (i.careOf ? [i.careOf] : []))),
    ];
    expect(taken).not.toContain(regional);
    const map = p.nodes.find((n) => n.name === 'map')!;
    expect(map.regional).toBe(regional);
    expect(map.routes).toContainEqual({ dst: regional, type: 'unreachable' });
    // var1 reaches it through the MAP (its default route); the Internet router by the visited network's summary.
    const internet = p.nodes.find((n) => n.name === 'internet')!;
    expect(internet.routes.some((r) => r.dst === '2001:db8:60::/48' || r.dst === regional)).toBe(true);
    // Every agent learns the MAP and its prefix.
    expect(p.mobility.domain.find((n) => n.name === 'visited')?.map).toEqual({ node: 'map', address: map.loopback, regional });
  });

  it('a Mobile IPv6 node forwards only on its own interfaces (the seg6 hairpin), optionally', async () => {
    const p = await plan(undefined, 'topologies/hmipv6.yaml');
    const mn = p.nodes.find((n) => n.name === 'mn')!;
    expect(mn.sysctls['net.ipv6.conf.default.force_forwarding']).toBe('1');
    expect(mn.sysctls['net.ipv6.conf.all.forwarding']).toBe('0');
    const keys = Object.keys(mn.sysctls);
    expect(keys.indexOf('net.ipv6.conf.all.force_forwarding')).toBeGreaterThan(keys.indexOf('net.ipv6.conf.all.forwarding'));
    const { nodeSetup } = await import('../../../cli/kernel/node-commands.js');
    expect(nodeSetup(mn).sysctls).toContainEqual(['?net/ipv6/conf/default/force_forwarding', '1']);
    // Network-based mobile nodes do not forward at all.
    const flat = await plan({ mnMode: 'network' }, 'topologies/fig1.yaml');
    expect(Object.keys(flat.nodes.find((n) => n.name === 'mn1')!.sysctls).some((k) => k.includes('force_forwarding'))).toBe(false);
  });

  it('access routers may bind their access links’ link-local addresses before the links are up (client-based BUs)', async () => {
    const p = await plan({ mnMode: 'client' }, 'topologies/fig1.yaml');
    for (const n of p.nodes) expect(n.sysctls['net.ipv6.ip_nonlocal_bind'], n.name).toBe(n.roles.includes('ar') ? '1' : undefined);
  });
});
