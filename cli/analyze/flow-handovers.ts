import type { FlowHandover } from './types.js';
import type { FlowView } from './flow-view.js';
import { ms } from './numbers.js';
import type { HandoverRecord } from '../scenario/run-log.js';

/** A delivery at the receiver and the access router that matters for the handover. */
interface Delivery {
  t: number;
  seq: number;
  via?: string;
}

/**
 * What happened to the flow around each handover of its mobile endpoint.
 *
 * Deliveries are the arrivals at the receiver. When the mobile node receives,
 * a delivery's access router is the one it arrived from (the radio it came in
 * on); when it sends, the one it left the mobile node through. For handover h
 * of node m (window: from m's previous handover to m's next one):
 * lastOldT = latest delivery in the window through one of h.from;
 * firstNewT = earliest delivery through h.to at or after h.at and before m's next handover;
 * interruptionMs = firstNewT − lastOldT; attachToFirstPacketMs = firstNewT − h.at;
 * lostDuring = sequence numbers strictly between those two deliveries' that never arrived.
 */
export function flowHandovers(v: FlowView, handovers: readonly HandoverRecord[]): { handovers: FlowHandover[]; warnings: string[] } {
  const out: FlowHandover[] = [];
  const warnings: string[] = [];
  const receivedSeqs = new Set(v.received.map((u) => u.seq));
  for (const h of handovers) {
    const receives = h.mn === v.flow.to;
    if (!receives && h.mn !== v.flow.from) continue;
    const deliveries: Delivery[] = receives
      ? v.arrivals
      : v.received.map((u) => ({ t: u.arrivals[0]?.t ?? 0, seq: u.seq, ...(u.via !== undefined ? { via: u.via } : {}) }));
    const own = handovers.filter((x) => x.mn === h.mn && x !== h);
    const prevAt = Math.max(-Infinity, ...own.filter((x) => x.at < h.at || (x.at === h.at && x.index < h.index)).map((x) => x.at));
    const nextAt = Math.min(Infinity, ...own.filter((x) => x.at > h.at || (x.at === h.at && x.index > h.index)).map((x) => x.at));
    let old: Delivery | undefined;
    let first: Delivery | undefined;
    for (const d of deliveries) {
      if (d.t < prevAt || d.t >= nextAt || d.via === undefined) continue;
      if (h.from.includes(d.via) && (!old || d.t >= old.t)) old = d;
      if (d.via === h.to && d.t >= h.at && (!first || d.t < first.t)) first = d;
    }
    let lostDuring = 0;
    if (old && first) for (let s = old.seq + 1; s < first.seq; s++) if (!receivedSeqs.has(s)) lostDuring++;
    out.push({
      handover: h.index,
      mn: h.mn,
      from: h.from,
      to: h.to,
      ...(old ? { lastOldT: ms(old.t) } : {}),
      ...(first ? { firstNewT: ms(first.t) } : {}),
      ...(old && first ? { interruptionMs: ms(first.t - old.t) } : {}),
      ...(first ? { attachToFirstPacketMs: ms(first.t - h.at) } : {}),
      lostDuring,
    });
    const what = `handover ${h.index} of ${h.mn} to ${h.to} at ${h.at.toFixed(1)} ms`;
    if (!old && !first) warnings.push(`flow ${v.flow.id}: no traffic around ${what}`);
    else if (!first) warnings.push(`flow ${v.flow.id}: no packet went through ${h.to} after ${what}`);
    else if (!old && h.from.length > 0) warnings.push(`flow ${v.flow.id}: no packet went through ${h.from.join('/')} before ${what}`);
  }
  return { handovers: out, warnings };
}
