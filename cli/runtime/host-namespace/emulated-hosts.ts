import { DmmlabError } from '../../errors.js';
import { ipBatch, type BatchFailure } from '../../kernel/ip-batch.js';
import { underlayCommands } from '../../links/vxlan-commands.js';
import type { PlanHosts } from '../../plan/types.js';
import type { Resource } from '../../state/lab-state.js';
import type { RuntimeContext } from '../runtime.js';
import { listNamespaces } from './namespaces.js';

/** The journal's node name for a host's namespace (`(host h1)`) and the underlay switch's. */
export const hostResourceNode = (host: string) => `(host ${host})`;
export const UNDERLAY_RESOURCE_NODE = '(underlay)';

/**
 * The hosts of a lab that spans several, emulated on this machine: a network
 * namespace per host, joined by veths to a bridge in an underlay namespace
 * (docs/scale-out.md). Each is recorded in the journal before it exists, so
 * destroy and cleanup remove them, and with them every VXLAN device whose
 * socket lives there (the kernel deletes a namespace's VXLAN devices wherever
 * they have been moved).
 */
export async function createEmulatedHosts(hosts: PlanHosts, ctx: RuntimeContext, record: (r: Resource[]) => Promise<void>): Promise<void> {
  const names = [hosts.switchNetns, ...hosts.list.map((h) => h.netns)];
  const existing = new Set(await listNamespaces());
  const taken = names.filter((n) => existing.has(n));
  if (taken.length > 0) {
    throw new DmmlabError('E_LAB_EXISTS', `network namespace ${taken.join(', ')} already exists and is not this lab's`, {
      hint: 'another lab (or something else) uses that name: deploy under another name with --name, or run dmmlab cleanup',
    });
  }
  await record([
    { kind: 'netns', name: hosts.switchNetns, node: UNDERLAY_RESOURCE_NODE },
    ...hosts.list.map((h): Resource => ({ kind: 'netns', name: h.netns, node: hostResourceNode(h.name) })),
  ]);
  ctx.progress.phase('hosts', hosts.list.length);
  const opts = ctx.signal ? { signal: ctx.signal } : {};
  const { root, inSwitch, inHost } = underlayCommands(hosts);
  const failures: BatchFailure[] = await ipBatch(
    names.map((n) => `netns add ${n}`),
    opts,
  );
  if (failures.length === 0) failures.push(...(await ipBatch(root, opts)));
  if (failures.length === 0) failures.push(...(await ipBatch(inSwitch, { ...opts, netns: hosts.switchNetns })));
  for (const [netns, lines] of inHost) if (failures.length === 0) failures.push(...(await ipBatch(lines, { ...opts, netns })));
  if (failures.length > 0) {
    throw new DmmlabError('E_RUNTIME', `creating the hosts' underlay failed:\n  ${failures.map((f) => `${f.command}: ${f.message}`).join('\n  ')}`);
  }
  ctx.progress.tick(hosts.list.length);
  ctx.progress.done(`${hosts.list.length} hosts on an emulated underlay (MTU ${hosts.underlayMtu})`);
}
