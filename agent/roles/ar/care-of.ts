import type { ArCore } from './core.js';

/** Lifetimes of an advertised care-of prefix (seconds): the cell's own prefix, valid as long as the lab. */
const CARE_OF_LIFETIME_S = 86_400;

/**
 * Mobile IPv6 (RFC 6275; Chan framework figure 1): a cell whose mobile node
 * belongs to another network is a visited link. The access router only
 * routes and advertises the link's care-of prefix, from the start, so that a
 * node's router solicitation is answered with it at once; the node registers
 * the care-of address with its home agent itself. Nothing here signals.
 */
export async function offerCareOfPrefixes(ar: ArCore): Promise<void> {
  const cells = ar.ctx.config.access.flatMap((a) => (a.careOf ? [{ iface: a.iface, careOf: a.careOf }] : []));
  if (cells.length === 0) return;
  const failures = await ar.ctx.kernel.change(cells.map((c) => `route replace ${c.careOf} dev ${c.iface}`));
  if (failures.length) throw new Error(`care-of routes: ${failures.map((f) => `${f.command}: ${f.message}`).join('; ')}`);
  await Promise.all(cells.map((c) => ar.radvd.set(c.iface, [{ prefix: c.careOf, preferred: CARE_OF_LIFETIME_S, valid: CARE_OF_LIFETIME_S }])));
}

/** Whether `iface` is a visited link (a care-of prefix is advertised there). */
export function isVisitedLink(ar: ArCore, iface: string): string | undefined {
  return ar.ctx.config.access.find((a) => a.iface === iface)?.careOf;
}
