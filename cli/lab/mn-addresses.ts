import { containsPrefix, parsePrefix } from '../../shared/ipv6.js';
import { DmmlabError } from '../errors.js';
import type { Progress } from '../util/progress.js';
import type { LabSession } from './session.js';

/** Home addresses a mobile node holds now (global addresses in the domain's pools). */
export async function mnAddresses(session: LabSession, mn: string): Promise<{ address: string; deprecated: boolean }[]> {
  const r = await session.exec(mn, ['ip', '-j', '-6', 'address', 'show', 'scope', 'global']);
  const pools = session.plan.networks.map((x) => parsePrefix(x.pool));
  const list = (JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string; deprecated?: boolean; preferred_life_time?: number }[] }[])
    .flatMap((l) => l.addr_info ?? [])
    .filter((a): a is { local: string; deprecated?: boolean; preferred_life_time?: number } => typeof a.local === 'string' && a.local.includes(':'));
  const seen = new Set<string>();
  return list
    .filter((a) => pools.some((p) => containsPrefix(p, { addr: parsePrefix(`${a.local}/128`).addr, len: 128 })))
    .filter((a) => (seen.has(a.local) ? false : (seen.add(a.local), true)))
    .map((a) => ({ address: a.local, deprecated: Boolean(a.deprecated) || a.preferred_life_time === 0 }));
}

/** Mobile nodes attached at start have their home address before the first step. */
export async function waitForHomeAddresses(session: LabSession, progress: Progress): Promise<void> {
  const mns = session.plan.mobility.mns.filter((m) => m.start);
  const deadline = Date.now() + 10_000;
  for (const m of mns) {
    while ((await mnAddresses(session, m.node)).length === 0) {
      if (Date.now() > deadline)
        throw new DmmlabError('E_TIMEOUT', `${m.node} got no home address from ${m.start} within 10 s (see dmmlab logs ${session.lab} ${m.start})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (mns.length) progress.info(`${mns.map((m) => m.node).join(', ')} attached with home addresses`);
}
