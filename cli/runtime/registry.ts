import { DmmlabError } from '../errors.js';
import { RUNTIME_NAMES, type RuntimeName } from '../topology/runtime-names.js';
import type { Runtime } from './runtime.js';

type Factory = () => Promise<Runtime>;

/**
 * Runtimes by name. A new runtime adds its name to
 * RUNTIME_NAMES and its factory here; the record's type makes the two agree.
 * Factories import lazily: Docker's client is loaded only when used.
 */
const factories: Record<RuntimeName, Factory> = {
  netns: async () => new (await import('./netns-runtime.js')).NetnsRuntime(),
  docker: async () => new (await import('./docker-runtime.js')).DockerRuntime(),
};

export async function getRuntime(kind: RuntimeName): Promise<Runtime> {
  const f = factories[kind];
  if (!f) throw new DmmlabError('E_USAGE', `unknown runtime ${String(kind)}: expected ${RUNTIME_NAMES.join(' or ')}`);
  return f();
}

export function runtimeKinds(): readonly RuntimeName[] {
  return RUNTIME_NAMES;
}
