import { readFile, writeFile } from 'node:fs/promises';
import type { Plan } from '../plan/types.js';
import type { Progress } from '../util/progress.js';

const NEIGH_DIR = '/proc/sys/net/ipv6/neigh/default';
/** Neighbour entries each interface may need: its peer's link-local and global addresses, and room for more. */
const ENTRIES_PER_INTERFACE = 4;

/**
 * The kernel's IPv6 neighbour table is one table for every namespace of the
 * host, with a hard limit (gc_thresh3, 1024 by default): a lab of a thousand
 * nodes has several thousand neighbours, and past the limit neighbour
 * discovery fails ("neighbor table overflow") and packets, signalling
 * included, are dropped. Like Mininet's fixLimits(), deploy raises the three
 * thresholds when the lab needs more (it never lowers them); a small lab
 * changes nothing. Returns the limit now in force.
 */
export async function raiseNeighbourLimits(plan: Plan, progress: Progress, dir = NEIGH_DIR): Promise<number> {
  const interfaces = plan.nodes.reduce((n, x) => n + x.interfaces.length, 0);
  const needed = ENTRIES_PER_INTERFACE * interfaces;
  const read = async (name: string) => Number((await readFile(`${dir}/${name}`, 'utf8').catch(() => '0')).trim());
  const hard = await read('gc_thresh3');
  if (needed <= hard) return hard;
  let want = 1024;
  while (want < needed) want *= 2;
  const targets: [string, number][] = [
    ['gc_thresh1', want / 8],
    ['gc_thresh2', want / 2],
    ['gc_thresh3', want],
  ];
  for (const [name, value] of targets) {
    if ((await read(name)) >= value) continue;
    try {
      await writeFile(`${dir}/${name}`, `${value}\n`);
    } catch (e) {
      progress.warn(
        `could not raise net.ipv6.neigh.default.${name} to ${value} (${e instanceof Error ? e.message : String(e)}): a lab of ${interfaces} interfaces may overflow the neighbour table`,
      );
      return hard;
    }
  }
  progress.info(
    `raised the host's IPv6 neighbour table limit from ${hard} to ${want} entries for ${interfaces} interfaces (net.ipv6.neigh.default.gc_thresh3)`,
  );
  return want;
}
