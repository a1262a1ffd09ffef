import { afterEach, describe, expect, it } from 'vitest';
import { mapRegistration } from '../../../../shared/protocol/dmm-options.js';
import { BA_STATUS } from '../../../../shared/protocol/index.js';
import { HAIRPIN, hmipTeardownLines, hmipTunnelLines, regionalAddress, type HmipPlace } from '../../../../agent/roles/mn/hmip-lines.js';
import { FakeLab } from '../../../support/agent-fakes.js';
import { atHome, careOfOn, givesCareOf, move } from '../../../support/mipv6-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

const TOPOLOGY = 'topologies/hmipv6.yaml';
const regionalOf = (l: FakeLab) => l.plan.networks.find((n) => n.name === 'visited')!.regional!;
const loopback = (l: FakeLab, node: string) => l.plan.nodes.find((n) => n.name === node)!.loopback!;

describe('Hierarchical Mobile IPv6 (Chan figure 4): the MAP binds the regional care-of address to the on-link one', () => {
  it('entering the MAP’s domain: a MAP registration, then a home registration of the regional address; a move under the MAP only reaches the MAP; home, both go', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    const { home, hoa } = await atHome(lab, 'mn', 'ha');
    const lcoa1 = careOfOn(lab, 'var1');
    const lcoa2 = careOfOn(lab, 'var2');
    givesCareOf(lab, 'mn', 'var1', lcoa1);
    givesCareOf(lab, 'mn', 'var2', lcoa2);
    const rcoa = regionalAddress(regionalOf(lab), lcoa1);
    expect(rcoa.startsWith(regionalOf(lab).replace('::/64', ':'))).toBe(true);

    const before = lab.bus.log.length;
    move(lab, 'mn', 'ha', 'var1');
    await lab.event('mn', 'handover.completed', (e) => e.to === 'var1');
    const sent = lab.bus.log.slice(before);
    expect(sent.map((m) => `${m.msg} ${m.fromNode}→${m.toNode}`)).toEqual([`BU ${lcoa1}→map`, `BA map→${lcoa1}`, `BU ${rcoa}→ha`, `BA ha→${rcoa}`]);
    const local = sent[0]!.message;
    expect(local.type === 'PBU' && local.flags).toMatchObject({ M: true, H: false, A: true, P: false });
    expect(local.options).toContainEqual({ kind: 'altCoa', address: lcoa1 });
    expect(sent[2]!.message.options).toContainEqual({ kind: 'altCoa', address: rcoa });
    expect(lab.state('map', 'mr').prefixes).toContainEqual(expect.objectContaining({ prefix: `${rcoa}/128`, servedBy: 'mn' }));
    expect(lab.state('ha', 'mr').prefixes.find((p) => p.prefix === home)).toMatchObject({ servedBy: 'mn' });
    expect(lab.node('ha').kernel.matching(/table 100 encap seg6/)).toContainEqual(
      `route replace ${home} table 100 encap seg6 mode encap.red segs ${rcoa} dev dmm0`,
    );
    expect(lab.state('mn', 'mn').mobileIpv6).toEqual({ homeAddresses: [hoa], careOf: lcoa1, homeAgent: 'ha', regionalCareOf: rcoa, map: 'map' });

    const before2 = lab.bus.log.length;
    move(lab, 'mn', 'var1', 'var2');
    await lab.event('mn', 'handover.completed', (e) => e.to === 'var2');
    expect(lab.bus.log.slice(before2).map((m) => `${m.msg} ${m.fromNode}→${m.toNode}`)).toEqual([`BU ${lcoa2}→map`, `BA map→${lcoa2}`]);
    expect(lab.state('mn', 'mn').mobileIpv6?.regionalCareOf).toBe(rcoa);
    expect(
      lab
        .node('map')
        .kernel.matching(/table 100 encap seg6/)
        .at(-1),
    ).toContain(`segs ${lcoa2} `);

    const before3 = lab.bus.log.length;
    move(lab, 'mn', 'var2', 'ha');
    await lab.event('mn', 'home.registered', (e) => e.lifetime === 0);
    const back = lab.bus.log.slice(before3).filter((m) => m.msg === 'BU');
    // From the home address, to the MAP first (its binding goes), then to the home agent.
    expect(back.map((m) => `${m.fromNode}→${m.toNode} ${m.message.type === 'PBU' ? m.message.lifetime : '?'}`)).toEqual([`${hoa}→map 0`, `${hoa}→ha 0`]);
    expect(lab.state('map', 'mr').prefixes.filter((p) => p.servedBy === 'mn')).toEqual([]);
    expect(lab.state('ha', 'mr').prefixes.find((p) => p.prefix === home)?.servedBy).toBeUndefined();
    expect(lab.state('mn', 'mn').mobileIpv6).toEqual({ homeAddresses: [hoa] });
  });

  it('a MAP refuses a non-MAP registration target, an address outside its regional prefix, and an on-link address other than the sender', async () => {
    lab = await FakeLab.start(TOPOLOGY);
    await atHome(lab, 'mn', 'ha');
    const mnId = lab.plan.mobility.mns[0]!.id;
    const lcoa = careOfOn(lab, 'var1');
    const rcoa = regionalAddress(regionalOf(lab), lcoa);
    const endpoint = lab.node('mn').ctx.signalling;
    await endpoint.listen(lcoa);
    const status = async (m: ReturnType<typeof mapRegistration>, to: string) => {
      const r = await endpoint.request(m, loopback(lab!, to));
      return r.message.type === 'PBA' ? r.message.status : undefined;
    };
    expect(await status(mapRegistration(mnId, rcoa, lcoa, 600), 'var1')).toBe(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE);
    expect(await status(mapRegistration(mnId, '2001:db8:60:ffff::1', lcoa, 600), 'map')).toBe(BA_STATUS.NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE);
    expect(await status(mapRegistration(mnId, rcoa, '2001:db8:60:1003::5', 600), 'map')).toBe(BA_STATUS.ADMINISTRATIVELY_PROHIBITED);
    expect(lab.node('map').events.filter((e) => e.kind === 'home.refused')).toHaveLength(2);
    expect(lab.state('map', 'mr').prefixes).toEqual([]);
  });
});

