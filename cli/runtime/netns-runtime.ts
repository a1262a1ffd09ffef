import { DmmlabError, type Failure } from '../errors.js';
import { ipBatch } from '../kernel/ip-batch.js';
import { killNamespaceProcesses, processStartTime } from '../kernel/netns-processes.js';
import { AGENT_NODE_FLAGS, hostAgentBundle, spawnDetachedProcess } from './spawn-detached.js';
import type { PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import { run } from '../util/exec.js';
import type { Runtime, RuntimeContext } from './runtime.js';

/**
 * Mininet-style nodes: one named network namespace per node, no daemon. The
 * node shares the host's filesystem and process table; commands enter it with
 * `ip netns exec`.
 */
export class NetnsRuntime implements Runtime {
  readonly kind = 'netns' as const;

  async createNodes(nodes: readonly PlanNode[], ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
    const existing = new Set(await listNamespaces());
    const taken = nodes.filter((n) => existing.has(n.netns));
    if (taken.length > 0) {
      throw new DmmlabError('E_LAB_EXISTS', `network namespace ${taken.map((n) => n.netns).join(', ')} already exists and is not this lab's`, {
        hint: 'another lab (or something else) uses that name: deploy under another name with --name, or remove it',
      });
    }
    await record(nodes.map((n) => ({ kind: 'netns', name: n.netns, node: n.name })));
    ctx.progress.phase('namespaces', nodes.length);
    const failures = await ipBatch(
      nodes.map((n) => `netns add ${n.netns}`),
      ctx.signal ? { signal: ctx.signal } : {},
    );
    if (failures.length > 0) {
      const f = failures[0]!;
      throw new DmmlabError('E_RUNTIME', `creating namespace failed: ${f.command}: ${f.message}`);
    }
    ctx.progress.tick(nodes.length);
    ctx.progress.done();
  }

  async removeResources(resources: readonly Resource[], _ctx: RuntimeContext): Promise<Failure[]> {
    const names = resources.filter((r) => r.kind === 'netns').map((r) => r.name);
    if (names.length === 0) return [];
    const failures: Failure[] = [];
    const existing = new Set(await listNamespaces());
    const present = names.filter((n) => existing.has(n));
    // Processes inside (agents, radvd, tcpdump, ping, shells) go first: nothing outlives its node.
    failures.push(...(await killNamespaceProcesses(present)));
    for (const f of await ipBatch(present.map((n) => `netns del ${n}`))) {
      failures.push({ what: f.command, error: f.message });
    }
    return failures;
  }

  execArgv(_lab: string, node: PlanNode, command: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', node.netns, ...command];
  }

  async spawnDetached(_lab: string, node: PlanNode, argv: readonly string[], logFile: string): Promise<Resource | undefined> {
    const pid = await spawnDetachedProcess(['nsenter', `--net=/run/netns/${node.netns}`, ...argv], logFile);
    const startTime = await processStartTime(pid);
    return { kind: 'process', pid, node: node.name, what: argv.slice(0, 2).join(' '), ...(startTime ? { startTime } : {}) };
  }

  agentArgv(args: readonly string[]): string[] {
    return [process.execPath, ...AGENT_NODE_FLAGS, hostAgentBundle(), ...args];
  }

  async listOwned(): Promise<Resource[]> {
    // Namespaces cannot carry labels; the journal is the record of ownership.
    return [];
  }
}

/** Names of the host's named network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  const r = await run(['ip', '-j', 'netns', 'list'], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  try {
    return (JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name);
  } catch {
    return r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  }
}
