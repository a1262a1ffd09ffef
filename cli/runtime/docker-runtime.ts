import type Dockerode from 'dockerode';
import { DmmlabError, type Failure } from '../errors.js';
import { createDockerClient, dockerEndpoint, pingDocker, type DockerEndpoint } from '../image/docker-client.js';
import { dockerFailure } from '../image/docker-errors.js';
import type { KernelFeatures } from '../kernel/features.js';
import type { Plan, PlanHosts, PlanLink, PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import { labDir } from '../state/paths.js';
import { ensureNodeImages } from './docker-node-image.js';
import { LAB_LABEL, NODE_LABEL } from './docker-node-spec.js';
import { labelledContainers, removeContainers } from './docker-remove.js';
import { containerDied, refuseTakenNames, startNodeContainer } from './docker-start.js';
import { probeKernel } from './host-namespace/kernel-probe.js';
import { listNamespaces, removeNamespaces } from './host-namespace/namespaces.js';
import { HostNamespaceAccess } from './host-namespace/node-access.js';
import { wireLinks } from './host-namespace/wire-links.js';
import { createEmulatedHosts } from './host-namespace/emulated-hosts.js';
import type { NodeAccess, Runtime, RuntimeContext } from './runtime.js';
import { settledPool } from './settled-pool.js';
import { AGENT_NODE_FLAGS } from './spawn-detached.js';

/**
 * Containers started at once. Starting is CPU-bound (runc, the shim, mounts):
 * on two cores 4 to 6 in flight keep both busy; more only adds contention
 * (measured with bench/deploy.ts).
 */
export const START_CONCURRENCY = Number(process.env.DMMLAB_DOCKER_CONCURRENCY) || 6;

/**
 * Container-per-node runtime: each node is a container of the dmmlab node
 * image (its own filesystem and process table) with no Docker network; its
 * network namespace is given the node's name with `ip netns attach`, so links
 * and kernel configuration are wired by the same host-namespace code as the
 * netns runtime, while commands and agents run inside the container.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private client: { docker: Dockerode; endpoint: DockerEndpoint } | undefined;
  /** The image of each node, from prepare. */
  private readonly images = new Map<string, string>();

  private connect(): { docker: Dockerode; endpoint: DockerEndpoint } {
    if (!this.client) {
      const endpoint = dockerEndpoint();
      this.client = { docker: createDockerClient(endpoint), endpoint };
    }
    return this.client;
  }

  /** Containers share the host's kernel. */
  kernelFeatures(): Promise<KernelFeatures> {
    return probeKernel();
  }

  /** The daemon answers and every node's image is there (the default one is built offline when missing). */
  async prepare(nodes: readonly PlanNode[], ctx: RuntimeContext): Promise<void> {
    const { docker, endpoint } = this.connect();
    const ping = await pingDocker({ docker, endpoint, timeoutMs: 5000 });
    if (!ping.ok) throw new DmmlabError('E_DOCKER', ping.reason, { hint: ping.hint });
    for (const [node, image] of await ensureNodeImages(nodes, docker, endpoint, ctx.progress, ctx.signal)) this.images.set(node, image);
  }

  async createNodes(nodes: readonly PlanNode[], ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
    const missing = nodes.filter((n) => !this.images.has(n.name)).map((n) => n.name);
    if (missing.length > 0) throw new DmmlabError('E_RUNTIME', `no image prepared for ${missing.join(', ')}: the runtime's prepare step did not run`);
    const { docker, endpoint } = this.connect();
    await refuseTakenNames(docker, endpoint, ctx.lab, nodes, new Set(await listNamespaces()));
    // Recorded before anything exists: a container by name (removed only if it carries this lab's
    // label) and its attached namespace name (unmounted; the namespace itself goes with the container).
    await record([
      ...nodes.map((n): Resource => ({ kind: 'container', name: n.netns, node: n.name, lab: ctx.lab })),
      ...nodes.map((n): Resource => ({ kind: 'netns', name: n.netns, node: n.name })),
    ]);
    ctx.progress.phase('containers', nodes.length);
    const start = { docker, endpoint, lab: ctx.lab, labDirectory: labDir(ctx.lab), bpf: ctx.tunnelDriver === 'bpf' };
    await settledPool(
      nodes,
      START_CONCURRENCY,
      async (node) => {
        await startNodeContainer(start, node, this.images.get(node.name)!);
        ctx.progress.tick();
      },
      ctx.signal,
    );
    await this.requireRunning(nodes, ctx.lab);
    ctx.progress.done();
  }

  /** One listing for all nodes: a container that died after its start fails the deploy with its log. */
  private async requireRunning(nodes: readonly PlanNode[], lab: string): Promise<void> {
    const { docker, endpoint } = this.connect();
    let list: Awaited<ReturnType<typeof labelledContainers>>;
    try {
      list = await labelledContainers(docker, lab);
    } catch (e) {
      throw dockerFailure(e, endpoint, 'list containers');
    }
    for (const n of nodes) {
      const c = list.get(n.netns);
      if (c?.State !== 'running') throw await containerDied(docker.getContainer(c?.Id ?? n.netns), n);
    }
  }

  /** Hosts are emulated as namespaces on an underlay bridge; their VXLAN ends are moved into the nodes (same code for both runtimes). */
  createHosts(hosts: PlanHosts, ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
    return createEmulatedHosts(hosts, ctx, record);
  }

  /**
   * Wires the links, then looks at the containers once more: one whose command ended a moment after
   * its start was still listed running before, and its namespace (attached by name) outlives it, so
   * nothing else would notice.
   */
  async wireLinks(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void> {
    await wireLinks(plan, links, ctx);
    await this.requireRunning(plan.nodes, ctx.lab);
  }

  async removeResources(resources: readonly Resource[], ctx: RuntimeContext): Promise<Failure[]> {
    const containers = resources.filter((r): r is Extract<Resource, { kind: 'container' }> => r.kind === 'container');
    const failures: Failure[] = [];
    if (containers.length > 0) {
      const { docker, endpoint } = this.connect();
      failures.push(...(await removeContainers(docker, endpoint, containers, ctx.lab)));
    }
    // Host processes that entered a node's namespace (nsenter: captures, probes) would keep it alive.
    failures.push(...(await removeNamespaces(resources.filter((r) => r.kind === 'netns').map((r) => r.name))));
    return failures;
  }

  access(_lab: string, node: PlanNode): NodeAccess {
    return new ContainerAccess(node, this);
  }

  /** Runs in a container: `docker exec` with the container's own filesystem and process table. */
  async execDetached(node: PlanNode, argv: readonly string[], logFile: string): Promise<void> {
    const { docker, endpoint } = this.connect();
    try {
      const exec = await docker.getContainer(node.netns).exec({
        // $0 is the log file: the shell appends both streams to it and becomes argv.
        Cmd: ['sh', '-c', 'exec "$@" >>"$0" 2>&1', logFile, ...argv],
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
      });
      // The (empty) response is a stream: drain it, or its socket keeps the CLI alive.
      const stream = (await exec.start({ Detach: true })) as unknown as NodeJS.ReadableStream | undefined;
      if (stream && typeof stream.resume === 'function') await drained(stream);
    } catch (e) {
      throw dockerFailure(e, endpoint, `start ${argv.slice(0, 2).join(' ')} in container ${node.netns}`);
    }
  }

  agentArgv(args: readonly string[]): string[] {
    return ['node', ...AGENT_NODE_FLAGS, '/opt/dmmlab/agent.mjs', ...args];
  }

  /** An agent's pid is the container's own; from here only its socket tells. */
  /** Each container runs its own agent: the node's filesystem and processes are its own. */
  sharedAgentHost(): undefined {
    return undefined;
  }

  agentAlive(): undefined {
    return undefined;
  }

  async listOwned(): Promise<Resource[]> {
    const { docker } = this.connect();
    const list = await labelledContainers(docker);
    return [...list].map(([name, c]): Resource => ({ kind: 'container', name, node: c.Labels[NODE_LABEL] ?? '', lab: c.Labels[LAB_LABEL] ?? '', id: c.Id }));
  }
}

/** A container node: the network namespace is reached from the host; processes run inside the container. */
class ContainerAccess extends HostNamespaceAccess {
  constructor(
    node: PlanNode,
    private readonly runtime: DockerRuntime,
  ) {
    super(node);
  }

  override shellArgv(command: readonly string[], opts: { interactive: boolean }): string[] {
    return ['docker', 'exec', opts.interactive ? '-it' : '-i', this.node.netns, ...command];
  }

  /** Removing the container ends it: nothing to record. */
  override async spawnDetached(argv: readonly string[], logFile: string): Promise<Resource | undefined> {
    await this.runtime.execDetached(this.node, argv, logFile);
    return undefined;
  }
}

/** Resolves once a response stream has ended (or failed). */
function drained(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    stream.resume();
  });
}
