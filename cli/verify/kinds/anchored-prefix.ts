import { containsPrefix, parsePrefix } from '../../../shared/ipv6.js';
import type { LabStates } from '../../lab/lab-states.js';
import type { LabSession } from '../../lab/session.js';

/** A mobile node's identifier (NAI) from the plan. */
export function mnIdOf(session: LabSession, mn: string): string | undefined {
  return session.plan.mobility.mns.find((m) => m.node === mn)?.id;
}

/** The mobile node's prefix anchored at `anchor` (from what the agents hold), if any. */
export function prefixAnchoredAt(session: LabSession, states: LabStates, mn: string, anchor: string): string | undefined {
  const agg = session.node(anchor).anchor;
  if (!agg) return undefined;
  const a = parsePrefix(agg);
  const id = mnIdOf(session, mn);
  const inside = (p: string) => containsPrefix(a, parsePrefix(p));
  return (
    states.leases().find((l) => l.mnId === id && inside(l.prefix))?.prefix ??
    states
      .visitors()
      .flatMap((v) => (v.mn === mn ? v.prefixes.map((p) => p.prefix) : []))
      .find(inside)
  );
}
