import type { Failure } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import type { Progress } from '../util/progress.js';

export type RuntimeKind = 'netns' | 'docker';

/** What a runtime operation needs besides its arguments. */
export interface RuntimeContext {
  lab: string;
  progress: Progress;
  signal?: AbortSignal;
}

/**
 * How nodes come to exist (STYLE.md #3). Both implementations leave each node's
 * network namespace reachable as `ip -n <node.netns>`, so links, addresses,
 * routes, tunnels and captures are wired by the same code whatever the runtime.
 */
export interface Runtime {
  /** Registry name. */
  readonly kind: RuntimeKind;
  /**
   * Creates the nodes. Refuses (before creating anything) if a name is taken
   * by something the lab does not own; calls `record` with the resources it
   * is about to create before creating them, so the journal always knows.
   */
  createNodes(nodes: readonly PlanNode[], ctx: RuntimeContext, record: (resources: Resource[]) => Promise<void>): Promise<void>;
  /** Removes the given resources of this runtime; not-found counts as done. Returns what failed. */
  removeResources(resources: readonly Resource[], ctx: RuntimeContext): Promise<Failure[]>;
  /**
   * argv that runs `command` inside the node: with the node's filesystem and
   * process table under Docker, in its network namespace under netns.
   */
  execArgv(lab: string, node: PlanNode, command: readonly string[], opts?: { interactive?: boolean }): string[];
  /**
   * Starts a long-lived process inside the node (an agent), detached from the
   * CLI, its stdout and stderr appended to `logFile` (a host path under the
   * lab directory, which the node also sees at the same path). Returns the
   * journal resource that lets destroy stop it (netns: its PID), or undefined
   * when removing the node ends it anyway (Docker).
   */
  spawnDetached(lab: string, node: PlanNode, argv: readonly string[], logFile: string): Promise<Resource | undefined>;
  /** argv that runs the agent bundle inside a node of this runtime, followed by `args`. */
  agentArgv(args: readonly string[]): string[];
  /** Resources carrying this runtime's dmmlab mark, whether or not a journal lists them (cleanup). */
  listOwned(): Promise<Resource[]>;
}
