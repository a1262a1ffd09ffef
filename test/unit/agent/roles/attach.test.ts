import { afterEach, describe, expect, it } from 'vitest';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('initial attachment (draft-tu 4.1) at an access router', () => {
  it('registers the node at its realm LM, leases a prefix anchored here, routes it on the access link and advertises it', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    lab.attach('mn1', 'mr11');
    const done = await lab.event('mr11', 'attachment.completed', (e) => e.mn === 'mn1');
    expect(done.mode).toBe('initial');
    const [prefix] = done.prefixes;
    expect(prefix).toMatch(/^2001:db8:1:8[0-9a-f]*::\/64$/);
    // Location update (empty) to the realm LM, then the HAA allocation, then the new prefix's location update.
    expect(lab.bus.between('PBU', 'mr11', 'lm1').length).toBeGreaterThanOrEqual(3);
    expect(lab.state('lm1', 'haa').leases).toEqual([expect.objectContaining({ prefix, anchor: 'mr11', mnId: 'mn1@net1.fake' })]);
    expect(lab.state('lm1', 'lm').bindings).toEqual([expect.objectContaining({ prefix, mr: 'mr11' })]);
    const mr11 = lab.node('mr11').kernel;
    expect(mr11.matching(/^route replace 2001:db8:1:8\S* table 100 via fe80::\S+ dev mn1$/)).toHaveLength(1);
    expect(mr11.matching(/^neigh replace fe80::\S+ lladdr \S+ dev mn1 nud permanent$/)).toHaveLength(1);
    const ar = lab.state('mr11', 'ar');
    expect(ar.advertised.mn1).toEqual([{ prefix, preferred: 3600, valid: 3600 }]);
    expect(ar.visitors.find((v) => v.mn === 'mn1')).toMatchObject({ state: 'attached', prefixes: [{ prefix, anchor: 'mr11' }] });
  });

  it('reports an error and registers nothing when the realm LM does not answer', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const lm1 = lab.plan.nodes.find((n) => n.name === 'lm1')!.loopback!;
    lab.bus.silent.add(lm1);
    lab.attach('mn1', 'mr11');
    const err = await lab.event('mr11', 'agent.error', (e) => e.message.includes('registration of mn1@net1.fake'));
    expect(err.message).toMatch(/no answer/);
  });

  it('leaves the LM without a binding when registration at attachment is off (draft-tu 4.1: the anchor is reached by regular routing)', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { mobility: { registerOnAttach: false } });
    lab.attach('mn1', 'mr11');
    await lab.event('mr11', 'attachment.completed');
    expect(lab.state('lm1', 'lm').bindings).toEqual([]);
    expect(lab.state('lm1', 'lm').contexts).toEqual([expect.objectContaining({ mnId: 'mn1@net1.fake', serving: 'mr11' })]);
  });
});

describe('detachment', () => {
  it('blackholes the node’s prefixes between cells and withdraws its advertisement', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    lab.attach('mn1', 'mr11');
    const { prefixes } = await lab.event('mr11', 'attachment.completed');
    lab.detach('mn1', 'mr11');
    await lab.event('mr11', 'mn.detached');
    await lab.event('mr11', 'route.changed', (e) => e.route === 'blackhole');
    const mr11 = lab.node('mr11').kernel;
    expect(mr11.matching(new RegExp(`^route replace blackhole ${prefixes[0]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} table 100$`))).toHaveLength(1);
    expect(mr11.matching(/^neigh del fe80::\S+ dev mn1$/)).toHaveLength(1);
    expect(lab.state('mr11', 'ar').advertised.mn1).toEqual([]);
    expect(lab.state('mr11', 'ar').visitors.find((v) => v.mn === 'mn1')?.state).toBe('detached');
  });
});
