/**
 * Messages between an agent host's thread and its flow thread
 * (flow-thread.ts, flow-thread-worker.ts). Both ends are built from this
 * source tree and run in one process (nothing from outside enters here), so
 * they are typed, not checked.
 */

/** How long the flow thread gathers a flow's figures before it posts them. */
export const FLUSH_MS = 20;

export type ToFlowThread =
  | {
      op: 'send';
      id: number;
      /** A UDP socket opened in the node, bound to `source`. */
      fd: number;
      source: string;
      destination: string;
      port: number;
      wireId: number;
      rate: number;
      size: number;
      durationMs?: number;
    }
  | { op: 'receive'; id: number; fd: number; wireId: number }
  | { op: 'stop'; id: number };

export interface SendBatch {
  op: 'sent';
  id: number;
  packets: number;
  bytes: number;
  failed: Record<string, number>;
  notices: Record<string, number>;
  behind: number[];
  finished: boolean;
  lastSeq: number;
  resyncs: number;
  lagMs: number;
}

export interface ReceiveBatch {
  op: 'received';
  id: number;
  /** Sequence number, bytes and one-way latency (ms) of each arrival, in order. */
  arrivals: Float64Array;
  from: string | null;
  fromPort: number | null;
  malformed: number;
  foreign: number;
  errors: string[];
}

export type FromFlowThread =
  { op: 'opened'; id: number; localPort: number } | { op: 'failed'; id: number; message: string } | SendBatch | ReceiveBatch | { op: 'stopped'; id: number };
