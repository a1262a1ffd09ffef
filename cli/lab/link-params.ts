import { DmmlabError } from '../errors.js';
import { parseBatchErrors } from '../kernel/ip-batch.js';
import type { NodeAccess } from '../runtime/runtime.js';
import type { LinkParams } from '../topology/schema.js';
import { tcCommands } from '../links/tc-commands.js';

/** Applies every interface's link parameters of a node (tc, inside it). */
export async function applyLinkParams(node: NodeAccess, signal?: AbortSignal): Promise<void> {
  const lines = node.node.interfaces.flatMap((i) => (Object.keys(i.params).some((k) => k !== 'mtu') ? tcCommands(i.name, i.params) : []));
  await tcBatch(node, lines, signal);
}

/** Sets one interface's parameters at run time (`dmmlab link set`, scenario steps). */
export async function setInterfaceParams(node: NodeAccess, dev: string, params: LinkParams, signal?: AbortSignal): Promise<void> {
  const lines = tcCommands(dev, params);
  if (params.mtu !== undefined) {
    const failures = await node.ipBatch([`link set dev ${dev} mtu ${params.mtu}`]);
    if (failures.length > 0) throw new DmmlabError('E_RUNTIME', `setting the MTU of ${node.node.name}:${dev}: ${failures[0]!.message}`);
  }
  // Deleting a qdisc that is not there is fine.
  const deleting = lines.every((l) => l.startsWith('qdisc del'));
  await tcBatch(node, lines, signal, deleting);
}

async function tcBatch(node: NodeAccess, lines: string[], signal?: AbortSignal, tolerateMissing = false): Promise<void> {
  if (lines.length === 0) return;
  const r = await node.run(['tc', '-force', '-batch', '-'], { input: lines.join('\n') + '\n', ...(signal ? { signal } : {}) });
  if (r.exitCode === 0) return;
  const errors = parseBatchErrors(r.stderr, lines).filter(
    (e) => !(tolerateMissing && /No such file|Cannot delete qdisc with handle of zero|Invalid handle/.test(e.message)),
  );
  if (errors.length === 0) return;
  throw new DmmlabError('E_RUNTIME', `tc in ${node.node.name} failed:\n  ${errors.map((e) => `${e.command}: ${e.message}`).join('\n  ')}`);
}
