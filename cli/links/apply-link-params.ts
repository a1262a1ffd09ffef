import { DmmlabError } from '../errors.js';
import type { PlanNode } from '../plan/types.js';
import type { LinkParams } from '../topology/schema.js';
import { run } from '../util/exec.js';
import { parseBatchErrors } from '../kernel/ip-batch.js';
import { tcCommands } from './tc-commands.js';

/** Applies every interface's link parameters of a node (tc, inside its namespace). */
export async function applyLinkParams(node: PlanNode, signal?: AbortSignal): Promise<void> {
  const lines = node.interfaces.flatMap((i) => (Object.keys(i.params).some((k) => k !== 'mtu') ? tcCommands(i.name, i.params) : []));
  await tcBatch(node.netns, lines, signal);
}

/** Sets one interface's parameters at run time (`dmmlab link set`, scenario steps). */
export async function setInterfaceParams(netns: string, dev: string, params: LinkParams, signal?: AbortSignal): Promise<void> {
  const lines = tcCommands(dev, params);
  if (params.mtu !== undefined) {
    await run(['ip', '-n', netns, 'link', 'set', 'dev', dev, 'mtu', String(params.mtu)]);
  }
  // Deleting a qdisc that is not there is fine.
  const deleting = lines.every((l) => l.startsWith('qdisc del'));
  await tcBatch(netns, lines, signal, deleting);
}

async function tcBatch(netns: string, lines: string[], signal?: AbortSignal, tolerateMissing = false): Promise<void> {
  if (lines.length === 0) return;
  const r = await run(['ip', 'netns', 'exec', netns, 'tc', '-force', '-batch', '-'], {
    input: lines.join('\n') + '\n',
    allowFailure: true,
    ...(signal ? { signal } : {}),
  });
  if (r.exitCode === 0) return;
  const errors = parseBatchErrors(r.stderr, lines).filter(
    (e) => !(tolerateMissing && /No such file|Cannot delete qdisc with handle of zero|Invalid handle/.test(e.message)),
  );
  if (errors.length === 0) return;
  throw new DmmlabError('E_RUNTIME', `tc in ${netns} failed:\n  ${errors.map((e) => `${e.command}: ${e.message}`).join('\n  ')}`);
}
