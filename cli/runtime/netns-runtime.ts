import { DmmlabError, type Failure } from '../errors.js';
import type { KernelFeatures } from '../kernel/features.js';
import { ipBatch } from '../kernel/ip-batch.js';
import type { Plan, PlanLink, PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import { alive } from '../util/processes.js';
import { PROBE_PREFIX, probeKernel } from './host-namespace/kernel-probe.js';
import { listNamespaces, removeNamespaces } from './host-namespace/namespaces.js';
import { HostNamespaceAccess } from './host-namespace/node-access.js';
import { wireVeths } from './host-namespace/wire-veths.js';
import type { NodeAccess, Runtime, RuntimeContext } from './runtime.js';
import { AGENT_NODE_FLAGS, hostAgentBundle } from './spawn-detached.js';

/**
 * Mininet-style nodes: one named network namespace per node, no daemon. The
 * node shares the host's filesystem and process table; commands enter it with
 * nsenter.
 */
export class NetnsRuntime implements Runtime {
  readonly kind = 'netns' as const;

  kernelFeatures(): Promise<KernelFeatures> {
    return probeKernel();
  }

  async prepare(): Promise<void> {
    // Nothing to ready: a namespace needs only the host's own programs.
  }

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

  wireLinks(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void> {
    return wireVeths(plan, links, ctx);
  }

  async removeResources(resources: readonly Resource[]): Promise<Failure[]> {
    return removeNamespaces(resources.filter((r) => r.kind === 'netns').map((r) => r.name));
  }

  access(_lab: string, node: PlanNode): NodeAccess {
    return new HostNamespaceAccess(node);
  }

  agentArgv(args: readonly string[]): string[] {
    return [process.execPath, ...AGENT_NODE_FLAGS, hostAgentBundle(), ...args];
  }

  agentAlive(pid: number): boolean {
    return alive(pid);
  }

  /**
   * Namespaces cannot carry labels; the journal is the record of a lab's. What
   * is owned without a journal: kernel probe namespaces whose process died mid-probe.
   */
  async listOwned(): Promise<Resource[]> {
    const probe = new RegExp(`^${PROBE_PREFIX}(\\d+)$`);
    return (await listNamespaces())
      .map((name) => ({ name, pid: Number(probe.exec(name)?.[1] ?? NaN) }))
      .filter(({ pid }) => Number.isInteger(pid) && !alive(pid))
      .map(({ name }): Resource => ({ kind: 'netns', name, node: '(kernel probe)' }));
  }
}
