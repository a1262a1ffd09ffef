import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AgentConfig, WireConfig } from '../../shared/control/agent-config.js';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PlanNode } from '../plan/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { AGENT_HOST_NODE } from '../runtime/spawn-detached.js';
import type { Resource } from '../state/lab-state.js';
import { agentHostOutput, agentHostSocket, agentSocket, labDir, nodeLog, nodeOutput } from '../state/paths.js';
import { alive, processStartTime } from '../util/processes.js';
import { HostClient } from './host-client.js';

/**
 * How a lab's agents come to run: each in its own process inside its node,
 * or served by the lab's one agent host (docs/architecture.md, "Node cost").
 * Either way the node then has a control socket at agentSocket(lab, node).
 */
export interface AgentLauncher {
  readonly hosting: 'shared' | 'per-node';
  /** How many agents to bring up at a time. */
  readonly concurrency: number;
  /** Starts the agent of `node`; resolves with the process to watch until it says hello. */
  launch(node: PlanNode): Promise<{ pid?: number }>;
  /** The configuration as `configure` should carry it (a host is given the lab's mobility part once, by reference). */
  wire(config: AgentConfig): Promise<WireConfig>;
  close(): void;
}

export interface LauncherOptions {
  lab: string;
  runtime: Runtime;
  /** What the lab's journal already holds (an agent host started earlier). */
  resources: readonly Resource[];
  /** Records resources about to exist (the journal's write-ahead). */
  record: (resources: Resource[]) => Promise<void>;
  /** Asks for one process per node even where the runtime can share one. */
  perNode?: boolean;
}

const HOST_READY_TIMEOUT_MS = 10_000;

export async function agentLauncher(opts: LauncherOptions): Promise<AgentLauncher> {
  const shared = opts.perNode ? undefined : opts.runtime.sharedAgentHost();
  if (!shared) return perNodeLauncher(opts);
  const host = await connectHost(opts, shared);
  const put = new Map<string, Promise<unknown>>();
  const refs = new WeakMap<object, string>();
  return {
    hosting: 'shared',
    // Configuring a node is mostly waiting (for ip, radvd, the LM's answers): a host overlaps many.
    // Far more at a time only queues in its one thread (64 measured slower than 16 on two cores).
    concurrency: 16,
    async launch(node) {
      const r = await host.client.request(
        'node.add',
        { node: node.name, netns: shared.netns(node), socket: agentSocket(opts.lab, node.name), log: nodeLog(opts.lab, node.name) },
        HOST_READY_TIMEOUT_MS,
      );
      return { pid: r.pid };
    },
    async wire(config) {
      let ref = refs.get(config.mobility);
      if (!ref) {
        ref = createHash('sha256').update(JSON.stringify(config.mobility)).digest('hex').slice(0, 32);
        refs.set(config.mobility, ref);
      }
      if (!put.has(ref)) put.set(ref, host.client.request('mobility.put', { ref, mobility: config.mobility }, HOST_READY_TIMEOUT_MS));
      await put.get(ref);
      return { ...config, mobility: { ref } };
    },
    close: () => host.client.close(),
  };
}

function perNodeLauncher(opts: LauncherOptions): AgentLauncher {
  return {
    hosting: 'per-node',
    // About one start per core: started all at once on a small machine, each would take several
    // times its own start-up (they compete for the CPU), and none would be ready within its budget.
    concurrency: 2,
    async launch(node) {
      const { lab, runtime } = opts;
      const argv = runtime.agentArgv(['--lab', lab, '--node', node.name, '--socket', agentSocket(lab, node.name), '--log', nodeLog(lab, node.name)]);
      const resource = await runtime.access(lab, node).spawnDetached(argv, nodeOutput(lab, node.name));
      if (resource) await opts.record([resource]);
      return resource?.kind === 'process' ? { pid: resource.pid } : {};
    },
    wire: (config) => Promise.resolve(config),
    close: () => undefined,
  };
}

type Shared = NonNullable<ReturnType<Runtime['sharedAgentHost']>>;

/**
 * The lab's agent host: the running one the journal names, or a new one.
 * Two commands that both need a host (a `run` and a TUI starting agents on
 * demand) take turns on a lock directory, so a lab never gets two.
 */
async function connectHost(opts: LauncherOptions, shared: Shared): Promise<{ client: HostClient }> {
  const socket = agentHostSocket(opts.lab);
  const lock = path.join(labDir(opts.lab), 'agents', 'host.starting');
  const answering = async () => (existsSync(socket) ? HostClient.connect(opts.lab, socket, 200).catch(() => undefined) : undefined);
  for (const deadline = Date.now() + HOST_READY_TIMEOUT_MS; ;) {
    const running = await runningHost(opts.resources);
    if (running) return { client: await HostClient.connect(opts.lab, socket, HOST_READY_TIMEOUT_MS, () => alive(running.pid)) };
    if (await takeLock(lock)) {
      // Another command may have started one between our reading of the journal and the lock.
      const started = await answering();
      if (started) {
        await rmdir(lock).catch(() => undefined);
        return { client: started };
      }
      break;
    }
    const started = await answering();
    if (started) return { client: started };
    if (Date.now() > deadline) break; // a holder that died: go on without its lock
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    const resource = await shared.spawn(shared.argv(['--lab', opts.lab, '--host', socket]), agentHostOutput(opts.lab));
    await opts.record([resource]);
    return { client: await HostClient.connect(opts.lab, socket, HOST_READY_TIMEOUT_MS, () => alive(resource.pid)) };
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

async function runningHost(resources: readonly Resource[]): Promise<Extract<Resource, { kind: 'process' }> | undefined> {
  for (const r of resources) {
    if (r.kind !== 'process' || r.node !== AGENT_HOST_NODE || !alive(r.pid)) continue;
    if (r.startTime === undefined || (await processStartTime(r.pid)) === r.startTime) return r;
  }
  return undefined;
}

/** Takes the lock directory; a lock older than the host's start-up budget is a dead holder's and is taken over. */
async function takeLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
    return true;
  } catch {
    const age = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age <= HOST_READY_TIMEOUT_MS) return false;
    await rmdir(lock).catch(() => undefined);
    return mkdir(lock).then(
      () => true,
      () => false,
    );
  }
}
