import type { CaptureFileRef } from '../capture/capture-file.js';
import type { Plan } from '../plan/types.js';
import type { FlowRecord, HandoverRecord } from '../scenario/run-log.js';

/** What the verifier reads. */
export interface AnalysisInput {
  plan: Plan;
  captures: CaptureFileRef[];
  flows: FlowRecord[];
  handovers: HandoverRecord[];
  /** Milliseconds to add to the shared monotonic clock to get Unix ms (capture timestamps are Unix time). */
  monoToWallMs: number;
}

/** One observation of a packet: on which interface, when, and with which (outer) addresses. */
export interface PacketHop {
  node: string;
  iface: string;
  /** Monotonic ms. */
  t: number;
  /** Addresses of each IPv6 header, outermost first (one entry when not encapsulated). */
  headers: { src: string; dst: string }[];
}

/** A route the flow's packets took, with how many packets took it. */
export interface FlowPath {
  /** Every node crossed, in order. */
  nodes: string[];
  /** The same without plain routers (only MRs, ARs, MNs, CNs, LMs): the path as the drafts draw it. */
  mobilityNodes: string[];
  packets: number;
  firstT: number;
  lastT: number;
  /** Links (a–b) on which the packet travelled encapsulated, with the outer source and destination. */
  tunnels: { link: string; outerSrc: string; outerDst: string }[];
}

/** What happened to one flow around one handover of its mobile node. */
export interface FlowHandover {
  /** Index into the run's handovers. */
  handover: number;
  mn: string;
  from: string[];
  to: string;
  /** Last packet delivered through a previous access router, first through the new one (monotonic ms). */
  lastOldT?: number;
  firstNewT?: number;
  /** firstNewT - lastOldT (ms); undefined if either is missing. */
  interruptionMs?: number;
  /** First packet delivered on the new link minus the handover's radio change (ms). */
  attachToFirstPacketMs?: number;
  /** Sequence numbers sent but never received, between lastOld and firstNew. */
  lostDuring: number;
}

/** Everything measured about one flow, from the capture. */
export interface FlowAnalysis {
  id: string;
  kind: FlowRecord['kind'];
  from: string;
  to: string;
  /** Packets seen leaving the sender / arriving at the receiver (unique sequence numbers). */
  sent: number;
  received: number;
  lost: number;
  lossPercent: number;
  /**
   * Packets sent within the last 50 ms before the flow stopped and after the last one received:
   * in flight when the run ended, so neither lost nor received (not in `lost`, nor in lossPercent's base).
   */
  inFlightAtStop?: number;
  duplicates: number;
  reordered: number;
  /** Inner source addresses seen at the receiver, in order of first appearance. */
  sources: { address: string; packets: number; firstT: number; lastT: number }[];
  keepsSource: boolean;
  paths: FlowPath[];
  /** Path of the last packets of the run (most common path among the last 10%). */
  settledPath?: FlowPath;
  /** Shortest path (node names) between the sender and the receiver in the topology at the end of the run. */
  shortestPath: string[];
  pathStretch?: number;
  handovers: FlowHandover[];
  /** One-way delay at the receiver, ms (from the flow header's send time): median and 95th percentile. */
  /** One-way latency, and the clock offset error measured on the flow and removed (flow-counts.ts, oneWayLatencies). */
  latencyMs?: { p50: number; p95: number; offsetRemovedMs: number };
  /** (receive time in monotonic ms, sequence number) at the receiver: the classic handover plot. */
  receiverSeries: [number, number][];
  /** For each point of receiverSeries, the index in `paths` of the path its packet took (−1: not seen on a planned link). */
  receiverPaths?: number[];
  /** (send time in monotonic ms, sequence number) of every lost packet (the in-flight tail excluded). */
  lostSeries?: [number, number][];
}

/** One signalling message, counted once (its first appearance on the wire). */
export interface SignallingMessage {
  t: number;
  /** PBU, PBA, BU, BA, HI, HAck, LRI, LRA, BRI, BRA, LMQ, LMR. */
  name: string;
  from: string;
  to: string;
  fromAddress: string;
  toAddress: string;
  seq: number;
  bytes: number;
  /** The handover during whose window it was sent (from its step to the next one), if any. */
  handover?: number;
  /** Captured leaving its sender and arriving at its receiver (monotonic ms), and the difference: time on the wire. */
  sentT?: number;
  receivedT?: number;
  transitMs?: number;
  /** The receiver's next message after it (within 100 ms, same handover): what it sent and how long after. */
  nextSend?: { name: string; to: string; afterMs: number };
  /** Migrating home agents: a synchronisation of the LM replicas and home agents (or its acknowledgement). */
  sync?: true;
  /** Not part of a handover's own exchange: a release (lifetime 0, revocations) or a refresh, or the acknowledgement of one. */
  part?: 'release' | 'refresh';
}

export interface SignallingAnalysis {
  messages: SignallingMessage[];
  totals: Record<string, { count: number; bytes: number }>;
  byHandover: {
    handover: number;
    counts: Record<string, number>;
    bytes: number;
    /** Of these, the synchronisation of migrating home agents' LM replicas and home agents. */
    sync?: { count: number; bytes: number };
    /** The new access router's first message after the radio change (wire time at its interface). */
    firstSend?: { name: string; to: string; afterMs: number };
  }[];
  /** Releases and refreshes (with their acknowledgements), counted apart from the handovers whose windows they fall in. */
  releases: { count: number; bytes: number; byName: Record<string, number> };
  refreshes: { count: number; bytes: number; byName: Record<string, number> };
  /** Messages the codec could not decode (counted, not fatal). */
  undecodable: number;
}

/** Packets that left an MR's uplinks unencapsulated with a home address as source (source-validation.ts). */
export interface SourceValidation {
  /** Such packets seen. */
  checked: number;
  /** Uplink (it came from an access link) whose source another MR anchors: a network with source-address validation drops them. */
  violations: number;
  /** Native packets with a foreign source that did not come from an access link (decapsulated, or routed as transit): no uplink. */
  forwarded: number;
  /** The first few violations. */
  examples: SourceExample[];
  /** The first few forwarded ones (the known gap in docs/protocol.md: where they came from, to look into). */
  forwardedExamples: SourceExample[];
}

/** A native packet an MR sent out of `iface` at `t` with a source address `anchor` anchors. */
export interface SourceExample {
  t: number;
  node: string;
  iface: string;
  src: string;
  dst: string;
  anchor: string;
}

export interface Analysis {
  flows: FlowAnalysis[];
  signalling: SignallingAnalysis;
  sourceValidation: SourceValidation;
  captures: { files: number; packets: number; interfaces: string[] };
  warnings: string[];
}
