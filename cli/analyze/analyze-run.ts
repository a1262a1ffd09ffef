/**
 * The verifier: turns a run's packet captures into its measured facts.
 *
 * Packets. A flow packet is identified across interfaces by (flow, sequence
 * number): UDP by the flow header (flow id = FNV-1a of the flow name) in the
 * innermost UDP payload; TCP by record number, found from TCP sequence numbers
 * (tcp-records.ts); ICMP by the echo request's sequence number, for requests
 * from the flow's source to its destination (replies are not counted). Every
 * capture of it is a sighting (point, time, direction from the Ethernet MACs,
 * hop limit, address stack).
 *
 * Counting points (endpoint-points.ts): on each link of an endpoint, its own
 * interface's capture, else the peer's. Times are monotonic ms
 * (capture Unix time − monoToWallMs), rounded to the nanosecond.
 *
 * - sent: sequence numbers seen leaving the sender at its counting points (every
 *   one seen anywhere when the sender has no capture at all).
 * - received: sequence numbers seen arriving at the receiver at its counting points.
 * - inFlightAtStop: sent, not received, numbered above the highest received, and
 *   sent (header time) within TAIL_MS = 50 ms before the flow's stop (stoppedAt,
 *   else the last send time): the capture ended before they could arrive.
 * - lost: sent and never received, less inFlightAtStop. lossPercent = lost / (sent − inFlightAtStop) · 100.
 * - duplicates: arrivals beyond the first of each sequence number.
 * - reordered: first arrivals, in time order, whose number is below the highest already arrived.
 * - latencyMs: first arrival − send time (flow header; ICMP: the request's capture
 *   leaving the sender), nearest-rank p50 and p95.
 * - sources: innermost source address of each first arrival, in order of first appearance;
 *   keepsSource: exactly one.
 * - receiverSeries: every arrival (duplicates too) as [t, seq], by time.
 * - paths, settledPath: flow-paths.ts; shortestPath, pathStretch: shortest-path.ts,
 *   pathStretch = (settledPath hops) / (shortestPath hops), hops = nodes − 1.
 * - handovers: flow-handovers.ts. Signalling: signalling.ts. Source validation of the
 *   MRs' uplinks: source-validation.ts.
 */
import type { Progress } from '../util/progress.js';
import { silentProgress } from '../util/progress.js';
import type { Analysis, AnalysisInput, FlowAnalysis } from './types.js';
import { AddressBook } from './address-book.js';
import type { FlowUnit } from './capture-data.js';
import { flowCounts } from './flow-counts.js';
import { flowHandovers } from './flow-handovers.js';
import { flowPaths } from './flow-paths.js';
import { flowView, type FlowView } from './flow-view.js';
import { readCaptures } from './read-captures.js';
import { finalAttachments, shortestPath } from './shortest-path.js';
import { decodeSignalling, heldPrefixes, signallingAnalysis } from './signalling.js';
import { tcpRecords } from './tcp-records.js';

/** The analysis of a run that captured nothing: no flow, no message, only the warnings saying why. */
export function emptyAnalysis(warnings: string[]): Analysis {
  const none = () => ({ count: 0, bytes: 0, byName: {} });
  return {
    flows: [],
    signalling: { messages: [], totals: {}, byHandover: [], releases: none(), refreshes: none(), undecodable: 0 },
    sourceValidation: { checked: 0, violations: 0, forwarded: 0, examples: [], forwardedExamples: [] },
    captures: { files: 0, packets: 0, interfaces: [] },
    warnings,
  };
}

/** Reads every capture once and measures every flow, handover and signalling message of the run. Never throws on bad packets. */
export async function analyzeRun(input: AnalysisInput, progress: Progress = silentProgress): Promise<Analysis> {
  const data = await readCaptures(input, progress);
  tcpRecords(data);
  const warnings = [...data.warnings];
  const wire = decodeSignalling(data);
  const book = new AddressBook(input.plan, input.flows, data.accessAddresses, heldPrefixes(input.plan, wire.messages));
  const flows = input.flows.map((flow, i) => {
    const v = flowView(input.plan, data, flow, data.units[i] as Map<number, FlowUnit>);
    warnings.push(...endpointWarnings(input, v));
    const a = analyzeFlow(input, v);
    warnings.push(...a.warnings);
    return a.flow;
  });
  return {
    flows,
    signalling: signallingAnalysis(wire, book, input.handovers, new Map(input.plan.mobility.mns.map((m) => [m.id, m.node]))),
    sourceValidation: data.sources.result,
    captures: { files: data.files, packets: data.packets, interfaces: input.captures.map((c) => `${c.node}:${c.iface}`) },
    warnings,
  };
}

