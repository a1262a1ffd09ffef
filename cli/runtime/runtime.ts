import type { Failure } from '../errors.js';
import type { KernelFeatures } from '../kernel/features.js';
import type { TunnelDriverName } from '../../shared/control/tunnel-drivers.js';
import type { BatchFailure } from '../kernel/ip-batch.js';
import type { Plan, PlanHosts, PlanLink, PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import type { RuntimeName } from '../topology/runtime-names.js';
import type { CommandResult } from '../util/exec.js';
import type { Progress } from '../util/progress.js';

/** What a runtime operation needs besides its arguments. */
export interface RuntimeContext {
  lab: string;
  progress: Progress;
  /** The tunnel driver the agents will use (the bpf one needs more of a container). */
  tunnelDriver?: TunnelDriverName;
  signal?: AbortSignal;
}

/**
 * How nodes come to exist and how they are reached (the note in
 * docs/architecture.md says what a new runtime writes). Nothing outside a
 * runtime assumes where a node's network namespace is: every command into a
 * node goes through its `NodeAccess`, and links are wired by the runtime.
 */
export interface Runtime {
  /** Registry name. */
  readonly kind: RuntimeName;
  /** What the kernel the nodes will run on can do (tunnel drivers, qdiscs). Cached per process. */
  kernelFeatures(): Promise<KernelFeatures>;
  /**
   * Readies what the nodes need before any of the lab exists (Docker: the node
   * images, built when missing). Creates nothing the journal has to know about.
   */
  prepare(nodes: readonly PlanNode[], ctx: RuntimeContext): Promise<void>;
  /**
   * Creates the nodes. Refuses (before creating anything) if a name is taken
   * by something the lab does not own; calls `record` with the resources it
   * is about to create before creating them, so the journal always knows.
   */
  createNodes(nodes: readonly PlanNode[], ctx: RuntimeContext, record: (resources: Resource[]) => Promise<void>): Promise<void>;
  /**
   * Readies the hosts of a lab that spans several (their underlay), before
   * any node exists; records what it creates first, like createNodes.
   */
  createHosts(hosts: PlanHosts, ctx: RuntimeContext, record: (resources: Resource[]) => Promise<void>): Promise<void>;
  /** Creates `links` of the plan between nodes that exist (both ends, addresses not yet applied). */
  wireLinks(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void>;
  /** Removes the given resources of this runtime; not-found counts as done. Returns what failed. */
  removeResources(resources: readonly Resource[], ctx: RuntimeContext): Promise<Failure[]>;
  /** The way into one node of a lab. */
  access(lab: string, node: PlanNode): NodeAccess;
  /** argv that runs the agent bundle inside a node of this runtime, followed by `args`. */
  agentArgv(args: readonly string[]): string[];
  /**
   * One agent process serving all the lab's nodes (agent/host.ts), when this
   * runtime can host them so; undefined when each node runs its own agent.
   */
  sharedAgentHost(): SharedAgentHost | undefined;
  /**
   * Whether an agent process (its pid as its hello gave it) is still alive;
   * undefined when the runtime cannot tell from here (a pid inside a container).
   */
  agentAlive(pid: number): boolean | undefined;
  /** Resources carrying this runtime's dmmlab mark, whether or not a journal lists them (cleanup). */
  listOwned(): Promise<Resource[]>;
}

/**
 * How a runtime runs one agent host for a lab: a process outside every node
 * that enters each node's network namespace by name (/run/netns/NAME).
 */
export interface SharedAgentHost {
  /** argv that runs the agent bundle as a host, followed by `args`. */
  argv(args: readonly string[]): string[];
  /** Starts it detached from the CLI, output appended to `logFile`; returns the journal resource that lets destroy stop it. */
  spawn(argv: readonly string[], logFile: string): Promise<Extract<Resource, { kind: 'process' }>>;
  /** The name of a node's network namespace, as the host opens it. */
  netns(node: PlanNode): string;
}

/** Options of a command run inside a node. */
export interface NodeRunOptions {
  /** Text written to the command's stdin. */
  input?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * One node as the orchestrator reaches it: commands in its network
 * namespace (or its equivalent), kernel batches, long-lived processes.
 */
export interface NodeAccess {
  readonly node: PlanNode;
  /** Runs argv inside the node; resolves with its exit code and output (never throws on a non-zero exit). */
  run(argv: readonly string[], opts?: NodeRunOptions): Promise<CommandResult>;
  /** Applies `ip -batch` lines inside the node, carrying on past failures; resolves with the lines that failed. */
  ipBatch(lines: readonly string[], opts?: { signal?: AbortSignal }): Promise<BatchFailure[]>;
  /**
   * argv that, started on this host, runs `command` inside the node with its
   * stdout and stderr here (captures: `tcpdump -w -`). With `dieWithParent`
   * the process ends when the process that started it does.
   */
  argv(command: readonly string[], opts?: { dieWithParent?: boolean }): string[];
  /** argv for `dmmlab exec`: the command in the node, with a terminal when `interactive`. */
  shellArgv(command: readonly string[], opts: { interactive: boolean }): string[];
  /**
   * Starts a long-lived process inside the node (an agent), detached from the
   * CLI, its stdout and stderr appended to `logFile` (a host path under the
   * lab directory, which the node also sees at the same path). Returns the
   * journal resource that lets destroy stop it, or undefined when removing
   * the node ends it anyway (Docker).
   */
  spawnDetached(argv: readonly string[], logFile: string): Promise<Resource | undefined>;
}
