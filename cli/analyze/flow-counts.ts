import type { FlowAnalysis } from './types.js';
import type { FlowView, UnitFacts } from './flow-view.js';
import { ms, percentile } from './numbers.js';

/** Packets sent this close (ms) to the flow's stop and after the last one received are in flight, not lost. */
export const TAIL_MS = 50;

export type FlowCounts = Pick<
  FlowAnalysis,
  'sent' | 'received' | 'lost' | 'lossPercent' | 'duplicates' | 'reordered' | 'inFlightAtStop' | 'sources' | 'keepsSource' | 'latencyMs' | 'receiverSeries'
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
  const tail = missing.filter((u) => u.seq > maxReceived && (u.sendMs ?? u.firstT) >= end - TAIL_MS).length;
  const lost = missing.length - tail;
  const base = sent.length - tail;
  const latencies = received.flatMap((u) => (u.sendMs !== undefined ? [(u.arrivals[0]?.t ?? 0) - u.sendMs] : [])).sort((a, b) => a - b);
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
    ...(p50 !== undefined && p95 !== undefined ? { latencyMs: { p50: ms(p50), p95: ms(p95) } } : {}),
    receiverSeries: v.arrivals.map((a) => [ms(a.t), a.seq] as [number, number]),
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