function analyzeFlow(input: AnalysisInput, v: FlowView): { flow: FlowAnalysis; warnings: string[] } {
  const counts = flowCounts(v);
  const { paths, settledPath } = flowPaths(v, input.plan);
  const shortest = shortestPath(input.plan, v.flow.from, v.flow.to, finalAttachments(input.plan, v, input.handovers));
  const ho = flowHandovers(v, input.handovers);
  const warnings = [...ho.warnings];
  if (v.units.length === 0) warnings.push(`flow ${v.flow.id} (${v.flow.kind} ${v.flow.from} → ${v.flow.to}): no packet of it in the captures`);
  else if (counts.received === 0)
    warnings.push(`flow ${v.flow.id} (${v.flow.kind} ${v.flow.from} → ${v.flow.to}): none of its ${counts.sent} packets reached ${v.flow.to}`);
  const stretch = settledPath && shortest.length > 1 ? (settledPath.nodes.length - 1) / (shortest.length - 1) : undefined;
  // Which path each arrival's packet took (paths are keyed as flowPaths keyed them).
  const pathIndex = new Map(paths.map((p, k) => [pathKey(p), k]));
  const unitPath = new Map(v.units.map((u) => [u.seq, u.path ? (pathIndex.get(pathKey(u.path)) ?? -1) : -1]));
  const receiverPaths = v.arrivals.map((a) => unitPath.get(a.seq) ?? -1);
  return {
    flow: {
      id: v.flow.id,
      kind: v.flow.kind,
      from: v.flow.from,
      to: v.flow.to,
      ...counts,
      receiverPaths,
      paths,
      ...(settledPath ? { settledPath } : {}),
      shortestPath: shortest,
      ...(stretch !== undefined ? { pathStretch: Math.round(stretch * 1e6) / 1e6 } : {}),
      handovers: ho.handovers,
    },
    warnings,
  };
}

/** Endpoints the plan does not know, or whose links (the ones a mobile node used) were not captured. */
function endpointWarnings(input: AnalysisInput, v: FlowView): string[] {
  const out: string[] = [];
  for (const [e, role] of [
    [v.sender, 'sender'],
    [v.receiver, 'receiver'],
  ] as const) {
    if (!e.known) {
      out.push(`flow ${v.flow.id}: ${role} ${e.node} is not a node of the lab`);
      continue;
    }
    if (e.points.size === 0) {
      out.push(
        `flow ${v.flow.id}: no capture on any interface of ${role} ${e.node} or of its neighbours; its ${role === 'sender' ? 'sent' : 'received'} packets cannot be counted`,
      );
      continue;
    }
    const used = usedAccessRouters(input, e.node);
    for (const u of e.uncaptured) {
      if (!u.access || used.has(u.peer))
        out.push(`flow ${v.flow.id}: no capture on either side of the link ${e.node}–${u.peer}; ${role} packets there are not counted`);
    }
  }
  return out;
}

/** Access routers a mobile node is attached to at some point: at the start and after each handover. */
function usedAccessRouters(input: AnalysisInput, mn: string): Set<string> {
  const out = new Set<string>();
  const n = input.plan.nodes.find((x) => x.name === mn);
  for (const i of n?.interfaces ?? []) if (i.kind === 'access' && i.up) out.add(i.peer.node);
  for (const h of input.handovers) if (h.mn === mn) out.add(h.to);
  return out;
}

/** A path's identity: its nodes and its tunnels (what flowPaths groups packets by). */
function pathKey(p: { nodes: readonly string[]; tunnels: readonly { link: string; outerSrc: string; outerDst: string }[] }): string {
  return `${p.nodes.join(' ')}|${p.tunnels.map((t) => `${t.link} ${t.outerSrc} ${t.outerDst}`).join(',')}`;
}
