/**
 * If an agent dies, the orchestrator notices, says which node and why, and `inspect` shows it, in
 * both ways agents run on the netns runtime (docs/architecture.md, "Node cost"):
 * - one agent host serving every node (the default): a node whose agent stops (it is told to shut
 *   down) is reported alone, by its node, while the others go on answering; when the host process
 *   itself is killed with SIGKILL, every node it served is reported down with the process named;
 * - one process per node (DMMLAB_AGENT_HOSTING=per-node): LM1's process is killed with SIGKILL
 *   while a LabSession is open; the session emits `agent-down` for lm1 only; `dmmlab inspect` exits
 *   4 and shows lm1 DOWN with the reason and its last events.
 * `dmmlab destroy` still removes everything. An agent that cannot start (its control socket path is
 * a directory, so listen fails) makes deploy fail with a message naming the node and quoting the
 * last output, in both ways, and deploy leaves nothing of the lab behind.
 */
import { ensureBuilt } from '../../support/build.js';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSession, type AgentDown } from '../../../cli/lab/session.js';
import { ROOT, dmmlab, dmmlabSpawn } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

type Json = Record<string, unknown>;
interface InspectView {
  agents: { node: string; status: string; why?: string; lastLines?: string; state?: Json }[];
}

const created: string[] = [];
const PER_NODE = { DMMLAB_AGENT_HOSTING: 'per-node' };

beforeAll(async () => {
  await ensureBuilt();
});

afterAll(async () => {
  const problems: string[] = [];
  for (const lab of created) {
    if (existsSync(`/run/dmmlab/${lab}`)) {
      const d = await dmmlab(['destroy', lab]);
      if (d.exitCode !== 0) problems.push(`destroy ${lab} (exit ${d.exitCode}): ${d.stdout}${d.stderr}`);
    }
    problems.push(...(await leftovers(lab)));
  }
  expect(problems).toEqual([]);
});

const FIG1 = path.join(ROOT, 'topologies/fig1.yaml');
/** Figure 1's nodes that run an agent from deploy (all but the plain router and the correspondent node). */
const AGENT_NODES = ['mr11', 'mr12', 'lm1', 'mr2', 'lm2', 'mr31', 'mr32', 'lm3', 'haa3', 'mn1', 'mn2'];

async function inspect(lab: string, json = true) {
  return dmmlab(['inspect', lab, ...(json ? ['--json'] : [])]);
}

async function deploy(lab: string, env?: Record<string, string>): Promise<InspectView> {
  created.push(lab);
  const dep = await dmmlab(['deploy', FIG1, '--name', lab, '--runtime', 'netns'], env ? { env } : {});
  expect(dep.exitCode, dep.stderr).toBe(0);
  const before = await inspect(lab);
  expect(before.exitCode, before.stderr).toBe(0);
  return JSON.parse(before.stdout) as InspectView;
}

function downWithin(session: LabSession, nodes: string[], ms: number): Promise<AgentDown[]> {
  const seen: AgentDown[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(seen), ms);
    session.on('agent-down', (d) => {
      seen.push(d);
      if (nodes.every((n) => seen.some((x) => x.node === n))) {
        clearTimeout(timer);
        setTimeout(() => resolve(seen), 200); // and nobody else
      }
    });
  });
}

