import { agentAtDeploy, startWave } from '../../shared/control/roles.js';
import { DmmlabError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Journal } from '../state/journal.js';
import type { LabState } from '../state/lab-state.js';
import { agentSocket } from '../state/paths.js';
import { mapLimit } from '../util/exec.js';
import type { Progress } from '../util/progress.js';
import { agentConfigFor, type LabKey } from './agent-config.js';
import { AgentClient } from './agent-client.js';
import { agentLauncher, type AgentLauncher } from './agent-launcher.js';
import { agentLastWords } from './last-lines.js';
import type { TunnelDriverName } from '../../shared/control/tunnel-drivers.js';

export interface AgentStart {
  node: string;
  pid?: number;
  /** From launching the agent to its hello on the control socket. */
  readyMs: number;
  /** Time the agent took to apply its configuration. */
  configureMs: number;
}

/** How a lab's agents run: one agent host, a process per node, or none started (agent/host.ts). */
export type AgentHosting = 'shared' | 'per-node' | 'none';

/** What configuring an agent needs besides the plan. */
export interface AgentSecrets {
  tunnelDriver: TunnelDriverName;
  key: LabKey;
}

/** How long an agent may take to say hello: generous for a loaded 2-core machine, strict enough to notice a dead one. */
const READY_TIMEOUT_MS = 10_000;

/** Nodes whose agent runs from deploy on (the others get theirs when a flow needs it: ROLE_INFO.agentAtDeploy). */
export function deployAgentNodes(plan: Plan): PlanNode[] {
  return plan.nodes.filter((n) => n.agent && agentAtDeploy(n.roles));
}

/**
 * Starts the agents that run from deploy on (after the links are up), waits
 * for each one's hello, and configures it. An agent that does not come up
 * fails the deploy with its node, the reason and its last output lines.
 */
export async function startAgents(opts: {
  plan: Plan;
  runtime: Runtime;
  journal: Journal;
  tunnelDriver: TunnelDriverName;
  key: LabKey;
  progress: Progress;
  signal?: AbortSignal;
}): Promise<{ hosting: AgentHosting; agents: AgentStart[] }> {
  const { plan, progress, journal } = opts;
  const nodes = deployAgentNodes(plan);
  progress.phase('agents', nodes.length);
  if (nodes.length === 0) {
    progress.done();
    return { hosting: 'none', agents: [] };
  }
  const launcher = await agentLauncher({ lab: plan.lab, runtime: opts.runtime, resources: journal.current.resources, record: (r) => journal.record(r) });
  try {
    // In waves, servers first: an MR registers its mobile nodes with the LM and asks the HAA for
    // prefixes as soon as it is configured, so those must already answer (on a slow machine, or in
    // the VM, an LM started after its MRs would miss their first registrations).
    const results: AgentStart[] = [];
    for (const wave of startWaves(nodes)) {
      results.push(
        ...(await mapLimit(wave, launcher.concurrency, async (node) => {
          if (opts.signal?.aborted) throw new DmmlabError('E_ABORTED', 'interrupted');
          const r = await startAgent(launcher, plan, node, opts);
          progress.tick();
          return r;
        })),
      );
    }
    progress.done();
    return { hosting: launcher.hosting, agents: results };
  } finally {
    launcher.close();
  }
}

/** Start order: location managers and address allocators, then mobility and access routers, then the rest (ROLE_INFO's waves). */
export function startWaves(nodes: PlanNode[]): PlanNode[][] {
  const waves = new Map<number, PlanNode[]>();
  for (const n of nodes) {
    const w = startWave(n.roles);
    (waves.get(w) ?? waves.set(w, []).get(w)!).push(n);
  }
  return [...waves.keys()].sort((a, b) => a - b).map((w) => waves.get(w)!);
}

/** Launches one node's agent, waits for its hello and configures it. */
export async function startAgent(
  launcher: AgentLauncher,
  plan: Plan,
  node: PlanNode,
  opts: AgentSecrets & { runtime: Runtime; readyTimeoutMs?: number },
): Promise<AgentStart> {
  const lab = plan.lab;
  const t0 = performance.now();
  let client: AgentClient;
  try {
    const { pid } = await launcher.launch(node);
    // An agent that dies at start fails the deploy at once, not after the whole timeout.
    const stillRunning = pid === undefined ? undefined : () => opts.runtime.agentAlive(pid) !== false;
    client = await AgentClient.connect(node.name, agentSocket(lab, node.name), opts.readyTimeoutMs ?? READY_TIMEOUT_MS, stillRunning);
  } catch (e) {
    throw new DmmlabError('E_AGENT', `the agent of ${node.name} did not start: ${e instanceof Error ? e.message : String(e)}${await tail(lab, node.name)}`);
  }
  const readyMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    await client.request('configure', { config: await launcher.wire(agentConfigFor(plan, node, opts.tunnelDriver, opts.key)) }, 20_000);
    return { node: node.name, pid: client.hello.pid, readyMs, configureMs: performance.now() - t1 };
  } catch (e) {
    throw new DmmlabError(
      'E_AGENT',
      `configuring the agent of ${node.name} failed: ${e instanceof Error ? e.message : String(e)}${await tail(lab, node.name)}`,
    );
  } finally {
    client.close();
  }
}

/**
 * Starts the agent of a running lab's node that has none yet (a plain router
 * or correspondent node a flow now needs), the way deploy would have. The
 * lab's journal records what it starts.
 */
export async function startAgentOnDemand(state: LabState, runtime: Runtime, node: PlanNode, journal: Journal): Promise<AgentStart> {
  if (!node.agent) throw new DmmlabError('E_USAGE', `${node.name} is deployed with agent: false; it runs no agent (flows need one at each end)`);
  if (!state.signalling || !state.tunnelDriver) throw new DmmlabError('E_USAGE', `lab ${state.lab} was deployed without agents (--no-agents)`);
  const launcher = await agentLauncher({ lab: state.lab, runtime, resources: journal.current.resources, record: (r) => journal.record(r) });
  try {
    return await startAgent(launcher, state.plan as Plan, node, { runtime, tunnelDriver: state.tunnelDriver, key: state.signalling });
  } finally {
    launcher.close();
  }
}

async function tail(lab: string, node: string): Promise<string> {
  const text = await agentLastWords(lab, node, 8);
  return text ? `\nlast lines of its log:\n${text.replace(/^/gm, '  ')}` : '';
}
