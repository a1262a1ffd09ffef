/**
 * Agent budgets on figure 1: every agent's share of resident memory (its process's `state.rssBytes`
 * divided among the agents that process serves: one agent host serves them all by default; the
 * largest of samples taken after deploy, after some traffic, and over the first 90 s) under 50 MB,
 * and every agent ready (launch → hello on its control socket, `deploy().agents[].readyMs`) within
 * 300 ms on an otherwise idle machine. The machine running the suite is shared with other tests,
 * so this is a soft check: it prints every number against the budget and fails only beyond twice
 * the budget. When start-up times are beyond that, the lab is deployed again (up to three times in
 * all) and each node's best time counts, since a burst of load elsewhere is not the agent's doing.
 * Before each deploy it also times as many bare `node -e ''` started at once as there are agents:
 * when the machine is so loaded that a bare Node takes longer than the budget to start and exit,
 * the readiness limit becomes twice that time instead (reported as such), so a shared machine does
 * not fail the test while an agent that is slow by itself still does.
 */
import { ensureBuilt } from '../../support/build.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

/** A megabyte as `dmmlab inspect` prints it (2^20 octets). */
const MB = 2 ** 20;
const RSS_BUDGET = 50 * MB;
const READY_BUDGET_MS = 300;
const SOFT = 2;
/** Figure 1's nodes that run an agent from deploy: all but the plain router and the correspondent node (theirs start with a flow). */
const AGENTS = 11;

interface DeployedLab {
  lab: string;
  agents: { node: string; pid?: number; readyMs: number; configureMs: number }[];
}
type DeployFn = (opts: { topology: string; name?: string; runtime?: 'netns' }) => Promise<DeployedLab>;

const created: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
});

afterAll(async () => {
  const problems: string[] = [];
  for (const lab of created) {
    if (!existsSync(`/run/dmmlab/${lab}`)) {
      problems.push(...(await leftovers(lab)));
      continue;
    }
    const d = await dmmlab(['destroy', lab]);
    if (d.exitCode !== 0) problems.push(`destroy ${lab} (exit ${d.exitCode}): ${d.stdout}${d.stderr}`);
    problems.push(...(await leftovers(lab)));
  }
  expect(problems).toEqual([]);
});

/** Median time for `n` bare Node processes started together to start and exit. */
async function bareNodeStartMs(n: number): Promise<number> {
  const one = () =>
    new Promise<number>((resolve) => {
      const t = performance.now();
      spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', () => resolve(performance.now() - t));
    });
  const times = (await Promise.all(Array.from({ length: n }, one))).sort((a, b) => a - b);
  return times[Math.floor(n / 2)] as number;
}

/**
 * Each agent's share of resident memory: its process's, divided among the agents that process
 * serves (one agent host serves them all by default; DMMLAB_AGENT_HOSTING=per-node gives each its own).
 */
