import { afterEach, describe, expect, it } from 'vitest';
import type { MrRole } from '../../../../agent/roles/mr/mr-role.js';
import { FakeLab, waitFor } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

/** Both mobile nodes attached at their home MRs; their home prefixes. */
async function twoNodes(mode: 'query' | 'redirect'): Promise<{ lab: FakeLab; mn1: string; mn2: string }> {
  const l = await FakeLab.start('topologies/fig1.yaml', { mobility: { routeOptimization: mode } });
  l.attach('mn1', 'mr11');
  l.attach('mn2', 'mr31');
  const [a, b] = await Promise.all([l.event('mr11', 'attachment.completed'), l.event('mr31', 'attachment.completed')]);
  return { lab: l, mn1: a.prefixes[0]!, mn2: b.prefixes[0]! };
}

const host = (prefix: string, n: number) => prefix.replace('::/64', `::${n}`);

/** What the MR's observer (tcpdump -q) prints for one packet, inner addresses last. */
function seen(lab: FakeLab, mr: string, line: string): Promise<void> {
  return waitFor(() => lab.node(mr).runner.argvs.some((a) => a[0] === 'tcpdump')).then(() => lab.node(mr).runner.output('tcpdump', line));
}

describe('distributed routing by LM query (draft-tu 4.3, figure 3)', () => {
  it('the correspondent’s MR asks the destination’s LM on the first packet and tunnels straight to the serving MR', async () => {
    const r = await twoNodes('query');
    lab = r.lab;
    lab.handover('mn1', 'mr11', 'mr2');
    await lab.event('mr2', 'handover.completed');
    await seen(lab, 'mr31', `1.0 IP6 ${host(r.mn2, 10)}.5000 > ${host(r.mn1, 11)}.6000: UDP, length 100`);
    const cached = await lab.event('mr31', 'cache.updated');
    expect(cached).toMatchObject({ prefix: r.mn1, mr: 'mr2', source: 'query' });
    expect(lab.bus.between('LMQ', 'mr31', 'lm1')).toHaveLength(1);
    expect(lab.state('mr31', 'mr').prefixes.find((p) => p.prefix === r.mn1)).toMatchObject({ cachedAt: 'mr2', route: 'tunnel to mr2' });
    // The LM remembers who asked, to tell it when the binding goes.
    expect(lab.state('lm1', 'lm').bindings.find((b) => b.prefix === r.mn1)?.queriers).toEqual(['mr31']);
  });

  it('asks once per cache lifetime however many packets it sees', async () => {
    const r = await twoNodes('query');
    lab = r.lab;
    const line = `1.0 IP6 ${host(r.mn2, 10)}.5000 > ${host(r.mn1, 11)}.6000: UDP, length 100`;
    await seen(lab, 'mr31', line);
    await seen(lab, 'mr31', line);
    await lab.event('mr31', 'cache.updated');
    expect(lab.bus.between('LMQ', 'mr31', 'lm1')).toHaveLength(1);
  });
});

describe('distributed routing by redirect (draft-tu 4.3, figure 4; 4.4, figure 5 step 7)', () => {
  it('the anchor sees traffic for a node served elsewhere and redirects the correspondent’s MR (LRI/LRA)', async () => {
    const r = await twoNodes('redirect');
    lab = r.lab;
    lab.handover('mn1', 'mr11', 'mr2');
    await lab.event('mr2', 'handover.completed');
    await seen(lab, 'mr11', `1.0 IP6 ${host(r.mn2, 10)}.5000 > ${host(r.mn1, 11)}.6000: UDP, length 100`);
    const sent = await lab.event('mr11', 'redirect.sent');
    expect(sent).toMatchObject({ prefix: r.mn1, to: 'mr31', location: 'mr2', reason: 'anchor' });
    await lab.event('mr31', 'cache.updated');
    expect(lab.bus.between('LRI', 'mr11', 'mr31')).toHaveLength(1);
    expect(lab.bus.between('LRA', 'mr31', 'mr11')).toHaveLength(1);
    expect(lab.state('mr31', 'mr').prefixes.find((p) => p.prefix === r.mn1)).toMatchObject({ cachedAt: 'mr2', cacheSource: 'redirect from mr11' });
  });

  it('when the prefix goes at its anchor, the MR it redirected drops its cache entry (BRI)', async () => {
    const r = await twoNodes('redirect');
    lab = r.lab;
    lab.handover('mn1', 'mr11', 'mr2');
    await lab.event('mr2', 'handover.completed');
    await seen(lab, 'mr11', `1.0 IP6 ${host(r.mn2, 10)}.5000 > ${host(r.mn1, 11)}.6000: UDP, length 100`);
    await lab.event('mr31', 'cache.updated');
    const mr11 = lab.node('mr11').roles.find((x) => x.name === 'mr') as unknown as MrRole;
    await mr11.releaseAnchored(r.mn1, undefined, 'released by the serving MR');
    expect(await lab.event('mr11', 'redirect.revoked')).toMatchObject({ prefix: r.mn1, to: 'mr31' });
    expect(lab.bus.between('BRI', 'mr11', 'mr31')).toHaveLength(1);
    expect(lab.state('mr31', 'mr').prefixes.find((p) => p.prefix === r.mn1)?.cachedAt).toBeUndefined();
  });

  it('a previous MR forwarding encapsulated traffic tells the sender’s MR where the node went', async () => {
    const r = await twoNodes('redirect');
    lab = r.lab;
    lab.handover('mn1', 'mr11', 'mr2');
    await lab.event('mr2', 'handover.completed');
    const mr31 = lab.plan.nodes.find((n) => n.name === 'mr31')!.loopback!;
    const mr11 = lab.plan.nodes.find((n) => n.name === 'mr11')!.loopback!;
    await seen(lab, 'mr11', `1.0 IP6 ${mr31} > ${mr11}: IP6 ${host(r.mn2, 10)}.5000 > ${host(r.mn1, 11)}.6000: UDP, length 100`);
    expect(await lab.event('mr11', 'redirect.sent')).toMatchObject({ to: 'mr31', location: 'mr2' });
  });

  it('refuses a redirect from a sender that is not an MR of the domain', async () => {
    const r = await twoNodes('redirect');
    lab = r.lab;
    const lm1 = lab.node('lm1').ctx.signalling;
    const mr2 = lab.plan.nodes.find((n) => n.name === 'mr2')!.loopback!;
    const mr31 = lab.plan.nodes.find((n) => n.name === 'mr31')!.loopback!;
    const reply = await lm1.request(
      {
        type: 'LRI',
        sequence: 1,
        lifetime: 60,
        options: [
          { kind: 'hnp', prefix: r.mn1 },
          { kind: 'altCoa', address: mr2 },
        ],
      },
      mr31,
    );
    expect(reply.message).toMatchObject({ type: 'LRA', status: 128 });
    expect(lab.state('mr31', 'mr').prefixes.find((p) => p.prefix === r.mn1)).toBeUndefined();
  });
});
