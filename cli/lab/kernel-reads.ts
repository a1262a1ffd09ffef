import type { LabSession } from './session.js';

/** Rule priority of the MRs' reverse-tunnel rules (agent/kernel/mobility-routes.ts). */
export const REVERSE_RULE_PRIORITY = 1100;
/** The rules that let uplink from a prefix pass an access link's source check (agent/kernel/mobility-routes.ts). */
export const OWN_SOURCE_RULE_PRIORITY = 1180;
/** The MRs' table of home-prefix routes (agent/kernel/mobility-routes.ts). */
export const MOBILITY_TABLE = 100;

/** Home-prefix routes in an MR's mobility table, as the kernel has them. */
export async function kernelMobilityRoutes(session: LabSession, node: string): Promise<string[]> {
  const r = await session.exec(node, ['ip', '-j', '-6', 'route', 'show', 'table', String(MOBILITY_TABLE)]);
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { dst: string }[]).map((x) => (x.dst.includes('/') ? x.dst : `${x.dst}/128`));
}
