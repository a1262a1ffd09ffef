import { describe, expect, it } from 'vitest';
import { parseKernelDump, parseRadvdConf, type KernelEntry } from '../../../cli/lab/kernel-snapshot.js';
import { homePrefixOf, judgeKernel, type KernelFacts } from '../../../cli/verify/kernel-judge.js';
import { parsePrefix } from '../../../shared/ipv6.js';

const facts = (over: Partial<KernelFacts> = {}): KernelFacts => ({
  pools: ['2001:db8:1:8000::/49'],
  roles: { mr1: ['mr', 'ar'], mn1: ['mn'], r: ['router'] },
  radios: { mn1: ['mr1'] },
  leases: new Map([['2001:db8:1:8000::/64', 'mn1']]),
  released: new Map(),
  mrRoutes: new Map([['mr1', new Set(['2001:db8:1:8000::/64', '2001:db8:1:8009::/64'])]]),
  mrContexts: new Map([['mr1', new Set(['2001:db8:1:8009::/64'])]]),
  mrReverse: new Map(),
  access: new Map([['mr1', new Map([['mn1', { prefixes: new Set(['2001:db8:1:8000::/64']), attached: true }]])]]),
  ...over,
});

const route = (line: string, extra: Partial<KernelEntry>): KernelEntry => ({ object: 'route', line, ...extra });

