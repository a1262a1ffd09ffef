import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../cli/plan/types.js';
import { DockerRuntime } from '../../../cli/runtime/docker-runtime.js';
import { readState } from '../../../cli/state/journal.js';
import { labDir } from '../../../cli/state/paths.js';
import { ROOT, dmmlab, parseJson } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const skip = !(await testRuntimes()).includes('docker');
const lab = uniqueLab('dkn');
const smoke = path.join(ROOT, 'topologies/smoke.yaml');
let tunnelDriver = '';

async function inspectContainer(name: string) {
  const r = await execa('docker', ['inspect', name], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Dockerode.ContainerInspectInfo[])[0]!;
}

describe.skipIf(skip)('a Docker-runtime node', () => {
  beforeAll(async () => {
    const r = await dmmlab(['deploy', smoke, '--name', lab, '--runtime', 'docker', '--json'], { timeoutMs: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lab, runtime: 'docker' });
    tunnelDriver = (JSON.parse(r.stdout) as { tunnelDriver: string }).tunnelDriver;
  });
  afterAll(async () => {
    await dmmlab(['destroy', lab]);
  });

  it('is a container named like its namespace, labelled with lab, node and roles, with no Docker network and only NET_ADMIN and NET_RAW (and SYS_ADMIN for the bpf driver)', async () => {
    const c = await inspectContainer(`dmm-${lab}-mr1`);
    expect(c.State.Running).toBe(true);
    expect(c.Config.Hostname).toBe('mr1');
    expect(c.Config.Labels).toMatchObject({ 'dmmlab.lab': lab, 'dmmlab.node': 'mr1', 'dmmlab.roles': 'mr,ar,lm,haa' });
    expect(c.HostConfig.NetworkMode).toBe('none');
    expect((c.Config as { NetworkDisabled?: boolean }).NetworkDisabled).toBe(true);
    expect(c.HostConfig.Privileged).toBe(false);
    expect([...(c.HostConfig.CapAdd as string[])].sort()).toEqual(['NET_ADMIN', 'NET_RAW', ...(tunnelDriver === 'bpf' ? ['SYS_ADMIN'] : [])]);
    expect(c.HostConfig.Sysctls).toMatchObject({ 'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.all.forwarding': '1' });
    expect(c.HostConfig.Binds).toEqual([`${labDir(lab)}:${labDir(lab)}:rw`]);
    expect(c.Config.Image).toMatch(/^dmmlab\/node:[0-9a-f]{12}$/);
    const cn = await inspectContainer(`dmm-${lab}-cn1`);
    expect(cn.HostConfig.Sysctls?.['net.ipv6.conf.all.forwarding']).toBe('0');
  });

  it('has a network namespace of its own, the one its attached name (used by the wiring) points to', async () => {
    const c = await inspectContainer(`dmm-${lab}-cn1`);
    const fromContainer = (await execa('readlink', [`/proc/${c.State.Pid}/ns/net`])).stdout;
    const fromName = (await execa('ip', ['netns', 'exec', `dmm-${lab}-cn1`, 'readlink', '/proc/self/ns/net'])).stdout;
    expect(fromName).toBe(fromContainer);
    expect(fromContainer).not.toBe((await execa('readlink', ['/proc/self/ns/net'])).stdout);
    const other = await inspectContainer(`dmm-${lab}-mr1`);
    expect((await execa('readlink', [`/proc/${other.State.Pid}/ns/net`])).stdout).not.toBe(fromContainer);
  });

  it('runs `dmmlab exec` inside the container: its hostname, its filesystem', async () => {
    const h = await dmmlab(['exec', lab, 'cn1', '--', 'hostname']);
    expect(h.exitCode, h.stderr).toBe(0);
    expect(h.stdout.trim()).toBe('cn1');
    // The image has the agent bundle at /opt/dmmlab; the host does not.
    expect(existsSync('/opt/dmmlab/agent.mjs')).toBe(false);
    const f = await dmmlab(['exec', lab, 'cn1', '--', 'test', '-f', '/opt/dmmlab/agent.mjs']);
    expect(f.exitCode, f.stderr).toBe(0);
    const ps = await dmmlab(['exec', lab, 'cn1', '--', 'cat', '/proc/1/cmdline']);
    expect(ps.stdout).toMatch(/^\/bin\/sh/); // its own process table: PID 1 is the image's command
    const code = await dmmlab(['exec', lab, 'cn1', '--', 'sh', '-c', 'exit 7']);
    expect(code.exitCode).toBe(7);
  });

  it('pings across a veth from inside the container', async () => {
    const r = await dmmlab(['exec', lab, 'cn1', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '2', '2001:db8:10::1']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 received/);
  });

  it('spawnDetached runs the agent bundle and a long-lived process inside the node, output appended to the log', async () => {
    const runtime = new DockerRuntime();
    const plan = (await readState(lab)).plan as Plan;
    const node = plan.nodes.find((n) => n.name === 'mn1')!;
    const log = path.join(labDir(lab), 'logs', 'spawn-test.log');
    expect(await runtime.access(lab, node).spawnDetached(runtime.agentArgv(['--version']), log)).toBeUndefined();
    await runtime.access(lab, node).spawnDetached(['sh', '-c', 'echo "started in $(hostname)"; echo oops >&2; exec sleep 300'], log);
    let text = '';
    for (let i = 0; i < 200 && !(/oops/.test(text) && /dmmlab-agent/.test(text)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    }
    expect(text).toMatch(/^dmmlab-agent \d+\.\d+\.\d+/m);
    expect(text).not.toMatch(/node v20\./); // if it names its Node: the image's v18, not the host's v20
    expect(text).toMatch(/^started in mn1$/m);
    expect(text).toMatch(/^oops$/m);
    const ps = await execa('docker', ['top', `dmm-${lab}-mn1`], { reject: false });
    expect(ps.stdout).toMatch(/sleep 300/);
  });

  it('is shown as a docker lab by inspect', async () => {
    const r = await dmmlab(['inspect', lab, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const view = parseJson<{ runtime: string; nodeViews: { present: boolean }[] }>(r.stdout);
    expect(view.runtime).toBe('docker');
    expect(view.nodeViews.every((n) => n.present)).toBe(true);
    const list = await dmmlab(['inspect']);
    expect(list.stdout).toMatch(new RegExp(`${lab}\\s+docker\\s+running`));
  });

  it('destroy removes containers, attached names, processes and state', async () => {
    const r = await dmmlab(['destroy', lab]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });
});
