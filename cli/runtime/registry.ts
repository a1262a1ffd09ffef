import { DmmlabError } from '../errors.js';
import { NetnsRuntime } from './netns-runtime.js';
import type { Runtime, RuntimeKind } from './runtime.js';

type Factory = () => Runtime | Promise<Runtime>;

/** Runtimes by name (STYLE.md #3): a new one registers here and nothing else changes. */
const factories = new Map<RuntimeKind, Factory>([
  ['netns', () => new NetnsRuntime()],
  ['docker', async () => new (await import('./docker-runtime.js')).DockerRuntime()],
]);

export async function getRuntime(kind: RuntimeKind): Promise<Runtime> {
  const f = factories.get(kind);
  if (!f) throw new DmmlabError('E_USAGE', `unknown runtime ${kind}: expected ${[...factories.keys()].join(' or ')}`);
  return f();
}

export function runtimeKinds(): RuntimeKind[] {
  return [...factories.keys()];
}
