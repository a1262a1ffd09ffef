import type { AgentConfig } from '../shared/control/agent-config.js';
import type { RoleOperations } from '../shared/control/messages.js';
import type { RoleStateMap } from '../shared/control/role-state.js';
import type { RoleName } from '../shared/control/roles.js';
import type { Domain } from './domain.js';
import type { EventBus } from './events.js';
import type { KernelPort } from './kernel/kernel.js';
import type { SignallingPort } from './signalling/transport.js';
import type { Timers } from './timers.js';
import type { CommandRunner } from './util/process.js';

/**
 * What every role of a node gets: who the node is, its kernel, its
 * signalling, how to run programs in it, its events and timers. Everything
 * that touches the outside is a port, so the roles' procedures run in unit
 * tests against fakes (test/support/agent-fakes.ts).
 */
export interface AgentContext {
  config: AgentConfig;
  domain: Domain;
  events: EventBus;
  kernel: KernelPort;
  signalling: SignallingPort;
  /** Runs programs in the node (radvd, tcpdump, ip monitors, ss). */
  exec: CommandRunner;
  /** Carrier changes on access links (AR) or radios (MN). */
  onCarrier(listener: (iface: string, carrier: boolean) => void): void;
  /** Any address added, changed or removed in the node (the MN watches its home addresses). */
  onAddressChange(listener: () => void): void;
  /** Timers that die with the agent. */
  timers: Timers;
}

/** One logical function the node plays (draft-tu section 3), made by the role registry. */
export interface Role<R extends RoleName = RoleName> {
  readonly name: R;
  /** Registers handlers, installs what the role needs in the kernel. */
  start(): Promise<void>;
  /** Undoes what the role owns that would outlive the agent (processes). */
  stop(): Promise<void>;
  /** A snapshot for `state` (inspect, the TUI): the contract's type for this role. */
  state(): RoleStateMap[R];
  /** Control operations this role handles (the agent routes them here; shared/control/messages.ts: ROLE_OPS). */
  readonly operations?: RoleOperations;
}

/** Any role. */
export type AnyRole = { [R in RoleName]: Role<R> }[RoleName];
