import type { AgentState } from '../../shared/control/role-state.js';
import type { Plan } from '../plan/types.js';
import type { Load } from './signalling-load.js';

type ByName = NonNullable<NonNullable<AgentState['signalling']>['byName']>;

/** What the agents counted between two snapshots, summed as the model's classes: every LM, every MR, and the anchor part of the MRs. */
export interface MeasuredLoad {
  lm: Load;
  /** Every MR (new, previous, anchor and correspondent parts together). */
  mrs: Load;
  /** The anchor part: binding updates (PBU) MRs received and their acknowledgements (PBA) sent. */
  anchor: Load;
  /** Requests the agents sent again for want of a timely answer (the model counts each exchange once). */
  retransmitted: number;
}

/**
 * Signalling the agents handled between `before` and `after` (their
 * `signalling.byName` counters, sent plus received, with bytes on the wire).
 */
export function measuredLoad(plan: Plan, before: Readonly<Record<string, AgentState>>, after: Readonly<Record<string, AgentState>>): MeasuredLoad {
  const out: MeasuredLoad = { lm: { messages: 0, bytes: 0 }, mrs: { messages: 0, bytes: 0 }, anchor: { messages: 0, bytes: 0 }, retransmitted: 0 };
  const add = (l: Load, messages: number, bytes: number) => {
    l.messages += messages;
    l.bytes += bytes;
  };
  for (const node of plan.nodes) {
    out.retransmitted += (after[node.name]?.signalling?.retransmitted ?? 0) - (before[node.name]?.signalling?.retransmitted ?? 0);
    const a: ByName = after[node.name]?.signalling?.byName ?? {};
    const b: ByName = before[node.name]?.signalling?.byName ?? {};
    for (const [name, x] of Object.entries(a)) {
      const y = b[name] ?? { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0 };
      const messages = x.sent - y.sent + x.received - y.received;
      const bytes = x.sentBytes - y.sentBytes + x.receivedBytes - y.receivedBytes;
      if (node.roles.includes('lm')) add(out.lm, messages, bytes);
      if (node.roles.includes('mr')) {
        add(out.mrs, messages, bytes);
        if (name === 'PBU') add(out.anchor, x.received - y.received, x.receivedBytes - y.receivedBytes);
        if (name === 'PBA') add(out.anchor, x.sent - y.sent, x.sentBytes - y.sentBytes);
      }
    }
  }
  return out;
}
