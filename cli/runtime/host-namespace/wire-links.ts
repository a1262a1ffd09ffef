import { DmmlabError } from '../../errors.js';
import { ipBatch, type BatchFailure } from '../../kernel/ip-batch.js';
import { vethCommands } from '../../links/veth-commands.js';
import { vxlanCommands } from '../../links/vxlan-commands.js';
import type { Plan, PlanLink } from '../../plan/types.js';
import type { RuntimeContext } from '../runtime.js';

/**
 * Creates every link of `links` straight inside the two nodes' namespaces:
 * veth pairs in one `ip -batch` from this namespace, and for a lab that spans
 * hosts, each link between hosts as two VXLAN ends, each created from its
 * host's namespace (where its underlay socket lives).
 */
export async function wireLinks(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void> {
  ctx.progress.phase('links', links.length);
  const opts = ctx.signal ? { signal: ctx.signal } : {};
  const failures: BatchFailure[] = await ipBatch(
    vethCommands(
      plan,
      links.filter((l) => !l.vxlan),
    ),
    opts,
  );
  for (const host of plan.hosts?.list ?? []) failures.push(...(await ipBatch(vxlanCommands(plan, links, host), { ...opts, netns: host.netns })));
  if (failures.length > 0) {
    throw new DmmlabError('E_RUNTIME', `creating links failed:\n  ${failures.map((f) => `${f.command}: ${f.message}`).join('\n  ')}`);
  }
  ctx.progress.tick(links.length);
  ctx.progress.done();
}
