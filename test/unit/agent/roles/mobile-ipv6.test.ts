import { afterEach, describe, expect, it } from 'vitest';
import { homeRegistration } from '../../../../shared/protocol/dmm-options.js';
import { BA_STATUS } from '../../../../shared/protocol/index.js';
import { FakeLab } from '../../../support/agent-fakes.js';
import { atHome as atHomeOf, careOfPrefix, givesCareOf as givesCareOfTo, move as moveOf } from '../../../support/mipv6-fakes.js';

const atHome = (l: FakeLab) => atHomeOf(l, 'mn', 'ha');
const givesCareOf = (l: FakeLab, ar: string, coa: string) => givesCareOfTo(l, 'mn', ar, coa);
const move = (l: FakeLab, from: string, to: string) => moveOf(l, 'mn', from, to);

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('Mobile IPv6 (Chan figure 1): the mobile node binds its care-of address and is the tunnel end', () => {
  it('away: one BU from the care-of address to the home agent, which tunnels the home prefix to the node; the visited router says nothing', async () => {
    lab = await FakeLab.start('topologies/mipv6.yaml');
    const { home, hoa } = await atHome(lab);
    const coa = careOfPrefix(lab, 'var1').replace('::/64', '::99');
    givesCareOf(lab, 'var1', coa);
    const sentBefore = lab.bus.log.length;
    move(lab, 'ha', 'var1');
    const reg = await lab.event('mn', 'home.registered');
    expect(reg).toMatchObject({ homeAgent: 'ha', careOf: coa, prefixes: [home], lifetime: 600, status: BA_STATUS.ACCEPTED });
    await lab.event('mn', 'handover.completed', (e) => e.to === 'var1' && e.from === 'ha');

    const sent = lab.bus.log.slice(sentBefore);
    expect(sent.map((m) => [m.msg, m.from, m.toNode])).toEqual([
      ['BU', coa, 'ha'],
      ['BA', lab.plan.nodes.find((n) => n.name === 'ha')!.loopback, coa],
    ]);
    const bu = sent[0]!.message;
    expect(bu.type === 'PBU' && bu.flags).toMatchObject({ H: true, P: false, A: true });
    expect(bu.options).toContainEqual({ kind: 'altCoa', address: coa });
    expect(lab.bus.log.some((m) => m.fromNode === 'var1')).toBe(false);

    const entry = lab.state('ha', 'mr').prefixes.find((p) => p.prefix === home);
    expect(entry).toMatchObject({ servedBy: 'mn', route: 'tunnel to mn' });
    expect(entry?.hold).toBeUndefined();
    expect(lab.node('ha').kernel.matching(/table 100 encap seg6/)).toContainEqual(
      `route replace ${home} table 100 encap seg6 mode encap.red segs ${coa} dev dmm0`,
    );
    const ep = lab.plan.nodes.find((n) => n.name === 'ha')!.tunnelEndpoint!;
    const mn = lab.node('mn').kernel;
    expect(mn.matching(/^address replace /)).toEqual([`address replace ${hoa}/128 dev lo`]);
    expect(mn.matching(/^rule add pref 50 /)).toEqual([`rule add pref 50 to ${coa}/128 ipproto 41 lookup 90`]);
    expect(mn.matching(/^route replace default /)).toEqual([`route replace default encap seg6 mode encap.red segs ${ep} dev dmm0 src ${hoa} metric 10`]);
    expect(lab.state('mn', 'mn').mobileIpv6).toEqual({ homeAddresses: [hoa], careOf: coa, homeAgent: 'ha' });
    expect(lab.state('var1', 'ar').visitors[0]).toMatchObject({ mn: 'mn', state: 'attached', prefixes: [] });
  });

  it('a move inside the visited network re-points the tunnel; back home the node deregisters and takes its tunnel down', async () => {
    lab = await FakeLab.start('topologies/mipv6.yaml');
    const { home } = await atHome(lab);
    const coa1 = careOfPrefix(lab, 'var1').replace('::/64', '::99');
    const coa2 = careOfPrefix(lab, 'var2').replace('::/64', '::99');
    givesCareOf(lab, 'var1', coa1);
    givesCareOf(lab, 'var2', coa2);
    move(lab, 'ha', 'var1');
    await lab.event('mn', 'home.registered', (e) => e.careOf === coa1);
    move(lab, 'var1', 'var2');
    await lab.event('mn', 'home.registered', (e) => e.careOf === coa2);
    expect(
      lab
        .node('ha')
        .kernel.matching(/table 100 encap seg6/)
        .at(-1),
    ).toContain(`segs ${coa2} `);
    // The previous care-of address's decapsulation goes with the move.
    expect(lab.node('mn').kernel.matching(/table 90$/)).toContainEqual(`route del ${coa1}/128 table 90`);

    move(lab, 'var2', 'ha');
    const back = await lab.event('mn', 'home.registered', (e) => e.lifetime === 0);
    expect(back.status).toBe(BA_STATUS.ACCEPTED);
    const entry = lab.state('ha', 'mr').prefixes.find((p) => p.prefix === home);
    expect(entry?.servedBy).toBeUndefined();
    expect(entry?.route).toMatch(/^on-link/);
    const mn = lab.node('mn').kernel;
    for (const line of ['link del dmm0', 'rule add pref 0 lookup local', 'rule del pref 100', 'rule del pref 50']) expect(mn.matching(/./)).toContain(line);
    expect(lab.state('mn', 'mn').mobileIpv6).toEqual({ homeAddresses: [home.replace('::/64', '::7')] });
  });

  it('back home, deregisters from the home address only once the home link has given it again', async () => {
    lab = await FakeLab.start('topologies/mipv6.yaml');
    const { hoa } = await atHome(lab);
    const coa = careOfPrefix(lab, 'var1').replace('::/64', '::99');
    givesCareOf(lab, 'var1', coa);
    move(lab, 'ha', 'var1');
    await lab.event('mn', 'home.registered', (e) => e.careOf === coa);
    // The radio to the home link was down, so its address comes again with the home router's advertisement:
    // tentative first. A socket bound to it now fails, and the home agent would never hear the node is home.
    const kernel = lab.node('mn').kernel;
    const held = kernel.reads.get('-6 address show');
    kernel.reads.set('-6 address show', [{ ifname: 'ha', addr_info: [{ family: 'inet6', local: hoa, prefixlen: 64, scope: 'global', tentative: true }] }]);
    const before = lab.bus.log.length;
    move(lab, 'var1', 'ha');
    await new Promise((r) => setTimeout(r, 300));
    expect(lab.bus.log.slice(before).filter((m) => m.msg === 'BU')).toEqual([]);
    kernel.reads.set('-6 address show', held ?? []);
    lab.node('mn').addressChanged();
    const back = await lab.event('mn', 'home.registered', (e) => e.lifetime === 0);
    expect(back.status).toBe(BA_STATUS.ACCEPTED);
    expect(
      lab.bus.log
        .slice(before)
        .filter((m) => m.msg === 'BU')
        .map((m) => m.from),
    ).toEqual([hoa]);
    expect(lab.node('mn').events.some((e) => e.kind === 'log' && /no home address back/.test(String(e.message)))).toBe(false);
  });

  it('a move that overtakes one still waiting for its care-of address wins: one binding, to the newer cell', async () => {
    lab = await FakeLab.start('topologies/mipv6.yaml');
    await atHome(lab);
    const coa2 = careOfPrefix(lab, 'var2').replace('::/64', '::99');
    givesCareOf(lab, 'var2', coa2); // var1's advertisement never comes before the node moves on
    const before = lab.bus.log.length;
    move(lab, 'ha', 'var1');
    // The node is waiting on var1 for an address when it moves on.
    await new Promise((r) => setTimeout(r, 30));
    move(lab, 'var1', 'var2');
    await lab.event('mn', 'home.registered', (e) => e.careOf === coa2);
    expect(lab.bus.log.slice(before).filter((m) => m.msg === 'BU')).toHaveLength(1);
    expect(lab.state('mn', 'mn').mobileIpv6?.careOf).toBe(coa2);
    expect(lab.node('mn').events.some((e) => e.kind === 'log' && /no care-of address/.test(String(e.message)))).toBe(false);
    expect(lab.state('ha', 'mr').prefixes[0]).toMatchObject({ servedBy: 'mn' });
  });

  it('the home agent refuses an unknown node, a care-of address other than the sender, and a prefix it does not anchor', async () => {
    lab = await FakeLab.start('topologies/mipv6.yaml');
    const { home } = await atHome(lab);
    const ha = lab.plan.nodes.find((n) => n.name === 'ha')!.loopback!;
    const coa = careOfPrefix(lab, 'var1').replace('::/64', '::99');
    const mnId = lab.plan.mobility.mns[0]!.id;
    const visitedPrefix = lab.plan.nodes.find((n) => n.name === 'var1')!.anchor!.replace(/\/\d+$/, '/64');
    const endpoint = lab.node('mn').ctx.signalling;
    await endpoint.listen(coa);
    const status = async (m: ReturnType<typeof homeRegistration>) => {
      const r = await endpoint.request(m, ha);
      return r.message.type === 'PBA' ? r.message.status : undefined;
    };
    expect(await status(homeRegistration('stranger@home.fake', [home], coa, 600))).toBe(BA_STATUS.ADMINISTRATIVELY_PROHIBITED);
    expect(await status(homeRegistration(mnId, [home], '2001:db8:60:ffff::1', 600))).toBe(BA_STATUS.ADMINISTRATIVELY_PROHIBITED);
    expect(await status(homeRegistration(mnId, [visitedPrefix], coa, 600))).toBe(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE);
    expect(lab.node('ha').events.filter((e) => e.kind === 'home.refused')).toHaveLength(3);
    expect(lab.state('ha', 'mr').prefixes.find((p) => p.prefix === home)?.servedBy).toBeUndefined();
  });
});