describe('agents served by one agent host (figure 1, netns, the default)', () => {
  const lab = uniqueLab('hdeath');
  let session: LabSession | undefined;
  let hostPid = 0;

  afterAll(() => session?.close());

  it('runs every agent of the lab in one process; the plain router and the correspondent node run none', async () => {
    const view = await deploy(lab);
    const pids = new Set(view.agents.filter((a) => a.state).map((a) => Number(a.state!.pid)));
    expect(pids.size).toBe(1);
    hostPid = [...pids][0]!;
    expect(
      view.agents
        .filter((a) => a.status === 'up')
        .map((a) => a.node)
        .sort(),
    ).toEqual([...AGENT_NODES].sort());
    expect(
      view.agents
        .filter((a) => a.status === 'on-demand')
        .map((a) => a.node)
        .sort(),
    ).toEqual(['cn', 'core']);
  });

  it('reports a node whose agent stops by its node, and the others go on answering', async () => {
    session = await LabSession.open(lab);
    expect(session.deadAgents).toEqual([]);
    const downs = downWithin(session, ['lm1'], 10_000);
    await session.client('lm1').request('shutdown', {});
    expect((await downs).map((d) => d.node)).toEqual(['lm1']);
    await expect(session.agentState('lm1')).rejects.toThrow(/lm1/);
    expect(await session.agentState('mr11')).toMatchObject({ node: 'mr11', configured: true, pid: hostPid });
    const view = JSON.parse((await inspect(lab)).stdout) as InspectView;
    expect(view.agents.filter((a) => a.status === 'down').map((a) => a.node)).toEqual(['lm1']);
    expect(view.agents.find((a) => a.node === 'lm1')?.lastLines).toContain('agent.stopping');
  });

  it('reports every node it served when the host is killed with SIGKILL, naming the process', async () => {
    const serving = AGENT_NODES.filter((n) => n !== 'lm1');
    const downs = downWithin(session!, serving, 10_000);
    process.kill(hostPid, 'SIGKILL');
    const seen = await downs;
    expect(seen.map((d) => d.node).sort()).toEqual(serving.sort());
    for (const d of seen) expect(d.why).toContain(`its process ${hostPid} is gone`);
    const json = await inspect(lab);
    expect(json.exitCode, json.stderr).toBe(4);
    const view = JSON.parse(json.stdout) as InspectView;
    expect(
      view.agents
        .filter((a) => a.status === 'down')
        .map((a) => a.node)
        .sort(),
    ).toEqual([...AGENT_NODES].sort());
  });

  it('is still destroyed completely', async () => {
    session?.close();
    const d = await dmmlab(['destroy', lab]);
    expect(d.exitCode, d.stdout + d.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });
});

describe('an agent process killed with SIGKILL (figure 1, netns, one process per node)', () => {
  const lab = uniqueLab('death');
  let session: LabSession | undefined;
  let down: AgentDown | undefined;
  let lastEvent = '';

  afterAll(() => session?.close());

  it('is noticed by an open LabSession and shown DOWN by inspect (exit 4) with the reason', async () => {
    const before = await deploy(lab, PER_NODE);
    const pids = new Set(before.agents.filter((a) => a.state).map((a) => Number(a.state!.pid)));
    expect(pids.size, 'one process per node').toBe(AGENT_NODES.length);
    const pid = Number(before.agents.find((a) => a.node === 'lm1')?.state?.pid);
    expect(pid).toBeGreaterThan(1);

    session = await LabSession.open(lab);
    expect(session.deadAgents).toEqual([]);
    const downs = downWithin(session, ['lm1'], 10_000);
    process.kill(pid, 'SIGKILL');
    const seen = await downs;
    down = seen.find((d) => d.node === 'lm1');
    expect(down, 'agent-down for lm1 within 10 s').toBeDefined();
    expect(down!.why).toContain(`its process ${pid} is gone`);
    expect(typeof down!.lastLines).toBe('string');
    expect(seen.map((d) => d.node)).toEqual(['lm1']);
    expect(session.deadAgents.map((d) => d.node)).toEqual(['lm1']);
    // Asking the dead agent fails with a message naming it; the others still answer.
    await expect(session.agentState('lm1')).rejects.toThrow(/lm1/);
    expect(await session.agentState('mr11')).toMatchObject({ node: 'mr11', configured: true });
    const log = (await readFile(`/run/dmmlab/${lab}/logs/lm1.log`, 'utf8')).trimEnd().split('\n');
    lastEvent = log.at(-1) ?? '';
    expect(lastEvent).toContain('"node":"lm1"');

    const json = await inspect(lab);
    expect(json.exitCode, json.stderr).toBe(4);
    const view = JSON.parse(json.stdout) as InspectView;
    const dead = view.agents.find((a) => a.node === 'lm1');
    expect(dead).toMatchObject({ node: 'lm1', status: 'down' });
    expect(dead?.why).toMatch(/lm1/);
    expect(dead?.why).toMatch(/ECONNREFUSED|did not answer|ENOENT/);
    expect(view.agents.filter((a) => a.status === 'down').map((a) => a.node)).toEqual(['lm1']);

    const text = await inspect(lab, false);
    expect(text.exitCode, text.stderr).toBe(4);
    const row = text.stdout.split('\n').find((l) => /^lm1\s+DOWN\b/.test(l));
    expect(row, text.stdout).toBeDefined();
    expect(row).toContain(dead!.why!.slice(0, 40));
  });

  // An agent killed by a signal writes nothing to its process output; its last events are in logs/<node>.log.
  it('reports the last lines of the dead agent’s log in inspect and in the session’s agent-down', async () => {
    expect(lastEvent).not.toBe('');
    const view = JSON.parse((await inspect(lab)).stdout) as InspectView;
    expect(view.agents.find((a) => a.node === 'lm1')?.lastLines).toContain(lastEvent.slice(0, 60));
    expect(down?.lastLines).toContain(lastEvent.slice(0, 60));
  });

  it('is still destroyed completely', async () => {
    session?.close();
    const d = await dmmlab(['destroy', lab]);
    expect(d.exitCode, d.stdout + d.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });
});

describe.each([
  ['served by the agent host', undefined],
  ['in a process of its own', PER_NODE],
] as const)('an agent that cannot start (figure 1, netns, %s)', (_how, env) => {
  it('fails the deploy naming the node and quoting its last output, and leaves nothing', async () => {
    const lab = uniqueLab('dstart');
    created.push(lab);
    const victim = 'mr31';
    const child = dmmlabSpawn(['deploy', FIG1, '--name', lab, '--runtime', 'netns'], env ? { env } : {});
    // The lab's directory (with agents/) is the first thing deploy writes; the agents start
    // after namespaces, links and node configuration. A directory where the victim's socket
    // goes makes its listen() fail (EADDRINUSE).
    const agents = `/run/dmmlab/${lab}/agents`;
    let made = false;
    for (let i = 0; i < 4000 && !made; i++) {
      if (existsSync(agents)) {
        mkdirSync(path.join(agents, `${victim}.sock`));
        made = true;
      } else await new Promise((r) => setTimeout(r, 5));
    }
    expect(made, 'the lab directory appeared').toBe(true);
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`agent of ${victim} did not start`));
    expect(r.stderr).toMatch(/last lines of its log:\n[\s\S]*EADDRINUSE/);
    expect(r.stderr).toContain(`${victim}.sock`);
    // Nothing else is blamed.
    for (const other of ['mr11', 'lm1', 'cn', 'mn1']) expect(r.stderr).not.toMatch(new RegExp(`agent of ${other}\\b`));
    expect(await leftovers(lab)).toEqual([]);
  });
});
