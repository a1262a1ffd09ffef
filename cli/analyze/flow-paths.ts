import type { Plan } from '../plan/types.js';
import type { FlowPath } from './types.js';
import type { FlowView } from './flow-view.js';
import { ms } from './numbers.js';

/** Share of the received packets (the last ones) whose most common path is the settled path. */
export const SETTLED_SHARE = 0.1;

/**
 * Groups the flow's packets by path (same nodes and same encapsulated links with
 * the same outer addresses). Every packet seen on the wire counts, lost ones too
 * (their path ends where they were last seen). firstT/lastT: earliest and latest
 * first sighting of a packet on that path. Paths are listed by firstT.
 */
export function flowPaths(v: FlowView, plan: Plan): { paths: FlowPath[]; settledPath?: FlowPath } {
  const plain = new Set(plan.nodes.filter((n) => n.roles.length > 0 && n.roles.every((r) => r === 'router')).map((n) => n.name));
  const byKey = new Map<string, FlowPath>();
  for (const u of v.units) {
    if (!u.path) continue;
    const p = byKey.get(u.path.key);
    if (p) {
      p.packets++;
      p.firstT = Math.min(p.firstT, ms(u.firstT));
      p.lastT = Math.max(p.lastT, ms(u.firstT));
    } else {
      byKey.set(u.path.key, {
        nodes: u.path.nodes,
        mobilityNodes: mergeRuns(u.path.nodes.filter((n) => !plain.has(n))),
        packets: 1,
        firstT: ms(u.firstT),
        lastT: ms(u.firstT),
        tunnels: u.path.tunnels,
      });
    }
  }
  const paths = [...byKey.values()].sort((a, b) => a.firstT - b.firstT);
  const key = settledKey(v);
  const settledPath = key === undefined ? undefined : byKey.get(key);
  return { paths, ...(settledPath ? { settledPath } : {}) };
}

/** Most common path among the last SETTLED_SHARE of the received packets (by first arrival); a tie goes to the later one. */
function settledKey(v: FlowView): string | undefined {
  const n = v.received.length;
  if (n === 0) return undefined;
  const last = v.received.slice(n - Math.max(1, Math.ceil(n * SETTLED_SHARE)));
  const counts = new Map<string, number>();
  let best: string | undefined;
  let bestCount = 0;
  for (const u of last) {
    if (!u.path) continue;
    const c = (counts.get(u.path.key) ?? 0) + 1;
    counts.set(u.path.key, c);
    if (c >= bestCount) {
      best = u.path.key;
      bestCount = c;
    }
  }
  return best;
}

function mergeRuns(nodes: string[]): string[] {
  return nodes.filter((n, i) => i === 0 || nodes[i - 1] !== n);
}
