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

/** What `start` answers. */
export interface FlowStarted extends FlowEndpoints {
  flowId: string;
  /** The id in every packet's header: FNV-1a of the flow name. */
  wireId: number;
  kind: FlowSpec['kind'];
  role: FlowSpec['role'];
}

/** A flow's figures: `flow.stats` every 250 ms, `list`, and the final ones from `stop` and `flow.stopped`. */
export interface FlowReport extends FlowStarted {
  state: 'running' | 'stopped' | 'broken';
  elapsedMs: number;
  /** Packets (records, echo requests) sent per second, or received for a receiver, over the last interval. */
  rate: number;
  /** Payload bytes per second, likewise. */
  byteRate: number;
  /** Latency over the last interval (receivers: one-way; ICMP: round trip). */
  latencyMs: LatencySummary | null;
  /** Why a broken flow broke. */
  error?: string;
  /** Counters of the runner: sent, sentBytes, sendErrors, errors, received, lost, duplicates, reordered, lastSeq... */
  [field: string]: unknown;
}
