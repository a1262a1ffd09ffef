import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWaves } from '../../../cli/agents/start-agents.js';
import { loadTopology } from '../../../cli/plan/load.js';

const fig1 = fileURLToPath(new URL('../../../topologies/fig1.yaml', import.meta.url));

describe('agent start order', () => {
  it('starts LMs and HAAs, then MRs and ARs, then mobile nodes and the rest', async () => {
    const { plan } = await loadTopology(fig1);
    const waves = startWaves(plan.nodes.filter((n) => n.agent)).map((w) => w.map((n) => n.name).sort());
    expect(waves).toEqual([['haa3', 'lm1', 'lm2', 'lm3'], ['mr11', 'mr12', 'mr2', 'mr31', 'mr32'], expect.arrayContaining(['mn1', 'mn2'])]);
    expect(waves.flat().sort()).toEqual(
      plan.nodes
        .filter((n) => n.agent)
        .map((n) => n.name)
        .sort(),
    );
  });

  it('keeps a node with a server role and a router role in the first wave (PMIPv6 LMA)', () => {
    const node = (name: string, roles: string[]) => ({ name, roles }) as unknown as Parameters<typeof startWaves>[0][number];
    expect(startWaves([node('mag', ['mr', 'ar']), node('lma', ['mr', 'lm', 'haa']), node('mn', ['mn'])]).map((w) => w.map((n) => n.name))).toEqual([
      ['lma'],
      ['mag'],
      ['mn'],
    ]);
  });
});
