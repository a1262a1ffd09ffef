import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../../cli/api.js';
import { recordKernelBaseline } from '../../../cli/lab/kernel-baseline.js';
import { radvdConfPath } from '../../../cli/lab/kernel-snapshot.js';
import { waitForHomeAddresses } from '../../../cli/lab/mn-addresses.js';
import type { LabSession } from '../../../cli/lab/session.js';
import { silentProgress } from '../../../cli/util/progress.js';
import { cleanVerifier } from '../../../cli/verify/kinds/clean.js';
import { ensureBuilt } from '../../support/build.js';
import { ROOT } from '../../support/cli.js';
import { uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const runtimes = await testRuntimes();

async function kernelCheck(session: LabSession): Promise<{ ok: boolean; measured: string }> {
  const [, kernel] = await cleanVerifier.check({ clean: true }, { session });
  return kernel as { ok: boolean; measured: string };
}

async function sh(session: LabSession, node: string, script: string): Promise<void> {
  const r = await session.exec(node, ['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${node}: ${script}: ${r.stderr}`);
}

/**
 * Each kind of leftover the issue names, put into a running lab by hand,
 * and the line the check must name for it (node, object, line).
 */
const LEFTOVERS: { what: string; node: string; script: string; named: RegExp }[] = [
  {
    what: 'an address of a prefix the node does not hold',
    node: 'mn1',
    script: 'ip addr add 2001:db8:2:8000::99/64 dev mr11',
    named: /mn1 address 2001:db8:2:8000::99\/64 dev mr11: left \(2001:db8:2:8000::\/64 is leased to nobody/,
  },
  {
    what: 'an on-link route for a released prefix on a mobile node',
    node: 'mn1',
    script: 'ip -6 route add 2001:db8:2:8001::/64 dev mr11',
    named: /mn1 route 2001:db8:2:8001::\/64 dev mr11 proto boot|mn1 route 2001:db8:2:8001::\/64 dev mr11: left/,
  },
  {
    what: 'a routing table no rule looks up',
    node: 'mr11',
    script: 'ip -6 route add unreachable default table 1007',
    named: /mr11 route unreachable default table 1007: left \(no rule looks up table 1007\)/,
  },
  {
    what: 'a reverse rule its agent does not hold',
    node: 'mr11',
    script: 'ip -6 rule add pref 1100 from 2001:db8:2:8002::/64 iif mn1 lookup 1001',
    named: /mr11 rule pref 1100 from 2001:db8:2:8002::\/64 iif mn1 lookup 1001: left \(its agent has no such reverse rule\)/,
  },
  {
    what: 'a mobility route its agent does not hold',
    node: 'mr11',
    script: 'ip -6 route add blackhole 2001:db8:3:8005::/64 table 100',
    named: /mr11 route blackhole 2001:db8:3:8005::\/64 (dev lo )?table 100: left \(its agent does not route this prefix\)/,
  },
  { what: 'a link', node: 'core', script: 'ip link add dmmx type veth peer name dmmy', named: /core link dmmx veth mtu 1500: left \(not there after deploy\)/ },
  { what: 'a neighbour proxy', node: 'core', script: 'ip neigh add proxy 2001:db8:ff::99 dev cn', named: /core proxy proxy 2001:db8:ff::99 dev cn: left/ },
  {
    what: 'a permanent neighbour on an access link nobody is attached to',
    node: 'mr2',
    script: 'ip neigh replace fe80::99 lladdr 02:00:00:00:00:99 dev mn1 nud permanent',
    named: /mr2 neighbour fe80::99 lladdr 02:00:00:00:00:99 dev mn1 permanent: left \(no mobile node is attached on mn1\)/,
  },
  {
    what: 'a qdisc',
    node: 'core',
    script: 'tc qdisc add dev cn root tbf rate 10mbit burst 32kb latency 50ms',
    named: /core qdisc tbf \S+ dev cn root: left \(not there after deploy\)/,
  },
  {
    what: 'a changed sysctl',
    node: 'core',
    script: 'echo 0 > /proc/sys/net/ipv6/conf/all/forwarding',
    named: /core sysctl net\.ipv6\.conf\.all\.forwarding=0: left.*core sysctl net\.ipv6\.conf\.all\.forwarding=1: missing/,
  },
  {
    what: 'a route removed',
    node: 'core',
    script: 'ip -6 route del 2001:db8:1::1/128',
    named: /core route 2001:db8:1::1 via \S+ dev mr11: missing \(there after deploy, gone now\)/,
  },
];

describe.each(runtimes)('the stale-state check on %s', (runtime) => {
  it('passes on a lab as deployed and names every kind of leftover put into it', { timeout: 240_000 }, async () => {
    await ensureBuilt();
    await using lab = await Lab.deploy({ topology: path.join(ROOT, 'topologies/fig1.yaml'), name: uniqueLab('clean'), runtime });
    const session = lab.session;
    await waitForHomeAddresses(session, silentProgress);
    await recordKernelBaseline(session);
    const before = await kernelCheck(session);
    expect(before.measured).toBe('none');
    expect(before.ok).toBe(true);

    for (const l of LEFTOVERS) await sh(session, l.node, l.script);
    // radvd advertising a prefix nobody holds (the agent's configuration file, edited behind its back).
    const conf = radvdConfPath(session.lab, 'mr12');
    await writeFile(
      conf,
      (await readFile(conf, 'utf8')).replace(/interface mn1 \{\n/, (m) => `${m}  prefix 2001:db8:1:8066::/64 {\n    AdvValidLifetime 3600;\n  };\n`),
    );

    const after = await kernelCheck(session);
    expect(after.ok).toBe(false);
    for (const l of LEFTOVERS) expect(after.measured, l.what).toMatch(l.named);
    expect(after.measured).toMatch(/mr12 radvd prefix 2001:db8:1:8066::\/64 on mn1 valid 3600 s: left \(2001:db8:1:8066::\/64 is leased to nobody/);
  });
});
