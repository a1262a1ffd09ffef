import { DmmlabError } from '../../errors.js';
import { ipBatch } from '../../kernel/ip-batch.js';
import { vethCommands } from '../../links/veth-commands.js';
import type { Plan, PlanLink } from '../../plan/types.js';
import type { RuntimeContext } from '../runtime.js';

/** Creates every veth pair of `links` straight inside the two nodes' host namespaces, in one `ip -batch`. */
export async function wireVeths(plan: Plan, links: readonly PlanLink[], ctx: RuntimeContext): Promise<void> {
  ctx.progress.phase('links', links.length);
  const failures = await ipBatch(vethCommands(plan, links), ctx.signal ? { signal: ctx.signal } : {});
  if (failures.length > 0) {
    throw new DmmlabError('E_RUNTIME', `creating links failed:\n  ${failures.map((f) => `${f.command}: ${f.message}`).join('\n  ')}`);
  }
  ctx.progress.tick(links.length);
  ctx.progress.done();
}
