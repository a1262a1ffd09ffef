import type { AgentConfig } from '../shared/control/agent-config.js';
import type { Domain } from './domain.js';
import type { EventBus } from './events.js';
import type { Kernel } from './kernel/kernel.js';
import type { LinkMonitor } from './kernel/link-monitor.js';
import type { Signalling } from './signalling/transport.js';

/** What every role gets: who the agent is, its kernel, its signalling, its events. */
export interface AgentContext {
  config: AgentConfig;
  domain: Domain;
  events: EventBus;
  kernel: Kernel;
  signalling: Signalling;
  /** Carrier changes on access links (AR) or radios (MN). Roles subscribe through `onCarrier`. */
  links: LinkMonitor;
  onCarrier(listener: (iface: string, carrier: boolean) => void): void;
  /** Timers that die with the agent. */
  timers: Timers;
}

/** Named timers: setting one replaces the previous timer of that name. */
export class Timers {
  private readonly map = new Map<string, NodeJS.Timeout>();

  set(name: string, ms: number, fn: () => void): void {
    this.clear(name);
    const t = setTimeout(() => {
      this.map.delete(name);
      fn();
    }, ms);
    t.unref?.();
    this.map.set(name, t);
  }

  clear(name: string): void {
    const t = this.map.get(name);
    if (t) clearTimeout(t);
    this.map.delete(name);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  clearAll(): void {
    for (const t of this.map.values()) clearTimeout(t);
    this.map.clear();
  }
}

/** One logical function the agent plays (STYLE.md #3: chosen from a registry). */
export interface Role {
  readonly name: string;
  /** Registers handlers, installs what the role needs in the kernel. */
  start(): Promise<void>;
  /** Undoes what the role owns that would outlive the agent (processes). */
  stop(): Promise<void>;
  /** A snapshot for `state` (inspect, the TUI). */
  state(): Record<string, unknown>;
}