describe('the kernel judge', () => {
  it('takes a home prefix from addresses and /64-or-longer prefixes only', () => {
    const pools = [parsePrefix('2001:db8:1:8000::/49')];
    expect(homePrefixOf('2001:db8:1:8000:1:2:3:4', pools)).toBe('2001:db8:1:8000::/64');
    expect(homePrefixOf('2001:db8:1:8000::/56', pools)).toBeUndefined();
    expect(homePrefixOf('2001:db8:1:1::1', pools)).toBeUndefined();
    expect(homePrefixOf('::/0', pools)).toBeUndefined();
  });

  it('accepts what the agents justify and names what they do not', () => {
    const end = {
      mr1: [
        route('2001:db8:1:8000::/64 via fe80::1 dev mn1 table 100', { subject: '2001:db8:1:8000::/64', table: '100', iface: 'mn1' }),
        route('2001:db8:1:8001::/64 via fe80::1 dev mn1 table 100', { subject: '2001:db8:1:8001::/64', table: '100', iface: 'mn1' }),
        // Released, but still forwarded under a live handover context: temporary by design.
        route('2001:db8:1:8009::/64 dev dmm0 table 100 encap seg6', { subject: '2001:db8:1:8009::/64', table: '100', iface: 'dmm0' }),
        route('default encap seg6 table 1001', { subject: '::/0', table: '1001' }),
        { object: 'link', line: 't-mr2 ip6tnl mtu 1500', iface: 't-mr2' } as KernelEntry,
        ...parseRadvdConf(
          'interface mn1 {\n  prefix 2001:db8:1:8000::/64 {\n    AdvValidLifetime 3600;\n  };\n  prefix 2001:db8:1:8002::/64 {\n    AdvValidLifetime 0;\n  };\n};\n',
        ),
      ],
      mn1: [
        { object: 'address', line: '2001:db8:1:8000::5/64 dev mr1', subject: '2001:db8:1:8000::5', iface: 'mr1' } as KernelEntry,
        route('default via fe80::1 dev mr1 proto ra', { subject: '::/0', iface: 'mr1' }),
        route('2001:db8:1:8003::/64 dev mr1 proto kernel', { subject: '2001:db8:1:8003::/64', iface: 'mr1' }),
      ],
    };
    const d = judgeKernel(undefined, end, facts());
    expect(d.map((x) => `${x.node} ${x.line}: ${x.why}`)).toEqual([
      'mr1 2001:db8:1:8001::/64 via fe80::1 dev mn1 table 100: its agent does not route this prefix',
      'mr1 default encap seg6 table 1001: no rule looks up table 1001',
      'mr1 t-mr2 ip6tnl mtu 1500: no route uses this tunnel',
      'mn1 2001:db8:1:8003::/64 dev mr1 proto kernel: 2001:db8:1:8003::/64 is leased to nobody (released)',
    ]);
  });

  it('holds everything else to the baseline, both ways, and misses no leased address', () => {
    const before = { r: [route('2001:db8::/48 via fe80::2 dev x', { subject: '2001:db8::/48' })], mn1: [] };
    const end = { r: [route('2001:db8:9::/48 via fe80::2 dev x', { subject: '2001:db8:9::/48' })], mn1: [] };
    const d = judgeKernel(before, end, facts());
    expect(d.map((x) => `${x.node} ${x.kind} ${x.line}`)).toEqual([
      'r left 2001:db8:9::/48 via fe80::2 dev x',
      'r missing 2001:db8::/48 via fe80::2 dev x',
      'mn1 missing an address in 2001:db8:1:8000::/64',
    ]);
  });

  it('Mobile IPv6: a node away holds its own tunnel end, a visited cell its care-of prefix; back home both must be gone', () => {
    const rule = (line: string): KernelEntry => ({ object: 'rule', line, ...(/lookup (\S+)/.exec(line) ? { table: /lookup (\S+)/.exec(line)![1] } : {}) });
    const baseline = {
      mn1: [rule('pref 0 from all lookup local'), rule('pref 32766 from all lookup main')],
      mr1: parseRadvdConf('interface mn1 {\n};\n'),
    };
    const away = [
      { object: 'address', line: '2001:db8:1:8000::5/128 dev lo', subject: '2001:db8:1:8000::5', iface: 'lo' } as KernelEntry,
      { object: 'link', line: 'dmm0 veth mtu 1500', iface: 'dmm0' } as KernelEntry,
      { object: 'link', line: 'dmm1 veth mtu 1500', iface: 'dmm1' } as KernelEntry,
      rule('pref 50 from all to 2001:db8:2:1003::9/128 lookup 90'),
      rule('pref 100 from all lookup local'),
      rule('pref 32766 from all lookup main'),
      route('2001:db8:2:1003::9 dev dmm0 table 90 encap seg6local', { subject: '2001:db8:2:1003::9', table: '90', iface: 'dmm0' }),
      route('default dev dmm0 encap seg6', { subject: '::/0', iface: 'dmm0' }),
    ];
    const cell = [
      route('2001:db8:2:1003::/64 dev mn1', { subject: '2001:db8:2:1003::/64', iface: 'mn1' }),
      ...parseRadvdConf('interface mn1 {\n  prefix 2001:db8:2:1003::/64 {\n    AdvValidLifetime 86400;\n  };\n};\n'),
    ];
    const mip = { careOf: new Map([['mr1', new Map([['mn1', '2001:db8:2:1003::/64']])]]) };
    expect(judgeKernel(baseline, { mn1: away, mr1: cell }, facts({ ...mip, away: new Set(['mn1']) }))).toEqual([]);
    // The same state with the node at home: every piece of its tunnel end is left over, and the local rule missing.
    const home = judgeKernel(baseline, { mn1: away, mr1: cell }, facts(mip)).map((x) => `${x.kind} ${x.line}`);
    expect(home).toEqual([
      'left dmm0 veth mtu 1500',
      'left dmm1 veth mtu 1500',
      'left pref 50 from all to 2001:db8:2:1003::9/128 lookup 90',
      'left pref 100 from all lookup local',
      'left default dev dmm0 encap seg6',
      'missing pref 0 from all lookup local',
    ]);
    // A care-of prefix is only right on its own cell.
    expect(judgeKernel(undefined, { mr1: cell }, facts()).map((x) => x.why)).toEqual(['2001:db8:2:1003::/64 is not a home prefix']);
  });

  it('a home agent lets a served node’s uplink pass its own cell’s source check only while it serves it there', () => {
    const served: KernelEntry = {
      object: 'rule',
      line: 'pref 1180 from 2001:db8:1:8000::/64 iif mn1 lookup main',
      subject: '2001:db8:1:8000::/64',
      table: 'main',
      iface: 'mn1',
    };
    const f = (over: Partial<KernelFacts>) => facts({ mrServedSources: new Map([['mr1', new Set(['2001:db8:1:8000::/64 mn1'])]]), ...over });
    expect(judgeKernel(undefined, { mr1: [served] }, f({}))).toEqual([]);
    expect(judgeKernel(undefined, { mr1: [served] }, f({ mrServedSources: new Map() })).map((x) => x.why)).toEqual([
      'its agent serves no node of this prefix on that link',
    ]);
    expect(judgeKernel(undefined, { mr1: [served] }, f({ leases: new Map() })).map((x) => x.why)).toEqual([
      '2001:db8:1:8000::/64 is leased to nobody (released)',
    ]);
  });

  it('HMIPv6: a MAP’s binding of a regional care-of address while its agent holds it; a node away keeps what is on its tunnel devices', () => {
    const bound = route('2001:db8:60:1005::99 dev dmm0 table 100 encap seg6', { subject: '2001:db8:60:1005::99', table: '100', iface: 'dmm0' });
    const f = (held: string[]) =>
      facts({
        roles: { map: ['mr'], mn1: ['mn'] },
        leases: new Map(),
        regional: ['2001:db8:60:1005::/64'],
        mrRoutes: new Map([['map', new Set(held)]]),
        away: new Set(['mn1']),
      });
    expect(judgeKernel(undefined, { map: [bound] }, f(['2001:db8:60:1005::99/128']))).toEqual([]);
    expect(judgeKernel(undefined, { map: [bound] }, f([])).map((x) => x.why)).toEqual(['its agent binds no such regional care-of address']);
    // The node while away: its regional address on dmm0, the hairpin's neighbour and route, the second decapsulation's rule.
    const baseline = { mn1: [] as KernelEntry[] };
    const away: KernelEntry[] = [
      { object: 'address', line: '2001:db8:60:1005::99/128 dev dmm0', subject: '2001:db8:60:1005::99', iface: 'dmm0' },
      { object: 'neighbour', line: 'fd00:6d69:7036::1 dev dmm0 lladdr 02:00:6d:69:70:36 PERMANENT', subject: 'fd00:6d69:7036::1', iface: 'dmm0' },
      route('fd00:6d69:7036::1 dev dmm0', { subject: 'fd00:6d69:7036::1', iface: 'dmm0' }),
      { object: 'rule', line: 'pref 51 from all to 2001:db8:60:1005::99/128 lookup 90', table: '90' },
      { object: 'link', line: 'hmip6 ip6tnl mtu 1460', iface: 'hmip6' },
      // With ip6tnl the regional address is on lo instead, with the kernel's route for it.
      route('2001:db8:60:1005::99 dev lo proto kernel', { subject: '2001:db8:60:1005::99', iface: 'lo' }),
    ];
    expect(judgeKernel(baseline, { mn1: away }, f([]))).toEqual([]);
    // Home again, every one of them is left over.
    const home = judgeKernel(baseline, { mn1: away }, facts({ roles: { mn1: ['mn'] }, leases: new Map() }));
    expect(home.map((x) => x.kind)).toEqual(away.map(() => 'left'));
  });

  it('reads ip -j output into lines without lifetimes or metrics', () => {
    const dump = [
      '[{"ifname":"lo","mtu":65536,"linkinfo":null}]',
      '[{"ifname":"mr1","addr_info":[{"family":"inet6","local":"2001:db8:1:8000::5","prefixlen":64,"scope":"global","valid_life_time":3500},{"family":"inet6","local":"fe80::5","prefixlen":64,"scope":"link"}]}]',
      '[{"dst":"2001:db8:1:8000::/64","dev":"mr1","protocol":"kernel","metric":256,"expires":3500,"flags":["linkdown"],"pref":"medium"},{"type":"multicast","dst":"ff00::/8","dev":"mr1","table":"local"}]',
      '[{"priority":1100,"src":"2001:db8:1:8000::","srclen":64,"iif":"mn1","table":"1001"}]',
      '',
      '',
      '[{"kind":"tbf","handle":"1:","dev":"x","root":true}]',
      '[{"id":5436,"encap":"bpf","xmit":"encap-a-b.o:[lwt_xmit]","dev":"dmm0","scope":"link","flags":[]}]',
      'net.ipv6.conf.all.forwarding=1\n',
    ].join('@@dmmlab@@');
    expect(parseKernelDump(dump).map((e) => `${e.object}: ${e.line}`)).toEqual([
      'link: lo device mtu 65536',
      'address: 2001:db8:1:8000::5/64 dev mr1',
      'route: 2001:db8:1:8000::/64 dev mr1 proto kernel',
      'rule: pref 1100 from 2001:db8:1:8000::/64 iif mn1 lookup 1001',
      'qdisc: tbf 1: dev x root',
      'nexthop: id 5436 dev dmm0 encap bpf xmit encap-a-b.o:[lwt_xmit]',
      'sysctl: net.ipv6.conf.all.forwarding=1',
    ]);
  });

  it('keeps the nexthops deploy made, and any other only while a route uses it (bpf driver)', () => {
    const nh = (id: number): KernelEntry => ({ object: 'nexthop', line: `id ${id} dev dmm0 encap bpf`, subject: String(id), iface: 'dmm0' });
    const via = (id: number): KernelEntry => ({
      object: 'route',
      line: `::/0 dev dmm0 table 1000 nhid ${id} encap bpf`,
      subject: '::/0',
      table: '1000',
      iface: 'dmm0',
    });
    const base = { mr1: [nh(5436)] };
    const ok = facts({ roles: { mr1: ['mr'] }, leases: new Map() });
    // Deploy's nexthop, used or not; another one while a route uses it.
    expect(judgeKernel(base, { mr1: [nh(5436)] }, ok)).toEqual([]);
    const lookup: KernelEntry = { object: 'rule', line: 'pref 1100 from 2001:db8:5::/64 iif mn1 lookup 1000', table: '1000', iface: 'mn1' };
    expect(judgeKernel({ mr1: [nh(5436), lookup] }, { mr1: [nh(5436), nh(5437), via(5437), lookup] }, ok)).toEqual([]);
    // Left: one no route uses; missing: deploy's, gone.
    expect(judgeKernel(base, { mr1: [nh(5436), nh(5437)] }, ok).map((d) => [d.kind, d.line])).toEqual([['left', 'id 5437 dev dmm0 encap bpf']]);
    expect(judgeKernel(base, { mr1: [] }, ok).map((d) => [d.kind, d.line])).toEqual([['missing', 'id 5436 dev dmm0 encap bpf']]);
  });
});

