/**
 * If an agent dies, the orchestrator notices, says which node and why, and `inspect` shows it:
 * on figure 1, LM1's agent is killed with SIGKILL while a LabSession is open. The session emits
 * `agent-down` for lm1; `dmmlab inspect` exits 4 and shows lm1 DOWN with the reason; `dmmlab
 * destroy` still removes everything. An agent that exits at start (its control socket path is a
 * directory, so listen fails) makes deploy fail with a message naming the node and quoting its
 * last output, and deploy leaves nothing of the lab behind.
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

const created: string[] = [];

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

async function inspect(lab: string, json = true) {
  return dmmlab(['inspect', lab, ...(json ? ['--json'] : [])]);
}

describe('an agent killed with SIGKILL (figure 1, netns)', () => {
  const lab = uniqueLab('death');
  let session: LabSession | undefined;
  let down: AgentDown | undefined;
  let lastEvent = '';

  afterAll(() => session?.close());

  it('is noticed by an open LabSession and shown DOWN by inspect (exit 4) with the reason', async () => {
    created.push(lab);
    const dep = await dmmlab(['deploy', FIG1, '--name', lab, '--runtime', 'netns']);
    expect(dep.exitCode, dep.stderr).toBe(0);
    const before = await inspect(lab);
    expect(before.exitCode, before.stderr).toBe(0);
    const lm1 = (JSON.parse(before.stdout) as { agents: { node: string; state?: Json }[] }).agents.find((a) => a.node === 'lm1');
    const pid = Number(lm1?.state?.pid);
    expect(pid).toBeGreaterThan(1);

    session = await LabSession.open(lab);
    expect(session.deadAgents).toEqual([]);
    const downs: AgentDown[] = [];
    session.on('agent-down', (d) => downs.push(d));
    const noticed = new Promise<AgentDown>((resolve) => session!.on('agent-down', (d) => d.node === 'lm1' && resolve(d)));

    process.kill(pid, 'SIGKILL');
    down = await Promise.race([noticed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    expect(down, 'agent-down for lm1 within 10 s').toBeDefined();
    expect(down!.why.length).toBeGreaterThan(0);
    expect(typeof down!.lastLines).toBe('string');
    expect(downs.map((d) => d.node)).toEqual(['lm1']);
    expect(session.deadAgents.map((d) => d.node)).toEqual(['lm1']);
    // Asking the dead agent fails with a message naming it; the others still answer.
    await expect(session.agentState('lm1')).rejects.toThrow(/lm1/);
    expect(await session.agentState('mr11')).toMatchObject({ node: 'mr11', configured: true });
    const log = (await readFile(`/run/dmmlab/${lab}/logs/lm1.log`, 'utf8')).trimEnd().split('\n');
    lastEvent = log.at(-1) ?? '';
    expect(lastEvent).toContain('"node":"lm1"');

    const json = await inspect(lab);
    expect(json.exitCode, json.stderr).toBe(4);
    const view = JSON.parse(json.stdout) as { agents: { node: string; status: string; why?: string; lastLines?: string }[] };
    const dead = view.agents.find((a) => a.node === 'lm1');
    expect(dead).toMatchObject({ node: 'lm1', status: 'down' });
    expect(dead?.why).toMatch(/lm1/);
    expect(dead?.why).toMatch(/ECONNREFUSED|did not answer|ENOENT/);
    expect(typeof dead?.lastLines).toBe('string');
    expect(view.agents.filter((a) => a.status !== 'up').map((a) => a.node)).toEqual(['lm1']);

    const text = await inspect(lab, false);
    expect(text.exitCode, text.stderr).toBe(4);
    const row = text.stdout.split('\n').find((l) => /^lm1\s+DOWN\b/.test(l));
    expect(row, text.stdout).toBeDefined();
    expect(row).toContain(dead!.why!.slice(0, 40));
  });

  // An agent killed by a signal writes nothing to its process output; its last events are in logs/<node>.log.
  it('reports the last lines of the dead agent’s log in inspect', async () => {
    expect(lastEvent).not.toBe('');
    const view = JSON.parse((await inspect(lab)).stdout) as { agents: { node: string; lastLines?: string }[] };
    expect(view.agents.find((a) => a.node === 'lm1')?.lastLines).toContain(lastEvent.slice(0, 60));
  });

  it('reports the last lines of the dead agent’s log in the session’s agent-down', () => {
    expect(lastEvent).not.toBe('');
    expect(down?.lastLines).toContain(lastEvent.slice(0, 60));
  });

  it('is still destroyed completely', async () => {
    session?.close();
    const d = await dmmlab(['destroy', lab]);
    expect(d.exitCode, d.stdout + d.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });
});

describe('an agent that exits at start (figure 1, netns)', () => {
  it('fails the deploy naming the node and quoting its last output, and leaves nothing', async () => {
    const lab = uniqueLab('dstart');
    created.push(lab);
    const victim = 'mr31';
    const child = dmmlabSpawn(['deploy', FIG1, '--name', lab, '--runtime', 'netns']);
    // The lab's directory (with agents/) is the first thing deploy writes; the agents start
    // after namespaces, links and node configuration. A directory where the victim's socket
    // goes makes its listen() fail (EADDRINUSE), and the agent exits.
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
    expect(r.stderr).toMatch(/last lines of its log/);
    expect(r.stderr).toMatch(/EADDRINUSE/);
    expect(r.stderr).toContain(`${victim}.sock`);
    // Nothing else is blamed.
    for (const other of ['mr11', 'lm1', 'cn', 'mn1']) expect(r.stderr).not.toMatch(new RegExp(`agent of ${other}\\b`));
    expect(await leftovers(lab)).toEqual([]);
  });
});
