import { execa } from 'execa';
import { parseTopology } from '../../cli/plan/load.js';
import type { Plan } from '../../cli/plan/types.js';
import { readFile } from 'node:fs/promises';
import { labProcesses, pssOf, usedMemory } from './lab-cost.js';

const BIN = new URL('../../bin/dmmlab.js', import.meta.url).pathname;

export interface LabCost {
  nodes: number;
  mns: number;
  /** Agents started at deploy, and how they run. */
  agents: number;
  hosting: string;
  /** `dmmlab deploy` as a user runs it: from the command to its exit, agents ready and configured. */
  deployMs: number;
  phases: Record<string, number>;
  /** Processes the lab runs once deployed (in its nodes, and the agent host with what it started). */
  processes: number;
  /** Their proportional set size, summed (shared pages counted once). */
  pssBytes: number;
  /** The machine's used memory after deploy minus before (processes, and the kernel's namespaces, links and routes). */
  usedDeltaBytes: number;
  destroyMs: number;
}

interface DeployJson {
  agents: unknown[];
  agentHosting: string;
  phases: Record<string, number>;
}

/**
 * Deploys a topology file with the CLI, waits `settleMs`, measures what the
 * lab costs, runs `during` (a storm) and destroys it, timing both commands.
 */
export async function measureLab(
  file: string,
  opts: { env?: Record<string, string>; settleMs?: number; during?: (lab: string, plan: Plan) => Promise<void> } = {},
): Promise<LabCost> {
  const { plan } = parseTopology(file, await readFile(file, 'utf8'));
  const before = await usedMemory();
  let t = performance.now();
  const dep = await execa('node', [BIN, 'deploy', file, '--runtime', 'netns', '--json'], { env: opts.env ?? {}, reject: false });
  const deployMs = performance.now() - t;
  if (dep.exitCode !== 0) throw new Error(`deploy of ${file} failed: ${dep.stderr}`);
  const out = JSON.parse(dep.stdout) as DeployJson;
  await new Promise((r) => setTimeout(r, opts.settleMs ?? 3000));
  const pids = await labProcesses(
    plan.lab,
    plan.nodes.map((n) => n.netns),
  );
  const cost = { processes: pids.length, pssBytes: await pssOf(pids), usedDeltaBytes: (await usedMemory()) - before };
  const during = await opts.during?.(plan.lab, plan).then(
    () => undefined,
    (e: unknown) => e,
  );
  t = performance.now();
  const des = await execa('node', [BIN, 'destroy', plan.lab], { reject: false });
  if (during !== undefined) throw during instanceof Error ? during : new Error('what ran on the lab during the measurement failed');
  if (des.exitCode !== 0) throw new Error(`destroy of ${plan.lab} failed: ${des.stderr}`);
  return {
    nodes: plan.nodes.length,
    mns: plan.mobility.mns.length,
    agents: out.agents.length,
    hosting: out.agentHosting,
    deployMs,
    phases: out.phases,
    ...cost,
    destroyMs: performance.now() - t,
  };
}