async function rssByNode(lab: string): Promise<Map<string, number>> {
  const r = await dmmlab(['inspect', lab, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  const view = JSON.parse(r.stdout) as { agents: { node: string; status: string; state?: { pid: number; rssBytes?: number } }[] };
  const up = view.agents.filter((a) => a.status !== 'on-demand');
  expect(up.filter((a) => a.status !== 'up')).toEqual([]);
  const perPid = new Map<number, number>();
  for (const a of up) perPid.set(a.state!.pid, (perPid.get(a.state!.pid) ?? 0) + 1);
  return new Map(up.map((a) => [a.node, Number(a.state?.rssBytes) / perPid.get(a.state!.pid)!]));
}

describe('agent budgets on figure 1 (netns)', () => {
  it('keeps every agent under 50 MB and ready within 300 ms (soft: fails beyond 2×)', { timeout: 300_000 }, async () => {
    const { deploy } = (await import(pathToFileURL(path.join(ROOT, 'dist/cli/lab/deploy.js')).href)) as { deploy: DeployFn };
    const bestReady = new Map<string, number>();
    const configure = new Map<string, number>();
    const rss = new Map<string, number>();
    const loads: string[] = [];
    let bare = Infinity;
    const readyLimit = () => SOFT * Math.max(READY_BUDGET_MS, bare);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const lab = uniqueLab('budget');
      created.push(lab);
      loads.push(
        loadavg()
          .map((l) => l.toFixed(1))
          .join(' '),
      );
      bare = Math.min(bare, await bareNodeStartMs(AGENTS));
      const dep = await deploy({ topology: path.join(ROOT, 'topologies/fig1.yaml'), name: lab, runtime: 'netns' });
      const deployedAt = performance.now();
      expect(dep.agents.length).toBe(AGENTS);
      for (const a of dep.agents) {
        bestReady.set(a.node, Math.min(bestReady.get(a.node) ?? Infinity, a.readyMs));
        configure.set(a.node, Math.min(configure.get(a.node) ?? Infinity, a.configureMs));
      }
      // Memory once the lab has settled and again after some signalling and traffic (MN2 → MN1 triggers a location query).
      await new Promise((r) => setTimeout(r, 1500));
      for (const [n, b] of await rssByNode(lab)) rss.set(n, Math.max(rss.get(n) ?? 0, b));
      const globals = async (mn: string) =>
        (
          JSON.parse((await execa('ip', ['-j', '-n', `dmm-${lab}-${mn}`, '-6', 'address', 'show', 'scope', 'global'])).stdout || '[]') as {
            addr_info?: { local: string }[];
          }[]
        ).flatMap((l) => l.addr_info ?? []);
      for (let i = 0; i < 100 && (await globals('mn2')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const home = (await globals('mn1'))[0]?.local;
      if (home) await execa('ip', ['netns', 'exec', `dmm-${lab}-mn2`, 'ping', '-c', '5', '-i', '0.2', '-W', '2', home], { reject: false });
      await new Promise((r) => setTimeout(r, 2500));
      for (const [n, b] of await rssByNode(lab)) rss.set(n, Math.max(rss.get(n) ?? 0, b));
      // Memory of agents that have run a while (the first lab only): sampled for 90 s after deploy.
      if (attempt === 1) {
        const until = Date.now() + 90_000 - (performance.now() - deployedAt);
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, Math.min(15_000, Math.max(0, until - Date.now()))));
          for (const [n, b] of await rssByNode(lab)) rss.set(n, Math.max(rss.get(n) ?? 0, b));
        }
      }
      const d = await dmmlab(['destroy', lab]);
      expect(d.exitCode, `destroy ${lab}: ${d.stdout}${d.stderr}`).toBe(0);
      if ([...bestReady.values()].every((ms) => ms <= readyLimit())) break;
    }

    const rows = [...bestReady.keys()].map((node) => {
      const r = rss.get(node) ?? NaN;
      const ms = bestReady.get(node) ?? NaN;
      return `${node.padEnd(5)} rss max ${(r / MB).toFixed(1).padStart(5)} MB ${r > RSS_BUDGET ? '(over 50 MB)' : '            '}  ready ${ms.toFixed(0).padStart(5)} ms ${ms > READY_BUDGET_MS ? '(over 300 ms)' : '             '}  configure ${(configure.get(node) ?? NaN).toFixed(0).padStart(4)} ms`;
    });
    const limit = readyLimit();
    console.info(
      `agent budgets on figure 1 (load average before each deploy: ${loads.join(' | ')}; ${AGENTS} bare node starts: median ${bare.toFixed(0)} ms; ` +
        `readiness limit ${limit.toFixed(0)} ms${limit > SOFT * READY_BUDGET_MS ? ', raised because the machine is loaded' : ''}):\n${rows.join('\n')}`,
    );
    const overRss = [...rss].filter(([, b]) => b > SOFT * RSS_BUDGET).map(([n, b]) => `${n} ${(b / MB).toFixed(1)} MB`);
    const overReady = [...bestReady].filter(([, ms]) => ms > limit).map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`);
    expect(rss.size).toBe(AGENTS);
    expect(overRss, 'agents over twice the 50 MB budget').toEqual([]);
    expect(
      overReady,
      `agents slower to be ready than ${limit.toFixed(0)} ms (twice the 300 ms budget, or twice a bare Node start on this machine now)`,
    ).toEqual([]);
    for (const lab of created) expect(await leftovers(lab)).toEqual([]);
  });
});