describe('the node’s two tunnels (hmip-lines.ts)', () => {
  const mr = (node: string, n: number) => ({ node, network: 'x', address: `2001:db8:${n}::1`, tunnelEndpoint: `2001:db8:${n}:1::1`, anchor: '' });
  const place = (driver: 'seg6' | 'ip6tnl', careOf: string): HmipPlace => ({
    driver,
    iface: 'var1',
    arLinkLocal: 'fe80::1',
    careOf,
    regional: '2001:db8:60:1005::99',
    homeAddresses: ['2001:db8:50:8000::7'],
    homeAgent: mr('ha', 50),
    map: mr('map', 60),
  });

  it('seg6: no tunsrc, the regional address on dmm0, both decapsulations through the hairpin, the home agent reached through the MAP', () => {
    const lines = hmipTunnelLines(place('seg6', '2001:db8:60:1003::99'));
    expect(lines).toContain('sr tunsrc set ::');
    expect(lines).toContain('address replace 2001:db8:60:1005::99/128 dev dmm0 nodad');
    expect(lines).toContain(`route replace 2001:db8:60:1003::99/128 encap seg6local action End.DX6 nh6 ${HAIRPIN} dev dmm0 table 90`);
    expect(lines).toContain(`route replace 2001:db8:60:1005::99/128 encap seg6local action End.DX6 nh6 ${HAIRPIN} dev dmm0 table 90`);
    expect(lines).toContain('rule add pref 51 to 2001:db8:60:1005::99/128 ipproto 41 lookup 90');
    expect(lines).toContain('route replace 2001:db8:50:1::1/128 encap seg6 mode encap.red segs 2001:db8:60:1::1 dev var1');
    expect(lines.at(-1)).toBe('route replace default encap seg6 mode encap.red segs 2001:db8:50:1::1 dev dmm0 src 2001:db8:50:8000::7 metric 10');
    // A move under the same MAP swaps the on-link decapsulation only.
    const moved = hmipTunnelLines({ ...place('seg6', '2001:db8:60:1004::99'), iface: 'var2' }, place('seg6', '2001:db8:60:1003::99'));
    expect(moved).toContain('route del 2001:db8:60:1003::99/128 table 90');
    expect(moved.some((l) => l.startsWith('link add'))).toBe(false);
    expect(moved.some((l) => l.includes('2001:db8:60:1005::99/128 encap'))).toBe(false);
  });

  it('ip6tnl: a device per tunnel, the home agent routed into the outer one; teardown removes both', () => {
    const lines = hmipTunnelLines(place('ip6tnl', '2001:db8:60:1003::99'));
    expect(lines).toContain('link add mip6 type ip6tnl mode ip6ip6 local 2001:db8:60:1005::99 remote 2001:db8:50::1 encaplimit none hoplimit 64');
    expect(lines).toContain('link add hmip6 type ip6tnl mode ip6ip6 local 2001:db8:60:1003::99 remote 2001:db8:60::1 encaplimit none hoplimit 64');
    expect(lines).toContain('route replace 2001:db8:50::1/128 dev hmip6');
    expect(hmipTeardownLines(place('ip6tnl', '2001:db8:60:1003::99'))).toEqual([
      'route del 2001:db8:60::1/128',
      'link del hmip6',
      'link del mip6',
      'address del 2001:db8:60:1005::99/128 dev lo',
      'address del 2001:db8:50:8000::7/128 dev lo',
    ]);
  });
});
