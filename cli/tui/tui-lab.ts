import type { AgentEvent } from '../../shared/control/messages.js';
import type { FlowSpec } from '../../shared/control/flow-spec.js';
import type { FlowStarted } from '../../shared/control/flow-report.js';
import type { LabStates } from '../lab/lab-states.js';
import type { AgentDown, HandoverOptions } from '../lab/session.js';
import type { Plan } from '../plan/types.js';

/** A radio of a mobile node: the access router it reaches and whether it is up. */
export interface Radio {
  /** Interface in the mobile node (named after the access router). */
  iface: string;
  /** The access router at the other end. */
  ar: string;
  /** The radio is up: the node is attached there. */
  up: boolean;
}

/** What a flow start asks for (the subset of LabSession.startFlow the TUI uses). */
export interface FlowStart {
  /** Flow name, unique among the lab's flows (f1, f2...). */
  id: string;
  kind: FlowSpec['kind'];
  /** Sending node. */
  from: string;
  /** Receiving node (its home address or loopback is the destination). */
  to: string;
}

/** Capture status as the TUI shows it. */
export interface CaptureStatus {
  /** tcpdump is running on the lab's interfaces. */
  on: boolean;
  /** Packets captured so far (this capture, or the last one once stopped). */
  packets: number;
  /** Where the capture goes (directory or files) or the last exported pcapng. */
  file?: string;
  /** Why the capture cannot run (module missing, tcpdump missing...). */
  error?: string;
}

/** Packet capture of the whole lab, behind a small adapter (cli/tui/capture-adapter.ts). */
export interface TuiCapture {
  /** Starts capturing on every interface of the lab. */
  start(): Promise<void>;
  /** Stops capturing; the files stay for export. */
  stop(): Promise<void>;
  /** Current status (cheap; polled with the agent states). */
  stats(): Promise<CaptureStatus>;
  /** Merges the captured files into one pcapng annotated with the lab's events; returns its path. */
  export(): Promise<string>;
}

/**
 * Steps through a scenario one step at a time or plays it. The scenario
 * runner (cli/run/) implements it; the TUI only calls these.
 */
export interface ScenarioStepper {
  /** One readable description per step. */
  readonly steps: string[];
  /** Index of the next step to run (steps.length once finished). */
  readonly position: number;
  /** Runs the next step. */
  next(): Promise<void>;
  /** Runs the remaining steps until the end or pause(). */
  play(): Promise<void>;
  /** Stops playing after the current step. */
  pause(): void;
}

/**
 * Everything the TUI does to a lab: the subset of LabSession it uses plus
 * capture and an optional scenario. The TUI depends on this interface only,
 * so frame tests drive it with a fake; cli/tui/session-lab.ts adapts a real
 * LabSession. The TUI holds no mobility logic: every action goes through here.
 */
export interface TuiLab {
  /** Lab name. */
  readonly lab: string;
  /** The resolved plan: networks, nodes, roles, access links. */
  readonly plan: Plan;
  /** Milliseconds to add to an event's monotonic `t` for Unix time (undefined: show seconds). */
  readonly monoToWallMs: number | undefined;
  /** Events from before the TUI opened (the agents' recent past), oldest first. */
  readonly history: AgentEvent[];
  /** Agents not answering (when the TUI opened, and since). */
  readonly deadAgents: AgentDown[];
  /** Capture of the lab's interfaces. */
  readonly capture: TuiCapture;
  /** A scenario to step through, when one was given. */
  readonly scenario?: ScenarioStepper;
  /** Subscribes to the merged event stream of every agent (and the session's own notes); returns the unsubscribe. */
  onEvent(listener: (e: AgentEvent) => void): () => void;
  /** Subscribes to agents that stop answering; returns the unsubscribe. */
  onAgentDown(listener: (d: AgentDown) => void): () => void;
  /** What every answering agent holds. */
  allStates(): Promise<LabStates>;
  /** The radios of a mobile node. */
  radios(mn: string): Promise<Radio[]>;
  /** Access routers a mobile node is attached to now. */
  attachedTo(mn: string): Promise<string[]>;
  /** Brings the mobile node's radio for `ar` up. */
  attach(mn: string, ar: string): Promise<void>;
  /** Detaches from one access router, or from all. */
  detach(mn: string, ar?: string): Promise<void>;
  /** Moves the mobile node to `to` (break before make unless `opts` says otherwise). */
  handover(mn: string, to: string, opts?: HandoverOptions): Promise<{ from: string[]; to: string }>;
  /** Starts a flow: receiver first, then sender. */
  startFlow(f: FlowStart): Promise<FlowStarted>;
  /** Stops a flow at both ends. */
  stopFlow(f: { id: string; from: string; to: string; kind?: FlowSpec['kind'] }): Promise<unknown>;
  /** Whether the lab still exists (false once it was destroyed under the TUI). */
  present(): Promise<boolean>;
}
