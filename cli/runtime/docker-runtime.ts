import { AGENT_NODE_FLAGS } from './spawn-detached.js';
import type Dockerode from 'dockerode';
import { DmmlabError, type Failure } from '../errors.js';
import { createDockerClient, dockerEndpoint, pingDocker, type DockerEndpoint } from '../image/docker-client.js';
import { dockerFailure } from '../image/docker-errors.js';
import { ipBatch } from '../kernel/ip-batch.js';
import { killNamespaceProcesses } from '../kernel/netns-processes.js';
import type { PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import { labDir } from '../state/paths.js';
import { ensureNodeImages } from './docker-node-image.js';
import { LAB_LABEL, NODE_LABEL } from './docker-node-spec.js';
import { labelledContainers, removeContainers } from './docker-remove.js';
import { containerDied, refuseTakenNames, startNodeContainer } from './docker-start.js';
import { listNamespaces } from './netns-runtime.js';
import type { Runtime, RuntimeContext } from './runtime.js';
import { settledPool } from './settled-pool.js';

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
 * and kernel configuration are wired by the same code as the netns runtime.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private client: { docker: Dockerode; endpoint: DockerEndpoint } | undefined;

  private connect(): { docker: Dockerode; endpoint: DockerEndpoint } {
    if (!this.client) {
      const endpoint = dockerEndpoint();
      this.client = { docker: createDockerClient(endpoint), endpoint };
    }
    return this.client;
  }

  async createNodes(nodes: readonly PlanNode[], ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
    const { docker, endpoint } = this.connect();
    const ping = await pingDocker({ docker, endpoint, timeoutMs: 5000 });
    if (!ping.ok) throw new DmmlabError('E_DOCKER', ping.reason, { hint: ping.hint });
    const images = await ensureNodeImages(nodes, docker, endpoint, ctx.progress, ctx.signal);
    await refuseTakenNames(docker, endpoint, ctx.lab, nodes, new Set(await listNamespaces()));
    // Recorded before anything exists: a container by name (removed only if it carries this lab's
    // label) and its attached namespace name (unmounted; the namespace itself goes with the container).
    await record([
      ...nodes.map((n): Resource => ({ kind: 'container', name: n.netns, node: n.name, lab: ctx.lab })),
      ...nodes.map((n): Resource => ({ kind: 'netns', name: n.netns, node: n.name })),
    ]);
    ctx.progress.phase('containers', nodes.length);
    const start = { docker, endpoint, lab: ctx.lab, labDirectory: labDir(ctx.lab) };
    await settledPool(
      nodes,
      START_CONCURRENCY,
      async (node) => {
        await startNodeContainer(start, node, images.get(node.name)!);
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

  async removeResources(resources: readonly Resource[], ctx: RuntimeContext): Promise<Failure[]> {
    const containers = resources.filter((r): r is Extract<Resource, { kind: 'container' }> => r.kind === 'container');
    const names = resources.filter((r) => r.kind === 'netns').map((r) => r.name);
    const failures: Failure[] = [];
    if (containers.length > 0) {
      const { docker, endpoint } = this.connect();
      failures.push(...(await removeContainers(docker, endpoint, containers, ctx.lab)));
    }
    if (names.length === 0) return failures;
    const existing = new Set(await listNamespaces());
    const present = names.filter((n) => existing.has(n));
    // Host processes that entered a node's namespace (nsenter: captures, probes) would keep it alive.
    failures.push(...(await killNamespaceProcesses(present)));
    for (const f of await ipBatch(present.map((n) => `netns del ${n}`))) failures.push({ what: f.command, error: f.message });
    return failures;
  }

  execArgv(_lab: string, node: PlanNode, command: readonly string[], opts: { interactive?: boolean } = {}): string[] {
    return ['docker', 'exec', opts.interactive ? '-it' : '-i', node.netns, ...command];
  }

  async spawnDetached(_lab: string, node: PlanNode, argv: readonly string[], logFile: string): Promise<Resource | undefined> {
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
    // Removing the container ends it.
    return undefined;
  }

  agentArgv(args: readonly string[]): string[] {
    return ['node', ...AGENT_NODE_FLAGS, '/opt/dmmlab/agent.mjs', ...args];
  }

  async listOwned(): Promise<Resource[]> {
    const { docker } = this.connect();
    const list = await labelledContainers(docker);
    return [...list].map(([name, c]): Resource => ({ kind: 'container', name, node: c.Labels[NODE_LABEL] ?? '', lab: c.Labels[LAB_LABEL] ?? '', id: c.Id }));
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
