import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Plan } from '../../../cli/plan/types.js';
import { containsPrefix, parsePrefix } from '../../../shared/ipv6.js';
import { ROOT } from '../../support/cli.js';

async function plan(mobility?: Record<string, unknown>, topology = 'topologies/migrating-has.yaml'): Promise<Plan> {
  const file = path.join(ROOT, topology);
  return parseTopology(file, await readFile(file, 'utf8'), { lab: 'mha', ...(mobility ? { mobility } : {}) }).plan;
}

const node = (p: Plan, name: string) => p.nodes.find((n) => n.name === name)!;
/** The neighbour `from` sends prefix `dst` to: its longest static route holding it (undefined: none, or not through a link). */
const nextHop = (p: Plan, from: string, dst: string) => {
  const d = parsePrefix(dst);
  const holding = node(p, from).routes.filter((x) => containsPrefix(parsePrefix(x.dst), d));
  const r = holding.sort((x, y) => parsePrefix(y.dst).len - parsePrefix(x.dst).len)[0];
  return r?.dev === undefined ? undefined : node(p, from).interfaces.find((i) => i.name === r.dev)?.peer.node;
};

describe('migrating home agents in the plan (Chan figure 6): anycast to the nearest home agent', () => {
  it('every router sends each home agent’s prefixes to the home agent nearest it (ties: the prefix’s own)', async () => {
    const p = await plan();
    const [a1, a2, a3] = ['mr1', 'mr2', 'mr3'].map((n) => node(p, n).anchor!);
    // r2, in network 2, is one hop from MR2: it takes every network's home prefixes.
    expect(nextHop(p, 'r2', a1!)).toBe('mr2');
    expect(nextHop(p, 'r2', a3!)).toBe('mr2');
    expect(nextHop(p, 'r2', a2!)).toBe('mr2');
    // The core is one hop from MR1 and MR3: each keeps its own; network 2's go to the first of them.
    expect(nextHop(p, 'core', a1!)).toBe('mr1');
    expect(nextHop(p, 'core', a3!)).toBe('mr3');
    expect(nextHop(p, 'core', a2!)).toBe('mr1');
    // A home agent has no specific route for the others' prefixes (its agent tunnels them): at most its network summary.
    expect(node(p, 'mr2').routes.find((r) => r.dst === a1)).toBeUndefined();
    expect(node(p, 'mr2').routes.find((r) => r.dst === a2)?.type).toBe('unreachable');
  });

  it('each MR is told the home agent nearest it: where its cells’ nodes register', async () => {
    const p = await plan();
    expect(Object.fromEntries(p.mobility.mrs.map((m) => [m.node, m.homeAgent]))).toEqual({ mr1: 'mr1', mr2: 'mr2', mr3: 'mr3', ar31: 'mr3' });
    expect(p.mobility.homeAgents).toBe('migrating');
  });

  it('with one home agent per prefix, the same topology routes each prefix to its own anchor', async () => {
    const p = await plan({ homeAgents: 'single' });
    const a1 = node(p, 'mr1').anchor!;
    expect(nextHop(p, 'r2', a1)).toBe('core');
    expect(p.mobility.mrs.every((m) => m.homeAgent === undefined)).toBe(true);
  });
});

describe('anycast in flat DMM (gap analysis section 7, RS1 anycast)', () => {
  it('every router sends every anchoring MR’s prefixes to the one nearest it; MRs are told no home agent', async () => {
    const p = await plan(undefined, 'topologies/gap-anycast.yaml');
    const anchors = ['mr11', 'mr12', 'mr2', 'mr31'].map((n) => node(p, n).anchor!);
    // r3, in front of the correspondent, is one hop from MR31 and two from the others.
    for (const a of anchors) expect(nextHop(p, 'r3', a)).toBe('mr31');
    // The core is one hop from MR11, MR12 and MR2: each keeps its own; MR31's go to the first of them.
    expect(nextHop(p, 'core', node(p, 'mr2').anchor!)).toBe('mr2');
    expect(nextHop(p, 'core', node(p, 'mr12').anchor!)).toBe('mr12');
    expect(nextHop(p, 'core', node(p, 'mr31').anchor!)).toBe('mr11');
    expect(p.mobility.mrs.every((m) => m.homeAgent === undefined)).toBe(true);
    // Without anycast, r3 sends network 1's prefixes towards network 1.
    const plain = await plan({ anycast: false }, 'topologies/gap-anycast.yaml');
    expect(nextHop(plain, 'r3', node(plain, 'mr11').anchor!)).toBe('core');
  });
});
