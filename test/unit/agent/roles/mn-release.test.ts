import { afterEach, describe, expect, it } from 'vitest';
import type { MnRole } from '../../../../agent/roles/mn/mn-role.js';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

/** The mobile node holds these global addresses on its radio (what `ip -j -6 address show` says). */
function holds(l: FakeLab, addresses: string[]): void {
  l.node('mn1').kernel.reads.set('-6 address show', [
    { ifname: 'mr11', addr_info: addresses.map((a) => ({ family: 'inet6', local: a, prefixlen: 64, scope: 'global', deprecated: false })) },
  ]);
}

describe('a mobile node giving up a home prefix', () => {
  it('holds it again once the network grants the same prefix anew (so it can give it up again)', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { nodes: ['mn1'] });
    const mn = lab.node('mn1').roles.find((r) => r.name === 'mn') as MnRole;
    holds(lab, ['2001:db8:1:8100::5']);
    await mn.release('2001:db8:1:8100::/64');
    expect(lab.node('mn1').kernel.matching(/^address del 2001:db8:1:8100::5\/64/)).toHaveLength(1);
    expect(lab.state('mn1', 'mn').released).toEqual(['2001:db8:1:8100::/64']);

    // Later the HAA leases the same prefix again and the node autoconfigures an address in it.
    holds(lab, ['2001:db8:1:8100::5']);
    lab.node('mn1').addressChanged();
    await new Promise((r) => setTimeout(r, 250));
    expect(lab.state('mn1', 'mn').released).toEqual([]);
  });
});
