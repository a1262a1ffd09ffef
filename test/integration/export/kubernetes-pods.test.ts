import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeKernel } from '../../../cli/runtime/host-namespace/kernel-probe.js';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, dmmlab, parseJson } from '../../support/cli.js';
import { uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

/**
 * What `dmmlab export --format kubernetes` puts in its manifests, run the
 * way a cluster would run it, with what cannot exist here standing in: each
 * Pod is a network namespace whose eth0 is on a bridge (the pod network, MTU
 * 1500), the kubelet's part is applying the Pod's sysctls, and the cluster's
 * DNS (the headless Service) is a `getent` that answers `<node>.<lab>` with
 * that pod's address. Everything else is the manifests' own: each init
 * container's wiring script from the ConfigMap, run as is, and each agent
 * started with `--config` on its configuration from the Secret. Then the lab
 * must work: a mobile node gets its home address, and keeps it through a
 * handover made the way docs/scale-out.md tells cluster users to make one.
 */
const runtimes = await testRuntimes();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface PodSpec {
  metadata: { name: string; labels: Record<string, string> };
  spec: { securityContext: { sysctls: { name: string; value: string }[] } };
}

const inNs = (ns: string, argv: string[], opts: { env?: Record<string, string>; input?: string } = {}) =>
  execa('ip', ['netns', 'exec', ns, ...argv], { reject: false, ...opts });

describe.runIf(runtimes.includes('netns'))('an exported Kubernetes lab, run as a cluster would run it', () => {
  it('wires every pod from its script, configures every agent from the Secret, and the lab hands a node over', async () => {
    const lab = uniqueLab('kx');
    const r = await dmmlab([
      'export',
      path.join(ROOT, 'topologies/fig1.yaml'),
      '--format',
      'kubernetes',
      '--name',
      lab,
      '--tunnel',
      (await probeKernel()).seg6 ? 'seg6' : 'bpf',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const items = parseJson<{ items: { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string> }[] }>(
      r.stdout,
    ).items;
    const wire = items.find((o) => o.kind === 'ConfigMap')!.data!;
    const agents = items.find((o) => o.kind === 'Secret')!.stringData!;
    const pods = items.filter((o) => o.kind === 'Pod') as unknown as PodSpec[];
    const nodes = pods.map((p) => p.metadata.labels['dmmlab.node']!);
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-k8s-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    // The pod network: a bridge, one pod address each.
    const net = `dmmu-${lab}`;
    const ns = (n: string) => `dmm-${lab}-${n}`;
    const ip = (i: number) => `10.244.0.${i + 10}`;
    cleanups.push(() => execa('ip', ['netns', 'del', net], { reject: false }));
    for (const n of nodes) cleanups.push(() => execa('ip', ['netns', 'del', ns(n)], { reject: false }));
    const batch = [`netns add ${net}`, ...nodes.map((n) => `netns add ${ns(n)}`)];
    expect((await execa('ip', ['-batch', '-'], { input: batch.join('\n'), reject: false })).exitCode).toBe(0);
    await execa('ip', ['-n', net, 'link', 'add', 'br0', 'type', 'bridge']);
    await execa('ip', ['-n', net, 'link', 'set', 'br0', 'up']);
    for (const [i, n] of nodes.entries()) {
      await execa('ip', ['link', 'add', 'eth0', 'netns', ns(n), 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', net]);
      await execa('ip', ['-n', net, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
      await execa('ip', ['-n', ns(n), 'address', 'add', `${ip(i)}/24`, 'dev', 'eth0']);
      await execa('ip', ['-n', ns(n), 'link', 'set', 'eth0', 'up']);
    }
    // The cluster DNS as the headless Service answers it.
    const bin = path.join(dir, 'bin');
    await execa('mkdir', ['-p', bin]);
    const answers = nodes.map((n, i) => `  ${n}.${lab}) echo "${ip(i)}      STREAM ${n}.${lab}" ;;`).join('\n');
    await writeFile(path.join(bin, 'getent'), `#!/bin/sh\ncase "$2" in\n${answers}\n  *) exit 2 ;;\nesac\n`);
    await chmod(path.join(bin, 'getent'), 0o755);

    // The kubelet's part (the Pod's sysctls), then each init container's script from the ConfigMap.
    for (const p of pods) {
      const n = p.metadata.labels['dmmlab.node']!;
      const sys = p.spec.securityContext.sysctls;
      expect(sys.length, n).toBeGreaterThan(0);
      const s = await inNs(ns(n), ['sysctl', '-q', '-w', ...sys.map((x) => `${x.name}=${x.value}`)]);
      expect(s.exitCode, `${n}: ${s.stderr}`).toBe(0);
    }
    for (const n of nodes) {
      const w = await inNs(ns(n), ['sh', '-c', wire[`wire-${n}.sh`]!], { env: { PATH: `${bin}:${process.env.PATH}` } });
      expect(w.exitCode, `wire-${n}.sh: ${w.stderr}`).toBe(0);
      // The pod network's 1500 bytes leave 1450 for links planned at 1580 (wired) or 1500 (radios): the script says so.
      expect(w.stderr, n).toMatch(/gets MTU 1450, not 1(580|500)/);
    }
    const link = await execa('ip', ['-n', ns('mr11'), '-d', 'link', 'show', 'dev', 'core']);
    expect(link.stdout).toMatch(/vxlan id \d+ remote 10\.244\.0\.\d+ local 10\.244\.0\.\d+ dev eth0/);

    // Each agent as its node container starts it, configured from the Secret.
    const procs: ResultPromise[] = [];
    cleanups.push(async () => {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.allSettled(procs);
      await execa('rm', ['-rf', `/run/dmmlab/${lab}`]);
    });
    for (const n of nodes.filter((x) => agents[`${x}.json`])) {
      const conf = path.join(dir, `${n}.json`);
      await writeFile(conf, agents[`${n}.json`]!);
      const argv = [
        process.execPath,
        path.join(ROOT, 'dist/agent/agent.mjs'),
        '--lab',
        lab,
        '--node',
        n,
        '--socket',
        path.join(dir, `${n}.sock`),
        '--config',
        conf,
      ];
      procs.push(execa('ip', ['netns', 'exec', ns(n), ...argv], { reject: false, all: true }));
    }
    // MN1 gets its home address from its network's HAA through MR11, and the correspondent reaches it.
    let home = '';
    for (let i = 0; i < 100 && !home; i++) {
      const a = await execa('ip', ['-n', ns('mn1'), '-6', '-o', 'address', 'show', 'scope', 'global'], { reject: false });
      home = /inet6 (2001:db8:1:8\S+)\/64/.exec(a.stdout)?.[1] ?? '';
      if (!home) await new Promise((res) => setTimeout(res, 100));
    }
    expect(home, 'mn1 home address').not.toBe('');
    const ping = (count: number) => inNs(ns('cn'), ['ping', '-6', '-c', String(count), '-i', '0.2', '-W', '1', home]);
    expect((await ping(3)).stdout).toMatch(/3 received/);

    // A handover the way a cluster user makes one: both ends of each radio, old down, new up.
    await Promise.all([inNs(ns('mn1'), ['ip', 'link', 'set', 'dev', 'mr11', 'down']), inNs(ns('mr11'), ['ip', 'link', 'set', 'dev', 'mn1', 'down'])]);
    await Promise.all([inNs(ns('mn1'), ['ip', 'link', 'set', 'dev', 'mr2', 'up']), inNs(ns('mr2'), ['ip', 'link', 'set', 'dev', 'mn1', 'up'])]);
    // The home address anchored at MR11 stays reachable: MR11 tunnels to MR2 now.
    let moved = false;
    for (let i = 0; i < 20 && !moved; i++) moved = /[1-9]\d* received/.test((await ping(2)).stdout);
    expect(moved, 'mn1 reachable at its MR11 address after moving to MR2').toBe(true);
    for (const p of procs) expect(p.exitCode, 'agents still running').toBeNull();
  });
});

describe('the agent configured from a file (--config)', () => {
  it('refuses a file that is not its configuration, naming the file and the field, and exits 2', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-agent-config-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const run = async (name: string, text: string) => {
      const file = path.join(dir, name);
      await writeFile(file, text);
      const argv = [path.join(ROOT, 'dist/agent/agent.mjs'), '--lab', 'cfg', '--node', 'mr1', '--socket', path.join(dir, `${name}.sock`), '--config', file];
      return { file, r: await execa(process.execPath, argv, { reject: false, timeout: 10_000 }) };
    };
    const notJson = await run('a.json', '{ roles: ');
    expect(notJson.r.exitCode).toBe(2);
    expect(notJson.r.stderr).toContain(notJson.file);
    const wrong = await run('b.json', JSON.stringify({ lab: 'cfg', node: 'mr1', roles: ['mr'], spi: 'x' }));
    expect(wrong.r.exitCode).toBe(2);
    expect(wrong.r.stderr).toMatch(/not an agent configuration: .*spi/);
  });
});
