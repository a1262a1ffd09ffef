import path from 'node:path';
import { raiseNeighbourLimits } from '../kernel/host-limits.js';
import { DmmlabError, errorText } from '../errors.js';
import { applyNodeSetup } from './configure-node.js';
import type { KernelFeatures } from '../kernel/features.js';
import { nodeSetup } from '../kernel/node-commands.js';
import { applyLinkParams } from './link-params.js';
import { hasShaping, needsNetem } from '../links/tc-commands.js';
import type { Plan } from '../plan/types.js';
import { getRuntime } from '../runtime/registry.js';
import type { Runtime } from '../runtime/runtime.js';
import { Journal } from '../state/journal.js';
import { loadTopology } from '../plan/load.js';
import type { MobilitySettings } from '../topology/schema.js';
import { mapLimit } from '../util/exec.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { requireRoot } from '../util/root.js';
import { destroyWithJournal } from './destroy.js';
import { chooseRuntime } from '../runtime/choose-runtime.js';
import { newLabKey } from '../agents/agent-config.js';
import { startAgents, type AgentHosting, type AgentStart } from '../agents/start-agents.js';
import { monoToWallOffsetMs } from '../../shared/clock.js';
import type { RuntimeName } from '../topology/runtime-names.js';
import { TUNNEL_DRIVERS, type TunnelDriverName } from '../../shared/control/tunnel-drivers.js';

export type TunnelDriver = TunnelDriverName;

export interface DeployOptions {
  /** Topology file. */
  topology: string;
  /** Lab name (default: the topology's name). */
  name?: string;
  /** Runtime (default: the topology's, else automatic choice). */
  runtime?: RuntimeName | 'auto';
  /** Tunnel driver override (default: the topology's mobility.tunnel). */
  tunnel?: 'auto' | TunnelDriver;
  progress?: Progress;
  /** Aborting rolls the deploy back. */
  signal?: AbortSignal;
  /** Mobility settings overriding the topology's (scenarios set the route optimisation mode under test). */
  mobility?: Partial<MobilitySettings>;
  /** Start the node agents (default true; benchmarks of the bare datapath turn them off). */
  agents?: boolean;
  /** Split the lab over this many hosts (`--hosts N`), replacing the topology's placement. */
  hosts?: number;
  /** Marks a lab that a run owns: cleanup removes it once that process is gone. */
  ephemeral?: boolean;
}

export interface DeployedLab {
  lab: string;
  runtime: RuntimeName;
  tunnelDriver: TunnelDriver;
  plan: Plan;
  /** Agents started, with their start-up times (nodes whose roles need none at deploy get theirs on demand). */
  agents: AgentStart[];
  /** How the agents run: one agent host for the lab, a process per node, or none started yet. */
  agentHosting: AgentHosting;
  /** Milliseconds spent in each phase: nodes, links, configure (addresses, routes), agents. */
  phases: Record<string, number>;
  durationMs: number;
}

/** How many nodes are configured at once: enough to overlap process start-up on two cores. */
const CONCURRENCY = 8;

/**
 * Deploys a topology: check, plan, journal, create nodes, wire links,
 * configure every node, start agents. Anything that fails, or an abort
 * (Ctrl-C), rolls back what was created; nothing is half deployed.
 */
export async function deploy(opts: DeployOptions): Promise<DeployedLab> {
  const started = performance.now();
  const progress = opts.progress ?? silentProgress;
  requireRoot('deploying a lab');
  const { plan, topology } = await loadTopology(opts.topology, {
    ...(opts.name === undefined ? {} : { lab: opts.name }),
    ...(opts.mobility ? { mobility: opts.mobility } : {}),
    ...(opts.hosts === undefined ? {} : { hosts: opts.hosts }),
  });
  const choice = await chooseRuntime(opts.runtime ?? topology.runtime ?? 'auto', progress);
  const runtime = await getRuntime(choice.kind);
  const features = await runtime.kernelFeatures();
  const tunnelDriver = pickTunnelDriver(opts.tunnel ?? envTunnel() ?? topology.mobility.tunnel, features);
  checkLinkParams(plan, features);
  await raiseNeighbourLimits(plan, progress);
  // Images and the like are readied before the lab exists: nothing of it to roll back if they cannot be.
  await runtime.prepare(plan.nodes, { lab: plan.lab, progress, ...(opts.signal ? { signal: opts.signal } : {}) });

  const journal = await Journal.create({
    lab: plan.lab,
    runtime: runtime.kind,
    status: 'deploying',
    source: path.resolve(opts.topology),
    ownerPid: process.pid,
    tunnelDriver,
    plan,
    ...(opts.ephemeral ? { ephemeral: true } : {}),
  });
  let agents: AgentStart[] = [];
  let agentHosting: AgentHosting = 'none';
  const phases: Record<string, number> = {};
  try {
    await build(plan, runtime, journal, progress, phases, tunnelDriver, opts.signal);
    if (opts.agents !== false && plan.nodes.some((n) => n.agent)) {
      const t = performance.now();
      const key = newLabKey();
      await journal.update({ signalling: key, monoToWallMs: monoToWallOffsetMs() });
      ({ agents, hosting: agentHosting } = await startAgents({
        plan,
        runtime,
        journal,
        tunnelDriver,
        key,
        progress,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }));
      phases.agents = performance.now() - t;
    }
    await journal.update({ status: 'running', ...(opts.ephemeral ? {} : { ownerPid: undefined }) });
  } catch (e) {
    progress.warn(`deploy failed, rolling back: ${errorText(e)}`);
    const failures = await destroyWithJournal(journal, runtime, silentProgress);
    if (failures.length > 0) {
      progress.warn(`rollback left ${failures.length} problem(s); run dmmlab cleanup: ${failures.map((f) => f.what).join(', ')}`);
    }
    if (opts.signal?.aborted) throw new DmmlabError('E_ABORTED', `deploy of ${plan.lab} interrupted; rolled back`);
    throw e;
  }
  return { lab: plan.lab, runtime: runtime.kind, tunnelDriver, plan, agents, agentHosting, phases, durationMs: performance.now() - started };
}