describe('the stale-state check holding still', () => {
  it('reads two snapshots of the same state the same, whatever order the agents answered in', async () => {
    const { settledKey } = await import('../../../cli/verify/kinds/clean.js');
    const { LabStates } = await import('../../../cli/lab/lab-states.js');
    const { parseTopology } = await import('../../../cli/plan/load.js');
    const { readFileSync } = await import('node:fs');
    const file = new URL('../../../topologies/fig1.yaml', import.meta.url).pathname;
    const session = { plan: parseTopology(file, readFileSync(file, 'utf8')).plan } as unknown as Parameters<typeof settledKey>[0];
    const haa = (prefix: string) => ({ roles: { haa: { leases: [{ prefix, mnId: 'mn1@net1.fig1', anchor: 'mr11', expiresInS: 3 }] } } });
    const a = { lm1: haa('2001:db8:1:8000::/64'), lm2: haa('2001:db8:2:8000::/64') };
    const b = { lm2: haa('2001:db8:2:8000::/64'), lm1: haa('2001:db8:1:8000::/64') };
    const key = (x: object) => settledKey(session, new LabStates(x as never));
    expect(key(a)).toBe(key(b));
    // ... and tells a change apart (a lease gone).
    expect(key({ lm1: haa('2001:db8:1:8000::/64') })).not.toBe(key(a));
  });
});
