import type { Plan } from '../plan/types.js';
import type { CaptureData, FlowUnit } from './capture-data.js';
import type { CapturePoint } from './capture-points.js';
import { arrives, endpointPoints, leaves, type EndpointPoints } from './endpoint-points.js';
import { packetPath, type PacketPath } from './packet-path.js';
import type { FlowRecord } from '../scenario/run-log.js';

/** A packet arriving at the receiver (each capture of it at the receiver's counting points). */
export interface Arrival {
  /** Monotonic ms. */
  t: number;
  /** Sequence number. */
  seq: number;
  /** The node it came from (the access router, for a mobile receiver). */
  via: string;
  /** Innermost source address. */
  source: string;
}

/** What the analysis needs to know about one packet of a flow. */
export interface UnitFacts {
  /** Sequence number. */
  seq: number;
  /** Earliest sighting anywhere (monotonic ms). */
  firstT: number;
  /** Send time: the flow header's, else the first capture leaving the sender. */
  sendMs?: number;
  /** First capture leaving the sender; undefined if it was never seen leaving. */
  sentT?: number;
  /** The node it went to from the sender (the access router, for a mobile sender). */
  via?: string;
  /** Arrivals at the receiver in time order (more than one: duplicates). */
  arrivals: Arrival[];
  /** Its route, when it was seen on a planned link. */
  path?: PacketPath;
}

/** One flow's packets, with their facts, ready for counting. */
export interface FlowView {
  /** The flow as started. */
  flow: FlowRecord;
  /** Where its packets are counted leaving the sender and arriving at the receiver. */
  sender: EndpointPoints;
  receiver: EndpointPoints;
  /** By sequence number. */
  units: UnitFacts[];
  /** Every arrival, by time (then sequence number). */
  arrivals: Arrival[];
  /** Units that arrived, by first arrival. */
  received: UnitFacts[];
}

export function flowView(plan: Plan, data: CaptureData, flow: FlowRecord, units: Map<number, FlowUnit>): FlowView {
  const sender = endpointPoints(plan, data, flow.from);
  const receiver = endpointPoints(plan, data, flow.to);
  const points = data.points.list;
  const facts: UnitFacts[] = [];
  for (const u of units.values()) facts.push(unitFacts(u, sender, receiver, points, data, flow.from));
  facts.sort((a, b) => a.seq - b.seq);
  const arrivals = facts.flatMap((f) => f.arrivals).sort(byTime);
  const received = facts.filter((f) => f.arrivals.length > 0).sort((a, b) => byTime(a.arrivals[0] as Arrival, b.arrivals[0] as Arrival));
  return { flow, sender, receiver, units: facts, arrivals, received };
}

function unitFacts(u: FlowUnit, sender: EndpointPoints, receiver: EndpointPoints, points: readonly CapturePoint[], data: CaptureData, from: string): UnitFacts {
  let firstT = Infinity;
  let sentT: number | undefined;
  let via: string | undefined;
  const arrivals: Arrival[] = [];
  for (const s of u.sightings) {
    if (s.t < firstT) firstT = s.t;
    const p = points[s.point] as CapturePoint;
    if (leaves(sender, s) && (sentT === undefined || s.t < sentT)) {
      sentT = s.t;
      via = sender.points.get(s.point) === 'own' ? p.peer : p.node;
    }
    if (arrives(receiver, s)) {
      arrivals.push({ t: s.t, seq: u.seq, via: (receiver.points.get(s.point) === 'own' ? p.peer : p.node) ?? '', source: data.headers.innerSource(s.headers) });
    }
  }
  arrivals.sort(byTime);
  const sendMs = u.sendMs ?? sentT;
  const path = packetPath(u, points, data.headers, from);
  return {
    seq: u.seq,
    firstT,
    ...(sendMs !== undefined ? { sendMs } : {}),
    ...(sentT !== undefined ? { sentT, via } : {}),
    arrivals,
    ...(path ? { path } : {}),
  };
}

function byTime(a: Arrival, b: Arrival): number {
  return a.t - b.t || a.seq - b.seq;
}
