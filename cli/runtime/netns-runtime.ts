import { existsSync } from 'node:fs';
import path from 'node:path';
import { DmmlabError, type Failure } from '../errors.js';
import type { KernelFeatures } from '../kernel/features.js';
import { ipBatch } from '../kernel/ip-batch.js';
import type { Plan, PlanHosts, PlanLink, PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import { alive, processesMatching, processStartTime, stopRecordedProcess } from '../util/processes.js';
import { PROBE_PREFIX, probeKernel } from './host-namespace/kernel-probe.js';
import { listNamespaces, removeNamespaces } from './host-namespace/namespaces.js';
import { HostNamespaceAccess } from './host-namespace/node-access.js';
import { wireLinks } from './host-namespace/wire-links.js';
import { createEmulatedHosts } from './host-namespace/emulated-hosts.js';
import type { NodeAccess, Runtime, RuntimeContext, SharedAgentHost } from './runtime.js';
import { AGENT_HOST_NODE, AGENT_HOST_NODE_FLAGS, AGENT_NODE_FLAGS, hostAgentBundle, agentHostHelpers, spawnDetachedProcess } from './spawn-detached.js';

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
    // Each namespace also gets an id in the host's namespace (nsid): an agent host's one link
    // monitor (`ip monitor all-nsid`) tells nodes apart by it; the kernel reports no events
    // from a namespace without one.
    const failures = await ipBatch(
      nodes.flatMap((n) => [`netns add ${n.netns}`, `netns set ${n.netns} auto`]),
      ctx.signal ? { signal: ctx.signal } : {},
    );
    if (failures.length > 0) {
      const f = failures[0]!;
      throw new DmmlabError('E_RUNTIME', `creating namespace failed: ${f.command}: ${f.message}`);
    }
    ctx.progress.tick(nodes.length);
    ctx.progress.done();
  }

  /** Hosts are emulated as namespaces on an underlay bridge; their VXLAN ends are moved into the nodes (same code for both runtimes). */
  createHosts(hosts: PlanHosts, ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
    return createEmulatedHosts(hosts, ctx, record);
  }

  wireLinks(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void> {
    return wireLinks(plan, links, ctx);
  }

  async removeResources(resources: readonly Resource[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    // Agent hosts that no journal lists (cleanup's orphans); a lab's own are stopped by destroy first.
    for (const r of resources) {
      if (r.kind !== 'process') continue;
      await stopRecordedProcess(r).catch((e: unknown) => failures.push({ what: `process ${r.pid} (${r.what})`, error: e }));
    }
    failures.push(...(await removeNamespaces(resources.filter((r) => r.kind === 'netns').map((r) => r.name))));
    return failures;
  }

  access(_lab: string, node: PlanNode): NodeAccess {
    return new HostNamespaceAccess(node);
  }

  agentArgv(args: readonly string[]): string[] {
    return [process.execPath, ...AGENT_NODE_FLAGS, hostAgentBundle(), ...args];
  }

  /**
   * One agent host per lab (agent/host.ts), unless the native socket helper
   * was not built or DMMLAB_AGENT_HOSTING=per-node asks for a process per node.
   */
  sharedAgentHost(): SharedAgentHost | undefined {
    const helpers = agentHostHelpers();
    if (process.env.DMMLAB_AGENT_HOSTING === 'per-node' || !helpers) return undefined;
    return {
      // DMMLAB_AGENT_HOST_FLAGS adds Node flags to the host (e.g. --cpu-prof --cpu-prof-dir=DIR to profile it).
      argv: (args) => [
        process.execPath,
        ...AGENT_HOST_NODE_FLAGS,
        ...(process.env.DMMLAB_AGENT_HOST_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
        hostAgentBundle(),
        ...args,
      ],
      spawn: async (argv, logFile) => {
        const pid = await spawnDetachedProcess(argv, logFile, { LD_PRELOAD: helpers.shim });
        const startTime = await processStartTime(pid);
        return { kind: 'process', pid, node: AGENT_HOST_NODE, what: 'agent host', ...(startTime ? { startTime } : {}) };
      },
      netns: (node) => node.netns,
    };
  }

  agentAlive(pid: number): boolean {
    return alive(pid);
  }

  /**
   * Namespaces cannot carry labels; the journal is the record of a lab's. What
   * is owned without a journal: kernel probe namespaces whose process died
   * mid-probe, and agent hosts whose lab has no journal any more (a deploy
   * killed between starting its host and recording it).
   */
  async listOwned(): Promise<Resource[]> {
    const probe = new RegExp(`^${PROBE_PREFIX}(\\d+)$`);
    const probes = (await listNamespaces())
      .map((name) => ({ name, pid: Number(probe.exec(name)?.[1] ?? NaN) }))
      .filter(({ pid }) => Number.isInteger(pid) && !alive(pid))
      .map(({ name }): Resource => ({ kind: 'netns', name, node: '(kernel probe)' }));
    const hosts = (await agentHosts())
      .filter((h) => !existsSync(path.join(path.dirname(path.dirname(h.socket)), 'state.json')))
      .map((h): Resource => ({
        kind: 'process',
        pid: h.pid,
        node: AGENT_HOST_NODE,
        what: `agent host of lab ${h.lab}`,
        ...(h.startTime ? { startTime: h.startTime } : {}),
      }));
    return [...probes, ...hosts];
  }
}

/** Running agent hosts (`agent.mjs --lab LAB --host SOCKET`), wherever their state directory is. */
async function agentHosts(): Promise<{ pid: number; lab: string; socket: string; startTime?: string }[]> {
  const value = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
  const found = await processesMatching((argv) => argv.some((a) => a.endsWith('agent.mjs')) && argv.includes('--host') && argv.includes('--lab'));
  return found.map((p) => ({
    pid: p.pid,
    lab: value(p.argv, '--lab') ?? '?',
    socket: value(p.argv, '--host') ?? '',
    ...(p.startTime ? { startTime: p.startTime } : {}),
  }));
}
