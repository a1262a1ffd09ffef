import type Dockerode from 'dockerode';
import { DmmlabError } from '../errors.js';
import { apiMessage, dockerFailure, isUnreachable } from '../image/docker-errors.js';
import type { DockerEndpoint } from '../image/docker-endpoint.js';
import type { PlanNode } from '../plan/types.js';
import { run } from '../util/exec.js';
import { containerLogTail } from './docker-logs.js';
import { containerSpec } from './docker-node-spec.js';

/** What starting one node needs. */
export interface StartContext {
  docker: Dockerode;
  endpoint: DockerEndpoint;
  lab: string;
  /** The lab directory, bind-mounted into the container at the same path. */
  labDirectory: string;
  /** The agents use the bpf tunnel driver (docker-node-spec.ts says what that needs). */
  bpf?: boolean;
}

/** Milliseconds per step, summed over nodes (for the benchmark's breakdown). */
export const startTimings = { create: 0, start: 0, inspect: 0, attach: 0 };

async function timed<T>(step: keyof typeof startTimings, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    startTimings[step] += performance.now() - t;
  }
}

/** The error for a container that stopped during deploy: its exit code and last log lines. */
export async function containerDied(container: Dockerode.Container, node: PlanNode): Promise<DmmlabError> {
  const info = await container.inspect().catch(() => undefined);
  const state = info ? `exited with code ${info.State.ExitCode}${info.State.Error ? ` (${info.State.Error})` : ''}` : 'is gone';
  const lines = await containerLogTail(container, 20);
  return new DmmlabError(
    'E_RUNTIME',
    `container ${node.netns} (node ${node.name}) ${state} during deploy; its last log lines:\n${lines.map((l) => `  | ${l}`).join('\n')}`,
    {
      hint: `the image's command must keep running (the dmmlab node image's does); check ${info?.Config.Image ?? 'the image'}`,
    },
  );
}

/**
 * Creates and starts one node's container, then names its network namespace
 * `node.netns` (`ip netns attach <name> <pid>`), so the shared link and node
 * code reaches it like a netns-runtime node.
 */
export async function startNodeContainer(ctx: StartContext, node: PlanNode, image: string): Promise<void> {
  const { docker, endpoint } = ctx;
  let container: Dockerode.Container;
  try {
    container = await timed('create', () => docker.createContainer(containerSpec(ctx.lab, node, image, ctx.labDirectory, { bpf: ctx.bpf === true })));
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 409) {
      throw new DmmlabError('E_LAB_EXISTS', `container ${node.netns} exists and is not this lab's`, {
        hint: 'remove or rename it, or deploy under another lab name (--name)',
      });
    }
    throw dockerFailure(e, endpoint, `create container ${node.netns}`);
  }
  try {
    await timed('start', () => container.start());
  } catch (e) {
    if (isUnreachable(e)) throw dockerFailure(e, endpoint, `start container ${node.netns}`);
    throw new DmmlabError('E_RUNTIME', `starting container ${node.netns} (node ${node.name}) failed: ${apiMessage(e)}`, { cause: e });
  }
  const info = await timed('inspect', () => container.inspect());
  if (!info.State.Running || !info.State.Pid) throw await containerDied(container, node);
  const r = await timed('attach', () => run(['ip', 'netns', 'attach', node.netns, String(info.State.Pid)], { allowFailure: true }));
  if (r.exitCode !== 0) {
    const again = await container.inspect().catch(() => undefined);
    if (!again?.State.Running) throw await containerDied(container, node);
    throw new DmmlabError('E_RUNTIME', `naming the network namespace of container ${node.netns} failed: ${r.command}: ${r.stderr.trim()}`);
  }
}

/**
 * Refuses, before anything is created, names that are taken: a container
 * labelled as this lab's is a leftover of a deploy that died; anything else
 * is not this lab's and is never touched.
 */
export async function refuseTakenNames(
  docker: Dockerode,
  endpoint: DockerEndpoint,
  lab: string,
  nodes: readonly PlanNode[],
  namespaces: ReadonlySet<string>,
): Promise<void> {
  let list: Dockerode.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true });
  } catch (e) {
    throw dockerFailure(e, endpoint, 'list containers');
  }
  const byName = new Map(list.flatMap((c) => c.Names.map((n) => [n.replace(/^\//, ''), c] as const)));
  for (const n of nodes) {
    const c = byName.get(n.netns);
    if (c) {
      const owner = c.Labels['dmmlab.lab'];
      if (owner === lab) {
        throw new DmmlabError('E_LAB_EXISTS', `container ${n.netns} is a leftover of an earlier lab ${lab} (${c.State})`, {
          hint: 'dmmlab cleanup removes leftovers of labs that no longer exist',
        });
      }
      throw new DmmlabError('E_LAB_EXISTS', `container ${n.netns} exists and is not this lab's${owner ? ` (it belongs to lab ${owner})` : ''}`, {
        hint: `remove or rename it (docker rm ${n.netns}) if it is yours, or deploy under another lab name (--name)`,
      });
    }
    if (namespaces.has(n.netns)) {
      throw new DmmlabError('E_LAB_EXISTS', `network namespace ${n.netns} already exists and is not this lab's`, {
        hint: 'another lab (or something else) uses that name: deploy under another name with --name, or remove it',
      });
    }
  }
}
