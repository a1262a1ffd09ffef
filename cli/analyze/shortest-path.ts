import type { Plan } from '../plan/types.js';
import type { FlowView } from './flow-view.js';
import type { HandoverRecord } from '../scenario/run-log.js';

/**
 * Shortest path (fewest hops, breadth-first over the plan's links in plan order,
 * so ties resolve the same way every time) from `from` to `to` over every
 * infrastructure link plus, for mobile nodes, only the access link given in
 * `attached` (mobile node → access router). Empty when there is none.
 */
export function shortestPath(plan: Plan, from: string, to: string, attached: ReadonlyMap<string, string>): string[] {
  const adj = new Map<string, string[]>();
  const edge = (a: string, b: string) => {
    const list = adj.get(a);
    if (list) list.push(b);
    else adj.set(a, [b]);
  };
  for (const l of plan.links) {
    const [a, b] = [l.a.node, l.b.node];
    if (l.kind === 'access' && attached.get(a) !== b && attached.get(b) !== a) continue;
    edge(a, b);
    edge(b, a);
  }
  const prev = new Map<string, string>([[from, from]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] as string;
    if (n === to) break;
    for (const m of adj.get(n) ?? []) {
      if (prev.has(m)) continue;
      prev.set(m, n);
      queue.push(m);
    }
  }
  if (!prev.has(to)) return [];
  const path = [to];
  for (let n = to; n !== from; n = prev.get(n) as string) path.push(prev.get(n) as string);
  return path.reverse();
}

/**
 * The access router each mobile endpoint of a flow is attached to at the end:
 * the one its last packets went through (last arrival for a receiver, last
 * packet sent for a sender), else the target of its last handover, else the
 * access link that is up when the lab starts.
 */
export function finalAttachments(plan: Plan, v: FlowView, handovers: readonly HandoverRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  const mobile = (n: string) => plan.nodes.find((x) => x.name === n)?.roles.includes('mn') === true;
  const fallback = (mn: string): string | undefined => {
    const last = handovers
      .filter((h) => h.mn === mn)
      .sort((a, b) => a.at - b.at)
      .pop();
    if (last) return last.to;
    return plan.nodes.find((x) => x.name === mn)?.interfaces.find((i) => i.kind === 'access' && i.up)?.peer.node;
  };
  if (mobile(v.flow.to)) {
    const ar = v.arrivals[v.arrivals.length - 1]?.via || fallback(v.flow.to);
    if (ar) out.set(v.flow.to, ar);
  }
  if (mobile(v.flow.from)) {
    let lastT = -Infinity;
    let ar: string | undefined;
    for (const u of v.units) {
      if (u.sentT !== undefined && u.sentT >= lastT && u.via) {
        lastT = u.sentT;
        ar = u.via;
      }
    }
    ar ??= fallback(v.flow.from);
    if (ar) out.set(v.flow.from, ar);
  }
  return out;
}
