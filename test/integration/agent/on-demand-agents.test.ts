/**
 * A node costs what its roles need (docs/architecture.md, "Node cost"): on a chain of plain routers
 * between two correspondent nodes, deploy starts no agent and no process at all (nothing runs in
 * any node's namespace, no agent host, the journal records no process, inspect lists every agent
 * as "on demand"). A UDP flow from one correspondent node to the other, started through a
 * LabSession as a scenario starts it, brings up exactly the two agents it needs; their events join
 * the session's stream, the packets arrive, and the routers in between still run nothing. Destroy
 * leaves nothing. On the netns runtime both ways of hosting agents are covered (one agent host for
 * the lab; one process per node), and on Docker the agent starts inside the container.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSession } from '../../../cli/lab/session.js';
import { namespacePids } from '../../../cli/runtime/host-namespace/namespaces.js';
import { readState } from '../../../cli/state/journal.js';
import type { AgentEvent } from '../../../shared/control/events.js';
import type { FlowReport } from '../../../shared/control/flow-report.js';
import { ensureBuilt } from '../../support/build.js';
import { dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes, type TestRuntime } from '../../support/runtimes.js';

const ROUTERS = ['r1', 'r2', 'r3'];
const NODES = ['cn1', ...ROUTERS, 'cn2'];

function chain(lab: string): string {
  return [
    `name: ${lab}`,
    'networks:',
    '  core: { prefix: 2001:db8:70::/48 }',
    'nodes:',
    '  cn1: { roles: [cn], network: core }',
    ...ROUTERS.map((r) => `  ${r}: { roles: [router], network: core }`),
    '  cn2: { roles: [cn], network: core }',
    'links:',
    ...NODES.slice(1).map((n, i) => `  - endpoints: [${NODES[i]}, ${n}]`),
    '',
  ].join('\n');
}

const labs: string[] = [];
let dir = '';

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-ondemand-'));
});

afterAll(async () => {
  const problems: string[] = [];
  for (const lab of labs) {
    if (existsSync(`/run/dmmlab/${lab}`)) await dmmlab(['destroy', lab]);
    problems.push(...(await leftovers(lab)));
  }
  await rm(dir, { recursive: true, force: true });
  expect(problems).toEqual([]);
});

interface Case {
  runtime: TestRuntime;
  hosting: 'shared' | 'per-node';
  label: string;
}
const cases = (await testRuntimes()).flatMap((runtime): Case[] =>
  runtime === 'netns'
    ? [
        { runtime, hosting: 'shared', label: 'netns, one agent host' },
        { runtime, hosting: 'per-node', label: 'netns, one process per node' },
      ]
    : [{ runtime, hosting: 'per-node', label: runtime }],
);

describe.each(cases)('a chain of plain routers ($label)', ({ runtime, hosting }) => {
  const lab = uniqueLab('ondem');
  const env: Record<string, string> = hosting === 'per-node' ? { DMMLAB_AGENT_HOSTING: 'per-node' } : {};
  const running = async (node: string) => {
    if (runtime === 'docker') {
      const r = await execa('docker', ['exec', `dmm-${lab}-${node}`, 'pgrep', '-f', 'agent.mjs'], { reject: false });
      return r.stdout.split('\n').filter(Boolean);
    }
    return ((await namespacePids([`dmm-${lab}-${node}`])).get(`dmm-${lab}-${node}`) ?? []).map(String);
  };
  const hostProcess = async () => (await execa('pgrep', ['-f', `agent.mjs --lab ${lab} --host`], { reject: false })).stdout.split('\n').filter(Boolean);

  it('deploys with no agent and no process in any node', async () => {
    labs.push(lab);
    const file = path.join(dir, `${lab}.yaml`);
    await writeFile(file, chain(lab));
    const r = await dmmlab(['deploy', file, '--runtime', runtime, '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { agents: unknown[] }).agents).toEqual([]);
    for (const n of NODES) expect(await running(n), `processes in ${n}`).toEqual([]);
    expect(await hostProcess()).toEqual([]);
    expect((await readState(lab)).resources.filter((x) => x.kind === 'process')).toEqual([]);
    const view = JSON.parse((await dmmlab(['inspect', lab, '--json'])).stdout) as { agents: { node: string; status: string }[] };
    expect(view.agents.map((a) => [a.node, a.status])).toEqual(NODES.map((n) => [n, 'on-demand']));
  });

  it('starts the agents a flow needs, and only those, when the flow starts', async () => {
    const prev = process.env.DMMLAB_AGENT_HOSTING;
    if (hosting === 'per-node') process.env.DMMLAB_AGENT_HOSTING = 'per-node';
    const session = await LabSession.open(lab);
    try {
      const events: AgentEvent[] = [];
      session.on('event', (e) => events.push(e));
      await session.startFlow({ id: 'f1', kind: 'udp', from: 'cn1', to: 'cn2', rate: 200, size: 100, durationMs: 1000 });
      await new Promise((r) => setTimeout(r, 1300));
      const { receiver } = await session.stopFlow({ id: 'f1', from: 'cn1', to: 'cn2', kind: 'udp' });
      expect((receiver as FlowReport).received).toBeGreaterThan(150);
      for (const n of ['cn1', 'cn2']) {
        expect(
          events.some((e) => e.node === n && e.kind === 'agent.configured'),
          `${n} configured`,
        ).toBe(true);
        expect(await session.agentState(n)).toMatchObject({ node: n, configured: true });
      }
      if (runtime === 'netns' && hosting === 'shared') {
        expect(await hostProcess()).toHaveLength(1);
        for (const n of NODES) expect(await running(n), `processes in ${n}`).toEqual([]);
        expect((await readState(lab)).resources.filter((x) => x.kind === 'process').map((x) => x.node)).toEqual(['(agent host)']);
      } else {
        for (const n of ['cn1', 'cn2']) expect(await running(n), `the agent in ${n}`).toHaveLength(1);
        expect(await hostProcess()).toEqual([]);
      }
      for (const r of ROUTERS) expect(await running(r), `processes in ${r}`).toEqual([]);
      const view = JSON.parse((await dmmlab(['inspect', lab, '--json'])).stdout) as { agents: { node: string; status: string }[] };
      expect(view.agents.map((a) => [a.node, a.status])).toEqual(NODES.map((n) => [n, n.startsWith('cn') ? 'up' : 'on-demand']));
    } finally {
      session.close();
      if (prev === undefined) delete process.env.DMMLAB_AGENT_HOSTING;
      else process.env.DMMLAB_AGENT_HOSTING = prev;
    }
  });

  it('is destroyed without a trace', async () => {
    const d = await dmmlab(['destroy', lab]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });
});
