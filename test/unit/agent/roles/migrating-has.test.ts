import { afterEach, describe, expect, it } from 'vitest';
import { homeSync } from '../../../../shared/protocol/dmm-options.js';
import { BA_STATUS, LRA_STATUS } from '../../../../shared/protocol/index.js';
import { FakeLab } from '../../../support/agent-fakes.js';
import { atHome, careOfOn, givesCareOf, move } from '../../../support/mipv6-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

const TOPOLOGY = 'topologies/migrating-has.yaml';
const loopback = (l: FakeLab, node: string) => l.plan.nodes.find((n) => n.name === node)!.loopback!;
const anchorOf = (l: FakeLab, node: string) => l.plan.nodes.find((n) => n.name === node)!.anchor!;

/** Waits until every home agent holds `prefix` as `servedBy` (undefined: no binding). */
async function everyHomeAgent(l: FakeLab, prefix: string, servedBy: string | undefined): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const held = ['mr1', 'mr2', 'mr3'].map((ha) => l.state(ha, 'mr').prefixes.find((p) => p.prefix === prefix)?.servedBy);
    if (held.every((s) => s === servedBy)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`not every home agent has ${prefix} served by ${servedBy ?? 'nobody'}`);
}

describe('migrating home agents (Chan figure 6): every home agent holds every binding', () => {
  it('each home agent tunnels the other home agents’ prefixes to them from the start', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    const mr2 = lab.state('mr2', 'mr').prefixes;
    expect(mr2.find((p) => p.prefix === anchorOf(lab!, 'mr1'))).toMatchObject({ interceptedFor: 'mr1', route: 'tunnel to mr1' });
    expect(mr2.find((p) => p.prefix === anchorOf(lab!, 'mr3'))).toMatchObject({ interceptedFor: 'mr3', route: 'tunnel to mr3' });
    expect(mr2.find((p) => p.prefix === anchorOf(lab!, 'mr2'))).toBeUndefined();
    // An access router that is no home agent (AR31) holds none.
    expect(lab.state('ar31', 'mr').prefixes).toEqual([]);
  });

  it('away: the node registers with the home agent nearest its cell, which tells its LM; the replicas pass it on to every home agent', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    const { home, hoa } = await atHome(lab, 'mn11', 'mr1');
    const coa = careOfOn(lab, 'mr3');
    givesCareOf(lab, 'mn11', 'mr3', coa);
    const before = lab.bus.log.length;
    move(lab, 'mn11', 'mr1', 'mr3');
    const reg = await lab.event('mn11', 'home.registered');
    expect(reg).toMatchObject({ homeAgent: 'mr3', careOf: coa, prefixes: [home], status: BA_STATUS.ACCEPTED });
    await everyHomeAgent(lab, home, 'mn11');
    await lab.event('lm2', 'lm.synced');
    await lab.event('lm1', 'lm.synced');

    const sent = lab.bus.log.slice(before).filter((m) => !['PBA', 'BA', 'LRA'].includes(m.msg));
    expect(sent.map((m) => `${m.msg} ${m.fromNode}→${m.toNode}`).sort()).toEqual(
      [`BU ${coa}→mr3`, 'PBU mr3→lm3', 'PBU lm3→lm1', 'PBU lm3→lm2', 'LRI lm1→mr1', 'LRI lm2→mr2'].sort(),
    );
    for (const m of sent.filter((x) => x.msg !== 'BU')) expect(m.message.options).toContainEqual({ kind: 'altCoa', address: coa });
    // Every acknowledgement says yes.
    const acks = lab.bus.log.slice(before).filter((m) => ['PBA', 'LRA'].includes(m.msg));
    expect(acks).toHaveLength(5);
    for (const a of acks) expect('status' in a.message && a.message.status).toBe(0);

    // The home agent nearest the correspondent tunnels the prefix straight to the care-of address.
    expect(lab.node('mr2').kernel.matching(/table 100 encap seg6/)).toContainEqual(
      `route replace ${home} table 100 encap seg6 mode encap.red segs ${coa} dev dmm0`,
    );
    // MR3, the node's access router too, lets what the node tunnels to it leave by its cell's source check.
    const cell = lab.accessIface('mr3', 'mn11');
    expect(lab.node('mr3').kernel.matching(/^rule add pref 1180 /)).toContainEqual(`rule add pref 1180 from ${home} iif ${cell} lookup main`);
    // Every LM replica holds the binding.
    for (const lm of ['lm1', 'lm2', 'lm3']) expect(lab.state(lm, 'lm').bindings).toContainEqual(expect.objectContaining({ prefix: home, location: coa }));
    expect(lab.state('mn11', 'mn').mobileIpv6).toEqual({ homeAddresses: [hoa], careOf: coa, homeAgent: 'mr3' });

    // A move to AR31, under MR3: the nearest home agent is still MR3; every home agent follows.
    const coa2 = careOfOn(lab, 'ar31');
    givesCareOf(lab, 'mn11', 'ar31', coa2);
    move(lab, 'mn11', 'mr3', 'ar31');
    await lab.event('mn11', 'home.registered', (e) => e.careOf === coa2);
    for (let i = 0; i < 200 && !lab.node('mr2').kernel.matching(new RegExp(`segs ${coa2} `)).length; i++) await new Promise((r) => setTimeout(r, 5));
    expect(
      lab
        .node('mr2')
        .kernel.matching(/table 100 encap seg6/)
        .at(-1),
    ).toContain(`segs ${coa2} `);
    expect(
      lab
        .node('mr3')
        .kernel.matching(/pref 1180 from /)
        .at(-1),
    ).toBe(`rule del pref 1180 from ${home} iif ${cell} lookup main`);

    // Home again: the node deregisters with MR3, and no home agent keeps a binding.
    move(lab, 'mn11', 'ar31', 'mr1');
    const back = await lab.event('mn11', 'home.registered', (e) => e.lifetime === 0);
    expect(back).toMatchObject({ homeAgent: 'mr3', status: BA_STATUS.ACCEPTED });
    await everyHomeAgent(lab, home, undefined);
    for (let i = 0; i < 200 && lab.state('lm2', 'lm').bindings.length; i++) await new Promise((r) => setTimeout(r, 5));
    for (const lm of ['lm1', 'lm2', 'lm3']) expect(lab.state(lm, 'lm').bindings.filter((b) => b.prefix === home)).toEqual([]);
  });

  it('a synchronisation from a sender with no business sending it is refused and logged', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    const { home } = await atHome(lab, 'mn11', 'mr1');
    const mnId = lab.plan.mobility.mns[0]!.id;
    const coa = careOfOn(lab, 'mr3');
    const status = async (from: string, type: 'PBU' | 'LRI', to: string) => {
      const r = await lab!.node(from).ctx.signalling.request(homeSync(type, mnId, [home], coa, 600), loopback(lab!, to));
      return 'status' in r.message ? r.message.status : undefined;
    };
    // An MR pushing a binding to a home agent: only an LM replica may.
    expect(await status('mr3', 'LRI', 'mr2')).toBe(LRA_STATUS.NOT_ALLOWED);
    expect(lab.node('mr2').events.find((e) => e.kind === 'home.refused')).toMatchObject({ reason: expect.stringMatching(/is no LM of the domain/) as string });
    // A home agent of another network telling LM1: only LM1's own home agents and the other replicas may.
    expect(await status('mr3', 'PBU', 'lm1')).toBe(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    // An access router that is no home agent, to its own network's LM.
    expect(await status('ar31', 'PBU', 'lm3')).toBe(BA_STATUS.MAG_NOT_AUTHORIZED_FOR_PROXY_REG);
    expect(lab.node('lm1').events.filter((e) => e.kind === 'lm.refused')).toHaveLength(1);
    expect(lab.node('lm3').events.filter((e) => e.kind === 'lm.refused')).toHaveLength(1);
    // Nothing was bound anywhere.
    expect(lab.state('mr2', 'mr').prefixes.find((p) => p.prefix === home)).toBeUndefined();
    expect(lab.state('lm1', 'lm').bindings.filter((b) => b.location === coa)).toEqual([]);
  });
});
