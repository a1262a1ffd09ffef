import type { FlowAnalysis } from './types.js';
import type { FlowView, UnitFacts } from './flow-view.js';
import { ms, percentile } from './numbers.js';

/** Packets sent this close (ms) to the flow's stop and after the last one received are in flight, not lost. */
export const TAIL_MS = 50;

export type FlowCounts = Pick<
  FlowAnalysis,
  | 'sent'
  | 'received'
  | 'lost'
  | 'lossPercent'
  | 'duplicates'
  | 'reordered'
  | 'inFlightAtStop'
  | 'sources'
  | 'keepsSource'
  | 'latencyMs'
  | 'receiverSeries'
  | 'lostSeries'
>;

/**
 * Counts of one flow (see docs in analyze-run.ts for the exact definitions):
 * sent/received are unique sequence numbers leaving the sender / arriving at
 * the receiver; lost are those sent and never received, less the in-flight tail.
 */
export function flowCounts(v: FlowView): FlowCounts {
  const senderSeen = v.sender.points.size > 0;
  const sent = v.units.filter((u) => (senderSeen ? u.sentT !== undefined : true));
  const received = v.received;
  const maxReceived = received.reduce((m, u) => Math.max(m, u.seq), -Infinity);
  const lastSend = sent.reduce((m, u) => Math.max(m, u.sendMs ?? -Infinity), -Infinity);
  const end = v.flow.stoppedAt ?? lastSend;
  const missing = sent.filter((u) => u.arrivals.length === 0);
  const inTail = (u: UnitFacts) => u.seq > maxReceived && (u.sendMs ?? u.firstT) >= end - TAIL_MS;
  const tail = missing.filter(inTail).length;
  const lost = missing.length - tail;
  const base = sent.length - tail;
  const latency = oneWayLatencies(received, v.units);
  const latencies = latency.values.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const sources = sourcesOf(received);
  return {
    sent: sent.length,
    received: received.length,
    lost,
    lossPercent: base > 0 ? ms((lost / base) * 100) : 0,
    duplicates: v.arrivals.length - received.length,
    reordered: reorderedCount(received),
    inFlightAtStop: tail,
    sources,
    keepsSource: sources.length === 1,
    ...(p50 !== undefined && p95 !== undefined ? { latencyMs: { p50: ms(p50), p95: ms(p95), offsetRemovedMs: ms(latency.offsetRemovedMs) } } : {}),
    receiverSeries: v.arrivals.map((a) => [ms(a.t), a.seq] as [number, number]),
    lostSeries: missing.filter((u) => !inTail(u)).map((u) => [ms(u.sendMs ?? u.firstT), u.seq] as [number, number]),
  };
}

/**
 * One-way latency: first arrival (capture clock, brought onto the lab's
 * monotonic clock by the offset deploy measured) − the send stamp in the
 * flow header (the sender's monotonic clock; ICMP: its capture leaving the
 * sender). The send stamp is taken before the sender's qdiscs, so a link
 * delay there counts. What is left of the offset's error is measured from
 * the flow itself and removed: no packet can be seen anywhere before it was
 * sent, so if one seems to be, every send stamp moves back by the largest
 * such amount (`offsetRemovedMs`). No latency is ever negative.
 */
export function oneWayLatencies(received: readonly UnitFacts[], all: readonly UnitFacts[]): { values: number[]; offsetRemovedMs: number } {
  const earliest = all.reduce((m, u) => (u.sendMs === undefined ? m : Math.min(m, u.firstT - u.sendMs)), Infinity);
  const shift = Number.isFinite(earliest) && earliest < 0 ? -earliest : 0;
  return {
    values: received.flatMap((u) => (u.sendMs !== undefined && u.arrivals[0] ? [u.arrivals[0].t - (u.sendMs - shift)] : [])),
    offsetRemovedMs: shift,
  };
}

/** First arrivals whose sequence number is below the highest one that arrived before them. */
function reorderedCount(received: readonly UnitFacts[]): number {
  let max = -Infinity;
  let n = 0;
  for (const u of received) {
    if (u.seq < max) n++;
    else max = u.seq;
  }
  return n;
}

/** Innermost source addresses of the first arrivals, in order of first appearance. */
function sourcesOf(received: readonly UnitFacts[]): FlowAnalysis['sources'] {
  const out = new Map<string, FlowAnalysis['sources'][number]>();
  for (const u of received) {
    const a = u.arrivals[0];
    if (!a) continue;
    const s = out.get(a.source);
    if (s) {
      s.packets++;
      s.lastT = ms(a.t);
    } else out.set(a.source, { address: a.source, packets: 1, firstT: ms(a.t), lastT: ms(a.t) });
  }
  return [...out.values()];
}
