import { afterEach, describe, expect, it } from 'vitest';
import { BA_STATUS } from '../../../../shared/protocol/index.js';
import { PURPOSE, hnpsOf, locationQuery, proxyPbu } from '../../../../shared/protocol/dmm-options.js';
import { altCoaOf } from '../../../../shared/protocol/dmm-options.js';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

const addressOf = (l: FakeLab, node: string) => l.plan.nodes.find((n) => n.name === node)!.loopback!;

describe('location management (draft-tu 3.1 c)', () => {
  it('binds a prefix to the MR that updates it, answers queries with it, and tells the MRs that asked when it goes', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const mr11 = lab.node('mr11').ctx.signalling;
    const lm1 = addressOf(lab, 'lm1');
    const prefix = '2001:db8:1:8000::/64';
    const ack = await mr11.request(proxyPbu(PURPOSE.LOCATION_UPDATE, 'mn1@net1.fake', [prefix], 600), lm1);
    expect(ack.message).toMatchObject({ type: 'PBA', status: BA_STATUS.ACCEPTED });
    const answer = await lab.node('mr31').ctx.signalling.request(locationQuery(prefix), lm1);
    expect(altCoaOf(answer.message)).toBe(addressOf(lab, 'mr11'));
    expect(lab.state('lm1', 'lm').bindings).toEqual([expect.objectContaining({ prefix, mr: 'mr11', queriers: ['mr31'] })]);
    // Deregistration: the binding goes and the querier hears of it (BRI).
    await mr11.request(proxyPbu(PURPOSE.LOCATION_UPDATE, 'mn1@net1.fake', [prefix], 0), lm1);
    await lab.event('lm1', 'binding.removed');
    await new Promise((r) => setTimeout(r, 20));
    expect(lab.bus.between('BRI', 'lm1', 'mr31')).toHaveLength(1);
    expect(lab.state('lm1', 'lm').bindings).toEqual([]);
  });

  it('answers a query for an unknown prefix with no location', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const answer = await lab.node('mr31').ctx.signalling.request(locationQuery('2001:db8:1:8042::/64'), addressOf(lab, 'lm1'));
    expect(altCoaOf(answer.message)).toBeUndefined();
  });

  it('refuses an update from a node that is not an MR of the domain, and logs it', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const ack = await lab
      .node('lm2')
      .ctx.signalling.request(proxyPbu(PURPOSE.LOCATION_UPDATE, 'mn1@net1.fake', ['2001:db8:1:8000::/64'], 600), addressOf(lab, 'lm1'));
    expect(ack.message).toMatchObject({ type: 'PBA', status: BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG });
    expect((await lab.event('lm1', 'lm.refused')).reason).toMatch(/not an MR/);
    expect(lab.state('lm1', 'lm').bindings).toEqual([]);
  });
});

describe('home address allocation (draft-tu 3.1 a)', () => {
  it('leases the lowest free /64 of the asking MR’s anchor aggregate, renews it for the same node, refuses it to another', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const mr12 = lab.node('mr12').ctx.signalling;
    const haa = addressOf(lab, 'lm1');
    const first = await mr12.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'a@net1.fake', ['::/0'], 3600), haa);
    const second = await mr12.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'b@net1.fake', ['::/0'], 3600), haa);
    const [p1] = hnpsOf(first.message);
    const [p2] = hnpsOf(second.message);
    const anchor = lab.plan.nodes.find((n) => n.name === 'mr12')!.anchor!;
    expect(p1).toBe(anchor.replace(/::\/\d+$/, '::/64'));
    expect(p2).not.toBe(p1);
    const renewal = await mr12.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'a@net1.fake', [p1!], 3600), haa);
    expect(renewal.message).toMatchObject({ status: BA_STATUS.ACCEPTED });
    await lab.event('lm1', 'lease.renewed', (e) => e.prefix === p1);
    const theft = await mr12.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'b@net1.fake', [p1!], 3600), haa);
    expect(theft.message).toMatchObject({ status: BA_STATUS.NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX });
  });

  it('refuses an MR of another network', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    const r = await lab.node('mr2').ctx.signalling.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'x@net2.fake', ['::/0'], 3600), addressOf(lab, 'lm1'));
    expect(r.message).toMatchObject({ status: BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG });
    expect((await lab.event('lm1', 'haa.refused')).from).toBe(addressOf(lab, 'mr2'));
  });

  it('lets an unused lease expire and revokes it at its anchor (BRI)', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { mobility: { leaseLifetime: 1 } });
    const r = await lab.node('mr12').ctx.signalling.request(proxyPbu(PURPOSE.HAA_ALLOCATION, 'a@net1.fake', ['::/0'], 1), addressOf(lab, 'lm1'));
    const [prefix] = hnpsOf(r.message);
    const expired = await lab.event('lm1', 'lease.expired', (e) => e.prefix === prefix, 3000);
    expect(expired.anchor).toBe('mr12');
    await new Promise((res) => setTimeout(res, 20));
    expect(lab.bus.between('BRI', 'lm1', 'mr12')).toHaveLength(1);
    expect(lab.bus.between('BRA', 'mr12', 'lm1')).toHaveLength(1);
    expect(lab.state('lm1', 'haa').leases).toEqual([]);
  });
});
