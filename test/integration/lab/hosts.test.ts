import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, dmmlab, dmmlabSpawn, parseJson } from '../../support/cli.js';
import { hostNamespaces, leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

/**
 * Labs that span hosts (issue 15): hosts emulated as network namespaces on an
 * underlay bridge, links between hosts kernel VXLAN devices whose sockets live
 * in the hosts' namespaces. The shipped fig5 scenario must pass across them
 * and its capture must show the underlay.
 */
const runtimes = await testRuntimes();
const created: string[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  for (const lab of created) await dmmlab(['destroy', lab]);
  await dmmlab(['cleanup']);
});

/** The fig5 scenario under a name of its own (so its lab's namespaces are this test's). */
async function fig5As(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-hosts-'));
  tempDirs.push(dir);
  const text = (await readFile(path.join(ROOT, 'scenarios/fig5-handover.yaml'), 'utf8'))
    .replace(/^name: .*$/m, `name: ${name}`)
    .replace(/^topology: .*$/m, `topology: ${path.join(ROOT, 'topologies/fig1.yaml')}`);
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

async function tsharkFields(file: string, filter: string, fields: string[]): Promise<string[][]> {
  const r = await execa('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

describe.each(runtimes)('a lab across hosts (%s)', (runtime) => {
  it('passes the fig5 handover scenario over three hosts, and the capture shows the VXLAN underlay carrying it', async () => {
    const name = uniqueLab('fig5h');
    const out = await mkdtemp(path.join(tmpdir(), 'dmmlab-hosts-run-'));
    tempDirs.push(out);
    const r = await dmmlab(['run', await fig5As(name), '--hosts', '3', '--runtime', runtime, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.exitCode, r.stdout.slice(-3000) + r.stderr.slice(-3000)).toBe(0);
    const report = parseJson<{
      runs: { ok: boolean; artifacts: { captures: { node: string; iface: string }[] }; hosts: { clock: { minMs: number; maxMs: number }[] } }[];
    }>(r.stdout).runs[0]!;
    expect(report.ok).toBe(true);
    expect(report.artifacts.captures.filter((c) => c.iface === 'underlay').map((c) => c.node)).toEqual(['@h1', '@h2', '@h3']);
    // Every pair of hosts exchanged packets; one machine, one clock: each bracket holds zero.
    expect(report.hosts.clock.length).toBe(3);
    for (const c of report.hosts.clock) expect(c.minMs <= 0 && c.maxMs >= 0, JSON.stringify(c)).toBe(true);

    const pcapng = path.join(out, 'capture.pcapng');
    // Every host's underlay carried VXLAN, and inside it the lab's own packets: the flows and the signalling.
    const vx = await tsharkFields(pcapng, 'vxlan', ['frame.interface_name', 'vxlan.vni']);
    for (const h of ['@h1:underlay', '@h2:underlay', '@h3:underlay']) expect(vx.filter(([i]) => i === h).length, h).toBeGreaterThan(100);
    expect((await tsharkFields(pcapng, 'vxlan && mipv6', ['frame.number'])).length).toBeGreaterThan(0);
    expect((await tsharkFields(pcapng, 'vxlan && ipv6 && !icmpv6 && !mipv6', ['frame.number'])).length).toBeGreaterThan(1000);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('--hosts on the command line', () => {
  it('refuses a number of hosts it cannot split a lab over, before deploying anything', async () => {
    for (const cmd of [
      ['deploy', 'topologies/fig1.yaml'],
      ['run', 'scenarios/fig5-handover.yaml'],
      ['export', 'topologies/fig1.yaml', '--format', 'kubernetes'],
    ]) {
      const r = await dmmlab([...cmd, '--hosts', '0']);
      expect(r.exitCode, cmd[0]).toBe(2);
      expect(r.stderr, cmd[0]).toMatch(/--hosts: found "0"; expected a whole number from 1 to 250/);
    }
  });
});

describe.runIf(runtimes.includes('netns'))('the wiring and cleanup of hosts (netns)', () => {
  it('makes every link between hosts a VXLAN device in its node over its host, carrying full-size packets', async () => {
    const lab = uniqueLab('hwire');
    created.push(lab);
    const d = await dmmlab(['deploy', path.join(ROOT, 'topologies/fig1.yaml'), '--name', lab, '--hosts', '2', '--runtime', 'netns']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await hostNamespaces(lab)).toEqual(expect.arrayContaining([`dmmh-${lab}-h1`, `dmmh-${lab}-h2`, `dmmu-${lab}`]));
    const insp = await dmmlab(['inspect', lab, '--json']);
    const view = parseJson<{
      hosts: { underlayMtu: number; list: { name: string; nodes: string[] }[] };
      vxlanLinks: { a: string; b: string; vni: number }[];
      nodeViews: { name: string; interfaces: { name: string; addresses: string[] }[] }[];
    }>(insp.stdout);
    expect(view.vxlanLinks.length).toBeGreaterThan(0);
    const hostOf = new Map(view.hosts.list.flatMap((h) => h.nodes.map((n) => [n, h.name] as const)));
    for (const l of view.vxlanLinks) {
      expect(hostOf.get(l.a)).not.toBe(hostOf.get(l.b));
      for (const [node, peer] of [
        [l.a, l.b],
        [l.b, l.a],
      ] as const) {
        const link = await execa('ip', ['-n', `dmm-${lab}-${node}`, '-d', 'link', 'show', 'dev', peer], { reject: false });
        expect(link.stdout, `${node}:${peer}`).toMatch(new RegExp(`vxlan id ${l.vni} remote \\S+ local \\S+ dev \\S+`));
        expect(link.stdout, `${node}:${peer}`).toContain(`link-netns dmmh-${lab}-${hostOf.get(node)}`);
      }
    }
    // A full-size packet (1500-byte IPv6 with a 40-byte tunnel header's room on top) crosses without fragments.
    const l = view.vxlanLinks[0]!;
    const peerAddr = view.nodeViews
      .find((n) => n.name === l.b)
      ?.interfaces.find((i) => i.name === l.a)
      ?.addresses[0]?.split('/')[0];
    const ping = await execa('ip', ['netns', 'exec', `dmm-${lab}-${l.a}`, 'ping', '-6', '-c', '2', '-i', '0.2', '-M', 'do', '-s', '1492', peerAddr!], {
      reject: false,
    });
    expect(ping.stdout + ping.stderr).toMatch(/2 received/);
    const text = await dmmlab(['inspect', lab]);
    expect(text.stdout).toMatch(/HOST\s+UNDERLAY\s+NAMESPACE/);
    expect(text.stdout).toContain(`underlay MTU ${view.hosts.underlayMtu}`);
    expect((await dmmlab(['destroy', lab])).exitCode).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('leaves no host, underlay or VXLAN device that cleanup cannot remove after SIGKILL of a run', async () => {
    const name = uniqueLab('hkill');
    const out = await mkdtemp(path.join(tmpdir(), 'dmmlab-hosts-kill-'));
    tempDirs.push(out);
    const child = dmmlabSpawn(['run', await fig5As(name), '--hosts', '2', '--runtime', 'netns', '--out', out]);
    // Kill it once the run captures the underlay (its tcpdumps run inside the hosts' namespaces).
    const capturing = async () => existsSync(path.join(out, 'captures', '@h2_underlay.pcap'));
    for (let i = 0; i < 600 && !(await capturing()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await capturing()).toBe(true);
    child.kill('SIGKILL');
    await child;
    expect((await hostNamespaces(name)).length).toBeGreaterThan(0);
    const clean = await dmmlab(['cleanup', '--json']);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    // tcpdump dies with its parent (SIGTERM from the kernel); give it a moment.
    for (let i = 0; i < 40 && (await leftovers(name)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await leftovers(name)).toEqual([]);
    const vxlans = await execa('ip', ['-d', 'link', 'show', 'type', 'vxlan'], { reject: false });
    expect(vxlans.stdout).not.toContain('dstport 4789');
  });
});
