import { afterEach, describe, expect, it } from 'vitest';
import { FakeLab, waitFor } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

const TOPOLOGY = 'topologies/gap-anycast.yaml';
const anchorOf = (l: FakeLab, mr: string) => l.plan.nodes.find((n) => n.name === mr)!.anchor!;

describe('anycast (gap analysis section 7, RS1.CN-MR(CN).anycast)', () => {
  it('every anchoring MR tunnels each other anchor’s whole prefix to it from the start', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    const held = lab.state('mr31', 'mr').prefixes;
    for (const other of ['mr11', 'mr12', 'mr2'])
      expect(held.find((p) => p.prefix === anchorOf(lab!, other))).toMatchObject({ interceptedFor: other, route: `tunnel to ${other}` });
    expect(held.find((p) => p.prefix === anchorOf(lab!, 'mr31'))).toBeUndefined();
    // Without anycast, nothing of the kind.
    await lab.stop();
    lab = await FakeLab.start(TOPOLOGY, { mobility: { anycast: false } });
    expect(lab.state('mr31', 'mr').prefixes).toEqual([]);
  });

  it('with queries, the MR watches packets from any source from the start and asks the prefix’s LM on the first', async () => {
    lab = await FakeLab.start(TOPOLOGY, { mobility: { routeOptimization: 'query' } });
    lab.attach('mn1', 'mr11');
    const { prefixes } = await lab.event('mr11', 'attachment.completed');
    const mr31 = lab.node('mr31').runner;
    // No node is attached at MR31, yet it watches (the fake has no nft: the BPF form of the same filter).
    await waitFor(() => mr31.argvs.some((a) => a[0] === 'tcpdump'));
    const filter = mr31.argvs.find((a) => a[0] === 'tcpdump')!.at(-1)!;
    expect(filter).toContain(`dst net ${anchorOf(lab, 'mr11').replace(/\/\d+$/, '')}`);
    expect(filter).not.toContain('src net');
    // cn3's first packet towards MN1's home address.
    mr31.output('tcpdump', `1.0 IP6 2001:db8:3::4.5000 > ${prefixes[0]!.replace('::/64', '::11')}.6000: UDP, length 100`);
    const cached = await lab.event('mr31', 'cache.updated');
    expect(cached).toMatchObject({ prefix: prefixes[0], mr: 'mr11', source: 'query' });
    expect(lab.bus.between('LMQ', 'mr31', 'lm1')).toHaveLength(1);
  });

  it('with push (redirect), nothing watches until there is something to watch', async () => {
    lab = await FakeLab.start(TOPOLOGY, { mobility: { routeOptimization: 'redirect' } });
    await new Promise((r) => setTimeout(r, 150));
    expect(lab.node('mr31').runner.argvs.some((a) => a[0] === 'tcpdump' || a[0] === 'nft')).toBe(false);
  });
});
