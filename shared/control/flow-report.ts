import type { FlowSpec } from './flow-spec.js';

/** Latency percentiles in milliseconds (about 1% precision). */
export interface LatencySummary {
  p50: number;
  p95: number;
  max: number;
  /** Samples behind the figures. */
  n: number;
}

/** Addresses of a flow's packets: the sender's, the receiver's, the destination port. */
export interface FlowEndpoints {
  /** Sender's address (a receiver: of the last packet received; null before any). */
  source: string | null;
  /** Receiver's address (a UDP receiver bound to the any address: null, unknown). */
  destination: string | null;
  /** Destination port (null for ICMP). */
  port: number | null;
}

/** What `flow.start` answers. */
export interface FlowStarted extends FlowEndpoints {
  flowId: string;
  /** The id in every packet's header: FNV-1a of the flow name. */
  wireId: number;
  kind: FlowSpec['kind'];
  role: FlowSpec['role'];
}

/** Send-side counters (senders, ICMP echo). */
export interface SendCounters {
  sent: number;
  sentBytes: number;
  sendErrors: number;
  /** Send errors by errno code. */
  errors: Record<string, number>;
}

/** Receive-side counters (receivers, ICMP replies): loss, duplicates and reordering by sequence number. */
export interface ReceiveCounters {
  /** Every decoded arrival, duplicates included. */
  received: number;
  /** Payload bytes of those arrivals. */
  receivedBytes: number;
  /** Sequence numbers below the highest one seen that never arrived (tail loss is invisible here). */
  lost: number;
  duplicates: number;
  /** Arrivals below the highest sequence number seen that filled a gap. */
  reordered: number;
  /** Arrivals too old for the window (cannot tell duplicate from late). */
  stale: number;
  /** Sequence number (as on the wire) of the last arrival; 0 before any. */
  lastSeq: number;
  /** Highest sequence number (as on the wire) seen; 0 before any. */
  maxSeq: number;
}

/** Figures only some runners have (each says which in its `extra` and `interval`). */
export interface RunnerFigures {
  /** Local port of the sender's socket (receivers: of the last packet). */
  sourcePort: number | null;
  /** UDP: where its packets are sent or read: the agent host's flow thread, or the agent's own thread. */
  thread: 'flow' | 'agent';
  /** Worst lateness of the send schedule over the interval (ms). */
  lagMs: number;
  /** Times the send schedule fell more than a second behind and restarted. */
  resyncs: number;
  /** Datagrams that did not carry a flow header, or another flow's. */
  malformed: number;
  foreign: number;
  /** TCP receiver: connections accepted and still open, stream bytes read. */
  connections: number;
  open: number;
  streamBytes: number;
  /** TCP sender: bytes per record, writes that waited for the window, waiting now. */
  recordSize: number;
  drainWaits: number;
  waitingForWindow: boolean;
  /** ICMP: requests ping says it sent (once it has summed up). */
  transmitted: number;
  /** ICMP: echo replies per second over the interval. */
  replyRate: number;
}

/** A flow's figures: `flow.stats` every 250 ms, `flow.list`, and the final ones from `flow.stop` and `flow.stopped`. */
export interface FlowReport extends FlowStarted, Partial<SendCounters>, Partial<ReceiveCounters>, Partial<RunnerFigures> {
  state: 'running' | 'stopped' | 'broken';
  elapsedMs: number;
  /** Packets (records, echo requests) sent per second, or received for a receiver, over the last interval. */
  rate: number;
  /** Payload bytes per second, likewise. */
  byteRate: number;
  /** Latency over the last interval (receivers: one-way; ICMP: round trip). */
  latencyMs: LatencySummary | null;
  /** What latency figures measure: one-way (receive − send time) or round trip (ICMP). */
  latencyKind?: 'one-way' | 'rtt';
  /** Why a broken flow broke. */
  error?: string;
  /** Final report only: mean rate over the whole flow, latency over the whole flow. */
  avgRate?: number;
  latencyTotalMs?: LatencySummary | null;
}

/** A flow report as an event carries it: the flow's kind travels as `flowKind` (`kind` is the event's). */
export type FlowEventFields<T extends FlowStarted = FlowReport> = Omit<T, 'kind'> & { flowKind: FlowSpec['kind'] };

export function flowEventFields<T extends FlowStarted>(r: T): FlowEventFields<T> {
  const { kind, ...rest } = r;
  return { ...rest, flowKind: kind };
}