async function build(
  plan: Plan,
  runtime: Runtime,
  journal: Journal,
  progress: Progress,
  phases: Record<string, number>,
  tunnelDriver: TunnelDriver,
  signal?: AbortSignal,
): Promise<void> {
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = now - t;
    t = now;
  };
  const ctx = { lab: plan.lab, progress, tunnelDriver, ...(signal ? { signal } : {}) };
  const check = () => {
    if (signal?.aborted) throw new DmmlabError('E_ABORTED', 'interrupted');
  };
  if (plan.hosts) {
    await runtime.createHosts(plan.hosts, ctx, (resources) => journal.record(resources));
    lap('hosts');
    check();
  }
  await runtime.createNodes(plan.nodes, ctx, (resources) => journal.record(resources));
  lap('nodes');
  check();

  await runtime.wireLinks(plan, plan.links, ctx);
  lap('links');
  check();

  progress.phase('configure', plan.nodes.length);
  await mapLimit(plan.nodes, CONCURRENCY, async (node) => {
    check();
    const access = runtime.access(plan.lab, node);
    await applyNodeSetup(access, nodeSetup(node), signal);
    if (node.interfaces.some((i) => hasShaping(i.params))) await applyLinkParams(access, signal);
    progress.tick();
  });
  progress.done();
  lap('configure');
  check();
}

/** ip6tnl when the kernel has it, else seg6, else bpf (same bytes on the wire each); an explicit driver the kernel lacks is an error. */
export function pickTunnelDriver(wanted: 'auto' | TunnelDriver, f: KernelFeatures): TunnelDriver {
  if (wanted === 'ip6tnl' && !f.ip6tnl) {
    throw new DmmlabError('E_ENV', 'tunnel driver ip6tnl asked for, but this kernel has no ip6_tunnel module (CONFIG_IPV6_TUNNEL)', {
      hint: `use --tunnel ${f.seg6 ? 'seg6' : 'bpf'} (same bytes on the wire), or run the lab in the VM runner: npx tsx test/vm/run.ts -- <command>`,
    });
  }
  if (wanted === 'seg6' && !f.seg6)
    throw new DmmlabError('E_ENV', 'tunnel driver seg6 asked for, but this kernel has no SRv6 (CONFIG_IPV6_SEG6_LWTUNNEL)', {
      hint: f.bpf ? 'use --tunnel bpf (same bytes on the wire)' : undefined,
    });
  if (wanted === 'bpf' && !f.bpf)
    throw new DmmlabError(
      'E_ENV',
      'tunnel driver bpf asked for, but this kernel cannot run BPF programs on routes and tc (CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF)',
    );
  if (wanted !== 'auto') return wanted;
  if (f.ip6tnl) return 'ip6tnl';
  if (f.seg6) return 'seg6';
  if (f.bpf) return 'bpf';
  throw new DmmlabError('E_ENV', 'this kernel has neither ip6_tunnel nor SRv6 nor BPF on routes: no tunnel driver can carry mobility traffic');
}

/** Refuses link parameters the kernel cannot apply, before anything is created. */
function checkLinkParams(plan: Plan, f: KernelFeatures): void {
  for (const l of plan.links) {
    if (needsNetem(l.params) && !f.netem) {
      throw new DmmlabError(
        'E_ENV',
        `link ${l.a.node}–${l.b.node} asks for delay, jitter or loss, but this kernel has no sch_netem module (CONFIG_NET_SCH_NETEM)`,
        {
          hint: 'remove delay/jitter/loss from the topology, or run the lab in the VM runner (test/vm/README.md), whose Debian kernel has netem',
        },
      );
    }
    if (l.params.rate !== undefined && !f.tbf && !f.netem) {
      throw new DmmlabError('E_ENV', `link ${l.a.node}–${l.b.node} asks for a rate, but this kernel has neither sch_tbf nor sch_netem`);
    }
  }
}

/** DMMLAB_TUNNEL=ip6tnl|seg6|bpf|auto overrides every topology's driver (the VM suite runs everything on each). */
function envTunnel(): 'auto' | TunnelDriver | undefined {
  const v = process.env.DMMLAB_TUNNEL;
  if (v === undefined || v === '') return undefined;
  if (v !== 'auto' && !(TUNNEL_DRIVERS as readonly string[]).includes(v))
    throw new DmmlabError('E_USAGE', `DMMLAB_TUNNEL: found ${JSON.stringify(v)}; expected auto, ${TUNNEL_DRIVERS.join(', ')}`);
  return v as 'auto' | TunnelDriver;
}
