import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replicateSteps, replicateTopology } from '../../../cli/compare/replicate.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Step } from '../../../cli/scenario/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('compare --sweep mns: more copies of the mobile nodes', () => {
  it('adds copies of a mobile node with its network, cells and start cell, and the topology still plans', () => {
    const text = readFileSync(path.join(ROOT, 'topologies/fig1.yaml'), 'utf8');
    const { plan } = parseTopology('x.yaml', replicateTopology(text, ['mn1'], 3));
    const mns = plan.mobility.mns.map((m) => m.node);
    expect(mns).toEqual(expect.arrayContaining(['mn1', 'mn1c2', 'mn1c3', 'mn2']));
    const c3 = plan.mobility.mns.find((m) => m.node === 'mn1c3');
    expect(c3).toMatchObject({ network: 'net1', ars: ['mr11', 'mr12', 'mr2'], start: 'mr11' });
    expect(replicateTopology(text, ['mn1'], 1)).not.toContain('mn1c');
  });

  it('repeats every step about a mobile node for each copy, flows renamed and their stops following', () => {
    const steps: Step[] = [
      { flow: { id: 'down', kind: 'udp', from: 'mn2', to: 'mn1', rate: 100, size: 100 } },
      { flow: { id: 'other', kind: 'udp', from: 'mn2', to: 'cn', rate: 100, size: 100 } },
      { wait: '1s' },
      { handover: { mn: 'mn1', to: 'mr2' } } as Step,
      { stop: 'down' },
      { stop: 'other' },
    ];
    const out = replicateSteps(steps, ['mn1'], 3);
    expect(out.filter((s) => s.flow).map((s) => `${s.flow!.id}:${s.flow!.to}`)).toEqual(['down:mn1', 'down-c2:mn1c2', 'down-c3:mn1c3', 'other:cn']);
    expect(out.filter((s) => s.handover).map((s) => s.handover!.mn)).toEqual(['mn1', 'mn1c2', 'mn1c3']);
    expect(out.filter((s) => s.stop).map((s) => s.stop)).toEqual(['down', 'down-c2', 'down-c3', 'other']);
    expect(out.filter((s) => s.wait)).toHaveLength(1);
  });
});
