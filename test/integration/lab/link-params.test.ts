import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../cli/agents/agent-client.js';
import { agentOf } from '../../support/agents.js';
import { probeKernel } from '../../../cli/runtime/host-namespace/kernel-probe.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { execa } from 'execa';

const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-link-'));
const labs: string[] = [];
afterAll(async () => {
  for (const l of labs) await dmmlab(['destroy', l]);
  await rm(dir, { recursive: true, force: true });
});

/** topologies/smoke.yaml with extra parameters on the wired mr1–cn1 link. */
async function smokeWith(params: string, name: string): Promise<string> {
  const text = (await readFile(path.join(ROOT, 'topologies/smoke.yaml'), 'utf8')).replace('  - endpoints: [mr1, cn1]', `  - endpoints: [mr1, cn1]\n${params}`);
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

const features = await probeKernel();

describe.skipIf(features.netem)('a kernel without netem', () => {
  it('refuses delay and loss before creating anything, naming the module and the way out', async () => {
    const lab = uniqueLab('nonetem');
    const r = await dmmlab(['deploy', await smokeWith('    delay: 20ms', lab), '--name', lab, '--runtime', 'netns']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/sch_netem/);
    expect(r.stderr).toMatch(/VM runner/);
    expect(await leftovers(lab)).toEqual([]);
  });
});

describe('rate limits (tbf, on every kernel)', () => {
  it('hold a flow to the declared rate, and change at run time with dmmlab link set', async () => {
    const lab = uniqueLab('rate');
    labs.push(lab);
    const r = await dmmlab(['deploy', await smokeWith('    rate: 800kbit', lab), '--name', lab, '--runtime', 'netns']);
    expect(r.exitCode, r.stderr).toBe(0);
    const qdisc = await execa('ip', ['netns', 'exec', `dmm-${lab}-cn1`, 'tc', 'qdisc', 'show', 'dev', 'mr1']);
    expect(qdisc.stdout).toMatch(/tbf|netem/);
    const mn = await AgentClient.connect('mn1', `/run/dmmlab/${lab}/agents/mn1.sock`);
    const cn = await agentOf(lab, 'cn1');
    let addr = '';
    for (let i = 0; i < 100 && !addr; i++) {
      const out = (await execa('ip', ['-n', `dmm-${lab}-mn1`, '-6', '-o', 'addr', 'show', 'scope', 'global'])).stdout;
      addr = out.split(/\s+/)[3]?.split('/')[0] ?? '';
      if (!addr) await new Promise((res) => setTimeout(res, 50));
    }
    // 1000 packets/s of 1000 bytes (8 Mbit/s) into an 800 kbit/s link: about 100 packets/s get through.
    const throughput = async (id: string) => {
      await mn.request('flow.start', { flow: { id, kind: 'udp', role: 'receiver', address: addr, port: 6200 } });
      await cn.request('flow.start', { flow: { id, kind: 'udp', role: 'sender', address: addr, port: 6200, rate: 1000, size: 1000, durationMs: 3000 } });
      await new Promise((res) => setTimeout(res, 3600));
      const got = await mn.request('flow.stop', { flowId: id });
      return (got.received ?? 0) / 3;
    };
    const slow = await throughput('a');
    expect(slow).toBeGreaterThan(60);
    expect(slow).toBeLessThan(160);
    const set = await dmmlab(['link', 'set', lab, 'mr1', 'cn1', '--rate', '4mbit']);
    expect(set.exitCode, set.stderr).toBe(0);
    const faster = await throughput('b');
    expect(faster).toBeGreaterThan(350);
    expect(faster).toBeLessThan(700);
    mn.close();
    cn.close();
  });

  it('refuses a malformed value naming the flag and what it expected', async () => {
    const r = await dmmlab(['link', 'set', 'nolab', 'a', 'b', '--rate', 'fast']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--rate: found "fast"; expected a rate such as 10mbit/);
  });
});
