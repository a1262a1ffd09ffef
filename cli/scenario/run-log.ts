import type { ExpectationResult } from './results.js';
import type { StepRecord } from './timeline.js';

/** A flow as the run started it (from the scenario step and the sender's report). */
export interface FlowRecord {
  id: string;
  kind: 'udp' | 'tcp' | 'icmp';
  from: string;
  to: string;
  /** Sender's source address and the destination address (as started). */
  source: string;
  destination: string;
  port?: number;
  /** Monotonic ms (the lab's shared clock) when it was started and stopped. */
  startedAt: number;
  stoppedAt?: number;
}

/** A handover (or attach/detach) the run performed. */
export interface HandoverRecord {
  index: number;
  mn: string;
  /** Access routers the node left (empty for an initial attach). */
  from: string[];
  to: string;
  /** Monotonic ms when the radio change was made. */
  at: number;
  /** Monotonic ms when the new MR reported it complete (handover.completed / attachment.completed), if it did. */
  completedAt?: number;
}

/** What running the steps accumulates (read by the report and the verifier). */
export interface RunLog {
  steps: StepRecord[];
  flows: Map<string, FlowRecord & { final?: unknown }>;
  handovers: HandoverRecord[];
  checks: ExpectationResult[];
}

export function newRunLog(): RunLog {
  return { steps: [], flows: new Map(), handovers: [], checks: [] };
}
