import type { Plan } from '../plan/types.js';
import type { Step } from '../scenario/schema.js';

/** The closed-form expectation of a placement in a delay sweep. */
export interface ClosedForm {
  placement: string;
  /** The mobile node's anchor (its network's central anchor, else the MR of the cell it starts in). */
  anchor: string;
  /** The access router of the pattern's first handover. */
  from: string;
  /** Infrastructure hops between the two (the delayed ones: with a wan sweep, those between two networks). */
  hops: number;
  /** Added interruption per ms of one-way delay per delayed link: one round trip, 2 × hops. */
  slope: number;
}

/**
 * The textbook expectation of handover latency against link delay: a
 * handover costs one round trip between the new access router and the
 * node's anchor (the registration of Mobile IPv6 and Proxy Mobile IPv6; in
 * flat DMM, the context transfer with the MR the node left when that is its
 * anchor). With every infrastructure link delayed by d, the interruption
 * grows by 2 × hops × d; with only the links between networks delayed
 * (`betweenNetworks`), by 2 × those of the path's hops. Undefined when the
 * plan has no such anchor or path.
 */
export function anchorRoundTrip(placement: string, plan: Plan, steps: readonly Step[], betweenNetworks = false): ClosedForm | undefined {
  const first = firstHandover(steps);
  if (!first) return undefined;
  const mn = plan.mobility.mns.find((m) => m.node === first.mn);
  if (!mn) return undefined;
  const anchor = plan.networks.find((n) => n.name === mn.network)?.anchor ?? mn.start;
  if (!anchor) return undefined;
  const path = infraPath(plan, first.to, anchor);
  if (!path) return undefined;
  const networkOf = new Map(plan.nodes.map((n) => [n.name, n.network]));
  const hops = betweenNetworks ? path.slice(1).filter((n, i) => networkOf.get(n) !== networkOf.get(path[i]!)).length : path.length - 1;
  return { placement, anchor, from: first.to, hops, slope: 2 * hops };
}

function firstHandover(steps: readonly Step[]): { mn: string; to: string } | undefined {
  for (const s of steps) {
    if (s.handover) return s.handover;
    const inner = s.repeat ? firstHandover(s.repeat.steps) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Hop count over infrastructure links (breadth-first). */
export function infraHops(plan: Plan, from: string, to: string): number | undefined {
  const p = infraPath(plan, from, to);
  return p ? p.length - 1 : undefined;
}

/** A shortest path over infrastructure links, its nodes from `from` to `to` (breadth-first; ties by link order). */
export function infraPath(plan: Plan, from: string, to: string): string[] | undefined {
  const adj = new Map<string, string[]>();
  for (const l of plan.links.filter((x) => x.kind === 'infra')) {
    (adj.get(l.a.node) ?? adj.set(l.a.node, []).get(l.a.node)!).push(l.b.node);
    (adj.get(l.b.node) ?? adj.set(l.b.node, []).get(l.b.node)!).push(l.a.node);
  }
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    if (u === to) {
      const path = [u];
      for (let p = prev.get(u); p; p = prev.get(p)) path.unshift(p);
      return path;
    }
    for (const v of adj.get(u) ?? []) {
      if (prev.has(v)) continue;
      prev.set(v, u);
      queue.push(v);
    }
  }
  return undefined;
}
