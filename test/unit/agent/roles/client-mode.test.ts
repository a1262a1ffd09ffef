import { afterEach, describe, expect, it } from 'vitest';
import { linkLocalFromMac } from '../../../../shared/ipv6.js';
import { PURPOSE, mnId, pbuFlags, purposeOption } from '../../../../shared/protocol/dmm-options.js';
import { BA_STATUS } from '../../../../shared/protocol/index.js';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

/** Lets the access router find its link-local address on the access link to `mn` (what `ip -j address show dev` says). */
function linkLocalOn(l: FakeLab, ar: string, mn: string): string {
  const iface = l.plan.nodes.find((n) => n.name === ar)!.interfaces.find((i) => i.kind === 'access' && i.peer.node === mn)!;
  const ll = linkLocalFromMac(iface.mac);
  l.node(ar).kernel.reads.set(`-6 address show dev ${iface.name}`, [{ addr_info: [{ local: ll, scope: 'link' }] }]);
  return ll;
}

/** The mobile node holds these addresses (what `ip -j -6 address show` says in it). */
function holds(l: FakeLab, mn: string, iface: string, addresses: { address: string; deprecated?: boolean }[]): void {
  l.node(mn).kernel.reads.set('-6 address show', [
    {
      ifname: iface,
      addr_info: addresses.map((a) => ({ family: 'inet6', local: a.address, prefixlen: 64, scope: 'global', deprecated: a.deprecated ?? false })),
    },
  ]);
}

describe('client-based mode (Chan figure 8)', () => {
  it('the access router waits for the node’s own binding update on its link, then runs the attachment', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { mobility: { mnMode: 'client' } });
    linkLocalOn(lab, 'mr11', 'mn1');
    lab.attach('mn1', 'mr11');
    await lab.event('mr11', 'mn.link-up');
    expect(lab.node('mr11').events.some((e) => e.kind === 'mn.attached')).toBe(false);
    lab.node('mn1').carrier('mr11', true);
    const done = await lab.event('mr11', 'attachment.completed');
    expect(done.mode).toBe('initial');
    const bu = lab.bus.between('BU', undefined, undefined);
    expect(bu.length).toBeGreaterThan(0);
    expect(bu[0]!.to).toMatch(/^fe80::/);
  });

  it('refuses a binding update for a node that has no access link here', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { mobility: { mnMode: 'client' } });
    const ll = linkLocalOn(lab, 'mr31', 'mn2');
    lab.attach('mn2', 'mr31');
    await lab.event('mr31', 'mn.link-up');
    const reply = await lab
      .node('mn1')
      .ctx.signalling.request(
        { type: 'PBU', sequence: 9, flags: pbuFlags(false), lifetime: 600, options: [purposeOption(PURPOSE.CLIENT_UPDATE), mnId('mn1@net1.fake')] },
        `${ll}%mr31`,
      )
      .catch((e: unknown) => e);
    expect(reply).toMatchObject({ message: { type: 'PBA', status: BA_STATUS.ADMINISTRATIVELY_PROHIBITED } });
  });
});

describe('giving up a home address (draft-tu 4.2)', () => {
  it('the mobile node releases a prefix through its access router: routes, bindings and the lease go', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    linkLocalOn(lab, 'mr11', 'mn1');
    lab.attach('mn1', 'mr11');
    const { prefixes } = await lab.event('mr11', 'attachment.completed');
    const home = prefixes[0]!;
    lab.node('mn1').carrier('mr11', true);
    await lab.event('mn1', 'radio.up');
    holds(lab, 'mn1', 'mr11', [{ address: home.replace('::/64', '::7') }]);
    const mn = lab.node('mn1').roles.find((r) => r.name === 'mn')!;
    expect(await mn.operations!.release!({ id: 1, op: 'release', prefix: home })).toEqual({ prefix: home, via: 'mr11' });
    await lab.event('lm1', 'lease.released', (e) => e.prefix === home);
    expect(lab.state('lm1', 'haa').leases).toEqual([]);
    expect(lab.state('mr11', 'mr').prefixes.find((p) => p.prefix === home)).toBeUndefined();
    expect(lab.node('mn1').kernel.matching(/^address del /)).toEqual([`address del ${home.replace('::/64', '::7')}/64 dev mr11`]);
    expect(lab.state('mn1', 'mn').released).toEqual([home]);
  });
});

describe('the mobile node’s session-identifier function (Chan section 5)', () => {
  it('gives up a deprecated home address once no socket uses it and no packet crosses it', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml');
    linkLocalOn(lab, 'mr2', 'mn1');
    lab.attach('mn1', 'mr11');
    const old = (await lab.event('mr11', 'attachment.completed')).prefixes[0]!;
    lab.handover('mn1', 'mr11', 'mr2');
    const fresh = (await lab.event('mr2', 'handover.completed')).prefixes.find((p) => p !== old)!;
    lab.node('mn1').carrier('mr2', true);
    await lab.event('mn1', 'radio.up');
    holds(lab, 'mn1', 'mr2', [{ address: old.replace('::/64', '::7'), deprecated: true }, { address: fresh.replace('::/64', '::7') }]);
    // The address monitor says something changed: with two home addresses, one deprecated, the node starts looking.
    lab.node('mn1').addressChanged();
    const releasing = await lab.event('mn1', 'prefix.releasing', () => true, 5000);
    expect(releasing).toMatchObject({ prefix: old, via: 'mr2' });
    await lab.event('mr11', 'anchor.released', (e) => e.prefix === old, 2000);
    // It asked the kernel for sockets (ss) and listened for traffic (tcpdump) before deciding.
    const programs = lab.node('mn1').runner.argvs.map((a) => a[0]);
    expect(programs).toContain('ss');
    expect(programs).toContain('tcpdump');
  });
});
