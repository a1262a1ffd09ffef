import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowStats, SendMeter } from './flow-stats.js';

/** What a runner tells the manager. */
export interface FlowHooks {
  /** The runner ended by itself (its packets are all sent, ping exited). */
  finished(): void;
  /** A session broke; `fatal` ends the flow (state `broken`), otherwise it goes on (a receiver keeps listening). */
  error(err: Error, fatal: boolean, fields?: Record<string, unknown>): void;
  /** A sender fell more than a second behind its schedule and restarted it from now (packets were not sent on time). */
  behind(lagMs: number): void;
}

/** One generator or receiver of a flow (a file each: udp-sender, udp-receiver, tcp-sender, tcp-receiver, icmp-echo). */
export interface FlowRunner {
  /** Send-side counters (senders, ICMP). */
  readonly meter?: SendMeter;
  /** Receive-side accounting (receivers, ICMP replies). */
  readonly stats?: FlowStats;
  /** The runner ends itself after `durationMs` (the manager sets no timer). */
  readonly selfTimed?: boolean;
  /** What latency figures measure: one-way (receive − send time, default) or round trip (ICMP). */
  readonly latencyKind?: 'one-way' | 'rtt';
  endpoints(): FlowEndpoints;
  /** Runner-specific cumulative fields (lastSeq, connections...). */
  extra?(): Record<string, unknown>;
  /** Runner-specific figures for the interval that ends now (schedule lag). */
  interval?(): Record<string, unknown>;
  /** Stops sending or receiving and closes sockets or processes. */
  stop(): Promise<void>;
}
