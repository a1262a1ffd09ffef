import { ipBatch, type BatchFailure } from '../../kernel/ip-batch.js';
import type { PlanNode } from '../../plan/types.js';
import type { Resource } from '../../state/lab-state.js';
import { run, type CommandResult } from '../../util/exec.js';
import { processStartTime } from '../../util/processes.js';
import type { NodeAccess, NodeRunOptions } from '../runtime.js';
import { spawnDetachedProcess } from '../spawn-detached.js';

/**
 * A node whose network namespace is a named namespace on this host
 * (`/run/netns/<node.netns>`): the netns runtime's nodes, and the Docker
 * runtime's containers, whose namespaces it attaches under the same name.
 * Commands enter with nsenter (one exec, no remount), kernel batches with
 * `ip -n`.
 */
export class HostNamespaceAccess implements NodeAccess {
  constructor(readonly node: PlanNode) {}

  protected get path(): string {
    return `/run/netns/${this.node.netns}`;
  }

  run(argv: readonly string[], opts: NodeRunOptions = {}): Promise<CommandResult> {
    return run(['nsenter', `--net=${this.path}`, ...argv], { allowFailure: true, ...opts });
  }

  ipBatch(lines: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<BatchFailure[]> {
    return ipBatch(lines, { netns: this.node.netns, ...opts });
  }

  /**
   * nsenter without --fork execs, so the PID spawned is the command's own.
   * With `dieWithParent`, setpriv asks the kernel to send SIGTERM when the
   * spawning process dies (kept across both execs), so a killed CLI does not
   * leave a capture running; SIGTERM lets tcpdump close its file cleanly.
   */
  argv(command: readonly string[], opts: { dieWithParent?: boolean } = {}): string[] {
    const enter = ['nsenter', `--net=${this.path}`, ...command];
    return opts.dieWithParent ? ['setpriv', '--pdeathsig', 'TERM', ...enter] : enter;
  }

  /** `ip netns exec` also mounts the namespace's /sys, which an interactive shell may look at. */
  shellArgv(command: readonly string[], _opts: { interactive: boolean }): string[] {
    return ['ip', 'netns', 'exec', this.node.netns, ...command];
  }

  async spawnDetached(argv: readonly string[], logFile: string): Promise<Resource | undefined> {
    const pid = await spawnDetachedProcess(['nsenter', `--net=${this.path}`, ...argv], logFile);
    const startTime = await processStartTime(pid);
    return { kind: 'process', pid, node: this.node.name, what: argv.slice(0, 2).join(' '), ...(startTime ? { startTime } : {}) };
  }
}
