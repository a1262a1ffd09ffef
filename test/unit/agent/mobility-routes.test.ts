import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../agent/events.js';
import { MobilityRoutes, RouteChanges } from '../../../agent/kernel/mobility-routes.js';
import { tunnelDriver } from '../../../agent/kernel/tunnel-driver.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { FakeKernel } from '../../support/agent-fakes.js';

const mr = (node: string, i: number): MrInfo => ({
  node,
  network: 'net1',
  address: `2001:db8:1::${i}`,
  tunnelEndpoint: `2001:db8:1:1::${i}`,
  anchor: `2001:db8:1:8${i}00::/56`,
});
const MR11 = mr('mr11', 1);
const MR12 = mr('mr12', 2);

function routes(): { r: MobilityRoutes; kernel: FakeKernel } {
  const kernel = new FakeKernel();
  return { r: new MobilityRoutes(kernel, tunnelDriver('seg6'), new EventBus('mr2', undefined), [MR11, MR12]), kernel };
}

async function change(r: MobilityRoutes, build: (c: RouteChanges) => void): Promise<void> {
  const c = new RouteChanges();
  build(c);
  await r.commit(c);
}

describe('reverse-tunnel tables', () => {
  it('go with the last rule that looks them up, and come back with the next', async () => {
    const { r, kernel } = routes();
    await change(r, (c) => {
      r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR11);
      r.reverseRule(c, '2001:db8:1:8101::/64', 'mn2', MR11);
    });
    expect(kernel.matching(/\b1000\b/)).toEqual([
      expect.stringMatching(/^route replace ::\/0 table 1000 /),
      'rule add pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1000',
      'rule add pref 1100 from 2001:db8:1:8101::/64 iif mn2 lookup 1000',
    ]);
    kernel.lines.length = 0;
    // One of two prefixes gone: the table stays for the other.
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', undefined, undefined));
    expect(kernel.lines).toEqual(['rule del pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1000']);
    kernel.lines.length = 0;
    // The last one gone: so is the table.
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8101::/64', undefined, undefined));
    expect(kernel.lines).toEqual(['rule del pref 1100 from 2001:db8:1:8101::/64 iif mn2 lookup 1000', 'route del ::/0 table 1000']);
    kernel.lines.length = 0;
    // Needed again: written again.
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR11));
    expect(kernel.lines[0]).toMatch(/^route replace ::\/0 table 1000 /);
  });

  it('stay when a rule moves to another interface towards the same anchor', async () => {
    const { r, kernel } = routes();
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR11));
    kernel.lines.length = 0;
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1b', MR11));
    expect(kernel.lines).toEqual([
      'rule del pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1000',
      'rule add pref 1100 from 2001:db8:1:8100::/64 iif mn1b lookup 1000',
    ]);
  });

  it('are dropped when the only prefix changes anchor', async () => {
    const { r, kernel } = routes();
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR11));
    kernel.lines.length = 0;
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR12));
    expect(kernel.lines).toEqual([
      'rule del pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1000',
      'route del ::/0 table 1000',
      expect.stringMatching(/^route replace ::\/0 table 1001 /),
      'rule add pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1001',
    ]);
  });
});

describe('ip6tnl tunnel devices', () => {
  it('go once no route and no reverse table uses them, and come back when needed', async () => {
    const kernel = new FakeKernel();
    const r = new MobilityRoutes(kernel, tunnelDriver('ip6tnl'), new EventBus('mr2', undefined), [MR11, MR12]);
    await change(r, (c) => {
      r.prefix(c, '2001:db8:1:8100::/64', { kind: 'tunnel', peer: MR11 }, 'test');
      r.reverseRule(c, '2001:db8:1:8100::/64', 'mn1', MR11);
    });
    expect(kernel.matching(/^link add t-mr11 /)).toHaveLength(1);
    kernel.lines.length = 0;
    // The route goes; the reverse table still sends through the tunnel.
    await change(r, (c) => r.prefix(c, '2001:db8:1:8100::/64', undefined, 'test'));
    expect(kernel.lines).toEqual(['route del 2001:db8:1:8100::/64 table 100']);
    kernel.lines.length = 0;
    await change(r, (c) => r.reverseRule(c, '2001:db8:1:8100::/64', undefined, undefined));
    expect(kernel.lines).toEqual(['rule del pref 1100 from 2001:db8:1:8100::/64 iif mn1 lookup 1000', 'route del ::/0 table 1000', 'link del t-mr11']);
    kernel.lines.length = 0;
    await change(r, (c) => r.prefix(c, '2001:db8:1:8100::/64', { kind: 'tunnel', peer: MR11 }, 'test'));
    expect(kernel.lines[0]).toMatch(/^link add t-mr11 /);
  });
});
