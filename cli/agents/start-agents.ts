import os from 'node:os';
import { startWave } from '../../shared/control/roles.js';
import { DmmlabError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Journal } from '../state/journal.js';
import { agentSocket, nodeLog, nodeOutput } from '../state/paths.js';
import { mapLimit } from '../util/exec.js';
import type { Progress } from '../util/progress.js';
import { agentConfigFor, type LabKey } from './agent-config.js';
import { AgentClient } from './agent-client.js';
import { agentLastWords } from './last-lines.js';

export interface AgentStart {
  node: string;
  pid?: number;
  /** From spawning the process to its hello on the control socket. */
  readyMs: number;
  /** Time the agent took to apply its configuration. */
  configureMs: number;
}

/** How long an agent may take to say hello: generous for a loaded 2-core machine, strict enough to notice a dead one. */
const READY_TIMEOUT_MS = 10_000;

/**
 * Starts the agent of every node that runs one (after the links are up),
 * waits for each one's hello, and configures it. An agent that does not come
 * up fails the deploy with its node, the reason and its last output lines.
 */
export async function startAgents(opts: {
  plan: Plan;
  runtime: Runtime;
  journal: Journal;
  tunnelDriver: 'ip6tnl' | 'seg6';
  key: LabKey;
  progress: Progress;
  signal?: AbortSignal;
}): Promise<AgentStart[]> {
  const { plan, progress } = opts;
  const nodes = plan.nodes.filter((n) => n.agent);
  progress.phase('agents', nodes.length);
  // One agent per core at a time: started all at once on a small machine, each would take several
  // times its own start-up (they compete for the CPU), and none would be ready within its budget.
  // In waves, servers first: an MR registers its mobile nodes with the LM and asks the HAA for
  // prefixes as soon as it is configured, so those must already answer (on a slow machine, or in
  // the VM, an LM started after its MRs would miss their first registrations).
  const results: AgentStart[] = [];
  for (const wave of startWaves(nodes)) {
    results.push(
      ...(await mapLimit(wave, Math.max(2, os.cpus().length), async (node) => {
        if (opts.signal?.aborted) throw new DmmlabError('E_ABORTED', 'interrupted');
        const r = await startOne(plan, node, opts);
        progress.tick();
        return r;
      })),
    );
  }
  progress.done();
  return results;
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

async function startOne(
  plan: Plan,
  node: PlanNode,
  opts: { runtime: Runtime; journal: Journal; tunnelDriver: 'ip6tnl' | 'seg6'; key: LabKey },
): Promise<AgentStart> {
  const lab = plan.lab;
  const socket = agentSocket(lab, node.name);
  const argv = opts.runtime.agentArgv(['--lab', lab, '--node', node.name, '--socket', socket, '--log', nodeLog(lab, node.name)]);
  const t0 = performance.now();
  const resource = await opts.runtime.access(lab, node).spawnDetached(argv, nodeOutput(lab, node.name));
  if (resource) await opts.journal.record([resource]);
  let client: AgentClient;
  try {
    const pid = resource?.kind === 'process' ? resource.pid : undefined;
    // An agent that dies at start fails the deploy at once, not after the whole timeout.
    client = await AgentClient.connect(node.name, socket, READY_TIMEOUT_MS, pid === undefined ? undefined : () => opts.runtime.agentAlive(pid) !== false);
  } catch (e) {
    throw new DmmlabError('E_AGENT', `the agent of ${node.name} did not start: ${e instanceof Error ? e.message : String(e)}${await tail(lab, node.name)}`);
  }
  const readyMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    await client.request('configure', { config: agentConfigFor(plan, node, opts.tunnelDriver, opts.key) }, 20_000);
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

async function tail(lab: string, node: string): Promise<string> {
  const text = await agentLastWords(lab, node, 8);
  return text ? `\nlast lines of its log:\n${text.replace(/^/gm, '  ')}` : '';
}
