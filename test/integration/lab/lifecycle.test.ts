import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Plan } from '../../../cli/plan/types.js';
import { ROOT, dmmlab, dmmlabSpawn, parseJson } from '../../support/cli.js';
import { generateTopology } from '../../support/generate-topology.js';
import { labNamespaces, leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';
import { existsSync, readFileSync } from 'node:fs';

const runtimes = await testRuntimes();
const created: string[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  for (const lab of created) await dmmlab(['destroy', lab]);
  await dmmlab(['cleanup']);
});

/** The two nodes with planned addresses that are the most hops apart. */
function farthestPair(plan: Plan): [string, string, number] {
  const adj = new Map<string, string[]>();
  for (const l of plan.links.filter((x) => x.kind === 'infra')) {
    (adj.get(l.a.node) ?? adj.set(l.a.node, []).get(l.a.node)!).push(l.b.node);
    (adj.get(l.b.node) ?? adj.set(l.b.node, []).get(l.b.node)!).push(l.a.node);
  }
  let best: [string, string, number] = ['', '', -1];
  for (const src of plan.nodes.filter((n) => n.loopback)) {
    const dist = new Map([[src.name, 0]]);
    const q = [src.name];
    while (q.length) {
      const c = q.shift()!;
      for (const m of adj.get(c) ?? []) {
        if (dist.has(m)) continue;
        dist.set(m, dist.get(c)! + 1);
        q.push(m);
      }
    }
    for (const [dst, d] of dist) if (d > best[2] && plan.nodes.find((n) => n.name === dst)?.loopback) best = [src.name, dst, d];
  }
  return best;
}

describe.each(runtimes)('lab lifecycle on %s', (runtime) => {
  it('deploys figure 1, pings between the farthest nodes over planned addresses, and destroys without a trace', async () => {
    const lab = uniqueLab('lc');
    created.push(lab);
    const file = path.join(ROOT, 'topologies/fig1.yaml');
    const { plan } = parseTopology(file, readFileSync(file, 'utf8'), { lab });
    const [a, b, hops] = farthestPair(plan);
    expect(hops).toBeGreaterThanOrEqual(4);

    const dep = await dmmlab(['deploy', file, '--name', lab, '--runtime', runtime, '--json']);
    expect(dep.exitCode, dep.stderr).toBe(0);
    expect(JSON.parse(dep.stdout)).toMatchObject({ lab, runtime });
    expect(await labNamespaces(lab)).toHaveLength(plan.nodes.length);

    const target = plan.nodes.find((n) => n.name === b)!.loopback!;
    const ping = await dmmlab(['exec', lab, a, '--', 'ping', '-c', '3', '-i', '0.2', '-W', '2', target]);
    expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/3 received/);
    // The reply path is the planned one: hop limit shows the number of routers crossed.
    expect(ping.stdout).toMatch(new RegExp(`ttl=${64 - (hops - 1)}`));

    const insp = await dmmlab(['inspect', lab, '--json']);
    expect(insp.exitCode).toBe(0);
    const view = parseJson<{ runtime: string; nodeViews: { name: string; interfaces: { name: string }[] }[] }>(insp.stdout);
    expect(view.runtime).toBe(runtime);
    const core = view.nodeViews.find((n) => n.name === 'core');
    expect(core?.interfaces.map((i) => i.name)).toEqual(expect.arrayContaining(['cn', 'mr11', 'mr31']));

    const des = await dmmlab(['destroy', lab]);
    expect(des.exitCode, des.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('refuses a second lab with the same name and leaves the first alone', async () => {
    const lab = uniqueLab('dup');
    created.push(lab);
    const file = path.join(ROOT, 'topologies/smoke.yaml');
    expect((await dmmlab(['deploy', file, '--name', lab, '--runtime', runtime])).exitCode).toBe(0);
    const again = await dmmlab(['deploy', file, '--name', lab, '--runtime', runtime]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(await labNamespaces(lab)).toHaveLength(3);
    expect((await dmmlab(['destroy', lab])).exitCode).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('leaves nothing that cleanup cannot remove after SIGKILL in the middle of a deploy', async () => {
    const lab = uniqueLab('kill');
    created.push(lab);
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, generateTopology({ name: lab, size: 200 }));
    const child = dmmlabSpawn(['deploy', file, '--runtime', runtime]);
    // Kill it once some, but not all, of the lab exists.
    for (let i = 0; i < 400 && (await labNamespaces(lab)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await labNamespaces(lab)).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await child;
    const clean = await dmmlab(['cleanup', '--json']);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    expect(parseJson<{ removed: { lab: string }[] }>(clean.stdout).removed.map((r) => r.lab)).toContain(lab);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('rolls back on Ctrl-C during deploy', async () => {
    const lab = uniqueLab('int');
    created.push(lab);
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, generateTopology({ name: lab, size: 200 }));
    const child = dmmlabSpawn(['deploy', file, '--runtime', runtime]);
    for (let i = 0; i < 400 && (await labNamespaces(lab)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/rolled back/);
    expect(await leftovers(lab)).toEqual([]);
  });
});

/**
 * The netns runtime's agent host lives outside every node: these make sure that a SIGKILL of the
 * CLI while agents start, and a host no journal lists (a deploy killed between starting its host
 * and recording it), still leave nothing that `dmmlab cleanup` does not find and remove.
 */
describe.runIf(runtimes.includes('netns'))('the agent host and cleanup (netns)', () => {
  const hostOf = async (lab: string) => (await execa('pgrep', ['-f', `agent.mjs --lab ${lab} --host`], { reject: false })).stdout.split('\n').filter(Boolean);

  it('leaves nothing that cleanup cannot remove after SIGKILL while the agents start', async () => {
    const lab = uniqueLab('hkill');
    created.push(lab);
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, generateTopology({ name: lab, size: 200 }));
    const child = dmmlabSpawn(['deploy', file, '--runtime', 'netns']);
    for (let i = 0; i < 3000 && (await hostOf(lab)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await hostOf(lab), 'the agent host started').toHaveLength(1);
    child.kill('SIGKILL');
    await child;
    const clean = await dmmlab(['cleanup', '--json']);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    expect(parseJson<{ removed: { lab: string }[] }>(clean.stdout).removed.map((r) => r.lab)).toContain(lab);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('finds and stops an agent host that no journal lists', async () => {
    const lab = uniqueLab('horph');
    created.push(lab);
    const agents = `/run/dmmlab/${lab}/agents`;
    await execa('mkdir', ['-p', agents]);
    const host = execa('node', [path.join(ROOT, 'dist/agent/agent.mjs'), '--lab', lab, '--host', `${agents}/host.sock`], { reject: false, detached: true });
    for (let i = 0; i < 500 && !existsSync(`${agents}/host.sock`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(`${agents}/host.sock`), 'the host listens').toBe(true);
    const clean = await dmmlab(['cleanup', '--json']);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    expect(parseJson<{ orphans: string[] }>(clean.stdout).orphans).toContain(`process ${host.pid} (agent host of lab ${lab})`);
    await host;
    expect(await leftovers(lab)).toEqual([]);
  });
});

describe('without root', () => {
  it('says what needs root and why, with exit code 3', async () => {
    const r = await execa(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', path.join(ROOT, 'bin/dmmlab.js'), 'deploy', path.join(ROOT, 'topologies/smoke.yaml')],
      { reject: false, cwd: '/tmp' },
    );
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/needs root/);
    expect(r.stderr).toMatch(/network namespaces/);
  });
});
