/**
 * dmmlab as a library: the functions the `dmmlab` command and the terminal UI
 * are thin layers over (they import the same modules directly, so that a
 * command loads only what it uses). A script deploys a lab, drives it and
 * has it removed however it ends:
 *
 *   await using lab = await Lab.deploy({ topology: 'topologies/fig1.yaml', runtime: 'netns' });
 *   await lab.session.startFlow({ id: 'f1', kind: 'udp', from: 'mn2', to: 'mn1', rate: 100 });
 *   await lab.session.handover('mn1', 'mr2');
 */
import { deploy, type DeployedLab, type DeployOptions } from './lab/deploy.js';
import { destroy } from './lab/destroy.js';
import { LabSession } from './lab/session.js';

export { cleanup, type CleanupReport } from './lab/cleanup.js';
export { deploy, type DeployedLab, type DeployOptions } from './lab/deploy.js';
export { destroy } from './lab/destroy.js';
export { inspectLab, listLabSummaries, type LabSummary, type LabView } from './lab/inspect.js';
export { LabStates } from './lab/lab-states.js';
export { LabSession, type AgentDown, type HandoverOptions } from './lab/session.js';
export { loadTopology, parseTopology } from './plan/load.js';
export type { Plan, PlanNode } from './plan/types.js';
export { runScenario, type RunScenarioOptions, type RunScenarioResult } from './run/run-scenario.js';
export { runCompare, type CompareOptions, type CompareResult } from './compare/run-compare.js';
export { loadScenario } from './scenario/load.js';
export { jsonSchemas } from './schemas.js';
export { DmmlabError, InputError, type InputIssue } from './errors.js';
export type { AgentEvent, EventKind, EventOf } from '../shared/control/events.js';
export type { AgentState, RoleStateMap } from '../shared/control/role-state.js';
export { ROLES, type RoleName } from '../shared/control/roles.js';
export { RUNTIME_NAMES, type RuntimeName } from './topology/runtime-names.js';

/**
 * A deployed lab with a live session on it, removed when disposed
 * (`await using`) or by `destroy()`: nothing is left behind whether the
 * script ends, throws or is interrupted between the two.
 */
export class Lab implements AsyncDisposable {
  private destroyed = false;

  private constructor(
    readonly deployed: DeployedLab,
    readonly session: LabSession,
  ) {}

  /** Deploys a topology and opens a session on it (every agent's events on one stream). */
  static async deploy(opts: DeployOptions): Promise<Lab> {
    const deployed = await deploy(opts);
    try {
      return new Lab(deployed, await LabSession.open(deployed.lab));
    } catch (e) {
      await destroy(deployed.lab).catch(() => undefined);
      throw e;
    }
  }

  get name(): string {
    return this.deployed.lab;
  }

  /** Closes the session and removes the lab (once). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.session.close();
    await destroy(this.deployed.lab);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}
