import { DmmlabError } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { Resource } from '../state/lab-state.js';
import type { Failure, Runtime, RuntimeContext } from './runtime.js';

/** Container-per-node runtime (issue 3). */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  async createNodes(_nodes: readonly PlanNode[], _ctx: RuntimeContext, _record: (r: Resource[]) => Promise<void>): Promise<void> {
    throw new DmmlabError('E_ENV', 'the Docker runtime is not available yet');
  }
  async removeResources(_resources: readonly Resource[], _ctx: RuntimeContext): Promise<Failure[]> {
    return [];
  }
  execArgv(_lab: string, node: PlanNode, command: readonly string[]): string[] {
    return ['docker', 'exec', node.netns, ...command];
  }
  async listOwned(): Promise<Resource[]> {
    return [];
  }
}
