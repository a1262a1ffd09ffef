/**
 * Link parameters with netem (present on the VM's stock kernel): a declared
 * delay shows in ping RTT, a declared loss in a flow's loss, and both change
 * at run time with `dmmlab link set`. Runs only inside the VM.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../cli/agents/agent-client.js';
import { agentOf } from '../support/agents.js';
import { BIN, ROOT } from '../support/cli.js';

const inVm = process.env.DMMLAB_IN_VM === '1';
const lab = 'vmnetem';
const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmvm-netem-'));
afterAll(async () => {
  await execa('node', [BIN, 'destroy', lab], { reject: false });
  await rm(dir, { recursive: true, force: true });
});

/** The smoke lab with 20 ms one-way delay and 10 % loss on the wired link. */
async function topology(): Promise<string> {
  const text = (await readFile(path.join(ROOT, 'topologies/smoke.yaml'), 'utf8')).replace(
    '  - endpoints: [mr1, cn1]',
    '  - endpoints: [mr1, cn1]\n    delay: 20ms\n    loss: 10%',
  );
  const file = path.join(dir, 'netem.yaml');
  await writeFile(file, text);
  return file;
}

const rtt = async (): Promise<number> => {
  const r = await execa('ip', ['netns', 'exec', `dmm-${lab}-cn1`, 'ping', '-c', '20', '-i', '0.05', '2001:db8:10::1'], { reject: false });
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  return m ? Number(m[1]) : NaN;
};

describe.skipIf(!inVm)('one-way latency against a known link delay', () => {
  it('is the link delay plus a little, on one clock, never negative', { timeout: 600_000 }, async () => {
    const topo = (await readFile(path.join(ROOT, 'topologies/smoke.yaml'), 'utf8')).replace(
      '  - endpoints: [mr1, cn1]',
      '  - endpoints: [mr1, cn1]\n    delay: 20ms',
    );
    await writeFile(path.join(dir, 'delay.yaml'), topo);
    const scenario = path.join(dir, 'latency.yaml');
    await writeFile(
      scenario,
      [
        'name: latency',
        'topology: delay.yaml',
        'steps:',
        '  - flow: { id: f1, kind: udp, from: cn1, to: mn1, rate: 50, size: 100 }',
        '  - wait: 2s',
        '  - stop: f1',
        'expect:',
        '  - flow: f1',
        '    lossPercent: "<= 5%"',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'latency-run');
    const r = await execa('node', [BIN, 'run', scenario, '--runtime', 'netns', '--out', out], { reject: false });
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as {
      flows: { id: string; latencyMs?: { p50: number; p95: number; offsetRemovedMs: number } }[];
    };
    const l = report.flows.find((f) => f.id === 'f1')?.latencyMs;
    // cn1 → mr1 crosses the 20 ms link once (the delay sits in cn1's qdisc, before its capture);
    // the rest is forwarding on an emulated CPU (TCG), a few milliseconds at most.
    expect(l?.p50).toBeGreaterThanOrEqual(20);
    expect(l?.p95).toBeLessThan(60);
    expect(l?.offsetRemovedMs).toBeLessThan(1);
  });
});

describe.skipIf(!inVm)('netem link parameters', () => {
  it('delay shows in RTT, loss in a flow, and both change at run time', { timeout: 600_000 }, async () => {
    const dep = await execa('node', [BIN, 'deploy', await topology(), '--name', lab, '--runtime', 'netns'], { reject: false });
    expect(dep.exitCode, dep.stderr).toBe(0);
    // 20 ms each way: at least 40 ms round trip.
    expect(await rtt()).toBeGreaterThanOrEqual(39);

    // 10 % loss on the link: a UDP flow across it loses about that many.
    const mn = await AgentClient.connect('mn1', `/run/dmmlab/${lab}/agents/mn1.sock`);
    const cn = await agentOf(lab, 'cn1');
    const addr = (await execa('ip', ['-n', `dmm-${lab}-mn1`, '-6', '-o', 'addr', 'show', 'scope', 'global'])).stdout.split(/\s+/)[3]!.split('/')[0]!;
    await mn.request('flow.start', { flow: { id: 'l', kind: 'udp', role: 'receiver', address: addr, port: 6100 } });
    await cn.request('flow.start', { flow: { id: 'l', kind: 'udp', role: 'sender', address: addr, port: 6100, rate: 200, durationMs: 5000 } });
    await new Promise((r) => setTimeout(r, 6500));
    const stats = (await mn.request('flow.stop', { flowId: 'l' })).received ?? 0;
    const lossPct = 100 * (1 - stats / 1000);
    expect(lossPct).toBeGreaterThan(4);
    expect(lossPct).toBeLessThan(18);

    // At run time: 50 ms each way, no loss.
    const set = await execa('node', [BIN, 'link', 'set', lab, 'mr1', 'cn1', '--delay', '50ms', '--loss', '0%'], { reject: false });
    expect(set.exitCode, set.stderr).toBe(0);
    expect(await rtt()).toBeGreaterThanOrEqual(99);
    const clear = await execa('node', [BIN, 'link', 'set', lab, 'mr1', 'cn1', '--clear'], { reject: false });
    expect(clear.exitCode, clear.stderr).toBe(0);
    expect(await rtt()).toBeLessThan(20);
    mn.close();
    cn.close();
  });
});
