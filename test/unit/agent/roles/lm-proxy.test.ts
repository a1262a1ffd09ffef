import { afterEach, describe, expect, it } from 'vitest';
import { BA_STATUS } from '../../../../shared/protocol/index.js';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('hierarchical LM entries (Chan figures 4 and 9): MR31 is network 3’s LM proxy', () => {
  it('binds a visiting node at the proxy upstream, keeps moves inside the network from the home LM, and relays the context transfer when it leaves', async () => {
    lab = await FakeLab.start('topologies/fig9.yaml');
    lab.attach('mn11', 'mr1');
    const { prefixes } = await lab.event('mr1', 'attachment.completed');
    const home = prefixes[0]!;
    lab.handover('mn11', 'mr1', 'mr32');
    await lab.event('mr32', 'handover.completed');
    // MR32 updates the proxy, which registers itself at the home LM: LM1 binds the prefix to MR31.
    expect(lab.bus.between('PBU', 'mr32', 'mr31').length).toBeGreaterThan(0);
    expect(lab.state('lm1', 'lm').bindings.find((b) => b.prefix === home)?.mr).toBe('mr31');
    expect(lab.state('mr31', 'mr').lmProxy).toEqual([expect.objectContaining({ mnId: 'mn11@net1.fake', serving: 'mr32', departed: false })]);
    const toLm1 = lab.bus.between('PBU', undefined, 'lm1').length;
    // A move inside network 3 ends at the proxy.
    lab.handover('mn11', 'mr32', 'mr31');
    await lab.event('mr31', 'handover.completed');
    expect(lab.bus.between('PBU', undefined, 'lm1').length).toBe(toLm1);
    expect(lab.state('mr31', 'mr').lmProxy?.[0]?.serving).toBe('mr31');
    lab.handover('mn11', 'mr31', 'mr32');
    await lab.event('mr32', 'handover.completed', (e) => e.from === 'mr31');
    // Out to MR2: LM1 names the proxy as previous MR; the proxy relays the HI to MR32, and LM1 revokes the proxy's entry.
    lab.handover('mn11', 'mr32', 'mr2');
    await lab.event('mr2', 'handover.completed');
    await lab.event('mr31', 'proxy.relayed');
    expect(lab.bus.between('HI', 'mr2', 'mr31')).toHaveLength(1);
    expect(lab.bus.between('HI', 'mr31', 'mr32').length).toBeGreaterThan(0);
    await lab.event('lm1', 'lm.proxy-released');
    expect(lab.bus.between('BRI', 'lm1', 'mr31')).toHaveLength(1);
    expect(lab.state('lm1', 'lm').bindings.find((b) => b.prefix === home)?.mr).toBe('mr2');
  });

  it('refuses updates from MRs of other networks and for nodes of its own network', async () => {
    lab = await FakeLab.start('topologies/fig9.yaml');
    const { proxyPbu, PURPOSE } = await import('../../../../shared/protocol/dmm-options.js');
    const mr31 = lab.plan.nodes.find((n) => n.name === 'mr31')!.loopback!;
    const fromOutside = await lab.node('mr2').ctx.signalling.request(proxyPbu(PURPOSE.LOCATION_UPDATE, 'mn11@net1.fake', [], 600), mr31);
    expect(fromOutside.message).toMatchObject({ type: 'PBA', status: BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG });
    expect((await lab.event('mr31', 'lm.refused')).reason).toMatch(/visiting nodes only/);
  });
});
