import { mkdir } from 'node:fs/promises';
import { monoMs } from '../shared/clock.js';
import type { AgentConfig } from '../shared/control/agent-config.js';
import type { AgentRequest } from '../shared/control/messages.js';
import { Timers, type AgentContext, type Role } from './context.js';
import { ControlServer } from './control/server.js';
import { Domain } from './domain.js';
import { EventBus } from './events.js';
import { FlowManager } from './flows/flow-manager.js';
import { Kernel } from './kernel/kernel.js';
import { LinkMonitor } from './kernel/link-monitor.js';
import { createRoles } from './roles/registry.js';
import type { MnRole } from './roles/mn-role.js';
import type { ArRole } from './roles/ar-role.js';
import { Signalling } from './signalling/transport.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  lab: string;
  node: string;
  socket: string;
  log?: string;
}

/**
 * One agent per node: the control channel comes up first (the ready
 * handshake), then `configure` gives it its roles; it signals, programs the
 * kernel, and reports everything as events. It never forwards packets.
 */
export class Agent {
  readonly events: EventBus;
  private readonly server: ControlServer;
  private readonly started = monoMs();
  private config: AgentConfig | undefined;
  private ctx: AgentContext | undefined;
  private roles: Role[] = [];
  private flows: FlowManager | undefined;
  private links: LinkMonitor | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.events = new EventBus(opts.node, opts.log);
    this.server = new ControlServer(
      opts.socket,
      this.events,
      () => this.hello(),
      (req) => this.handle(req),
    );
  }

  async start(): Promise<void> {
    await this.server.listen();
    this.events.emit('agent.ready', { pid: process.pid, version: AGENT_VERSION, startupMs: monoMs() - this.started });
  }

  private hello(): Record<string, unknown> {
    return { node: this.opts.node, version: AGENT_VERSION, pid: process.pid, t: monoMs(), configured: this.config !== undefined };
  }

  private async handle(req: AgentRequest): Promise<unknown> {
    switch (req.op) {
      case 'configure':
        return this.configure(req.config);
      case 'ping':
        return { t: monoMs() };
      case 'state':
        return this.state();
      case 'flow.start':
        return this.requireFlows().start(req.flow);
      case 'flow.stop':
        return this.requireFlows().stop(req.flowId);
      case 'flow.list':
        return this.requireFlows().list();
      case 'handover.prepare': {
        const ar = this.roles.find((r) => r.name === 'ar') as ArRole | undefined;
        if (!ar) throw new Error(`${this.opts.node} is not an access router`);
        return ar.prepareHandover(req.mn, req.to);
      }
      case 'release': {
        const mn = this.roles.find((r) => r.name === 'mn') as MnRole | undefined;
        if (!mn) throw new Error(`${this.opts.node} is not a mobile node`);
        return mn.release(req.prefix);
      }
      case 'shutdown':
        setTimeout(() => void this.shutdown(0), 10);
        return { bye: true };
      default:
        throw new Error(`unknown op ${(req as { op: string }).op}`);
    }
  }

  private requireFlows(): FlowManager {
    if (!this.flows) throw new Error('not configured yet');
    return this.flows;
  }

  private async configure(config: AgentConfig): Promise<unknown> {
    if (this.config) throw new Error('already configured');
    if (config.node !== this.opts.node) throw new Error(`configuration for ${config.node} sent to ${this.opts.node}`);
    this.config = config;
    const t0 = monoMs();
    await mkdir(config.workDir, { recursive: true });
    const kernel = new Kernel(this.events);
    const signalling = new Signalling(this.events, { spi: config.spi, key: Uint8Array.from(Buffer.from(config.key, 'base64')) });
    const watched = new Set([...config.access.map((a) => a.iface), ...config.radios.map((r) => r.iface)]);
    const carrierListeners: ((iface: string, carrier: boolean) => void)[] = [];
    this.links = new LinkMonitor(watched, ({ iface, carrier }) => {
      for (const l of carrierListeners) l(iface, carrier);
    });
    this.ctx = {
      config,
      domain: new Domain(config),
      events: this.events,
      kernel,
      signalling,
      links: this.links,
      onCarrier: (l) => void carrierListeners.push(l),
      timers: new Timers(),
    };
    if (config.address) {
      await signalling.listen(config.address);
      signalling.warmUp();
    }
    this.roles = createRoles(this.ctx);
    for (const r of this.roles) await r.start();
    this.flows = new FlowManager(this.ctx);
    await this.links.start();
    this.events.emit('agent.configured', { roles: config.roles, ms: monoMs() - t0, tunnelDriver: config.tunnelDriver });
    return { roles: this.roles.map((r) => r.name) };
  }

  state(): Record<string, unknown> {
    const roles: Record<string, unknown> = {};
    for (const r of this.roles) roles[r.name] = r.state();
    return {
      node: this.opts.node,
      pid: process.pid,
      version: AGENT_VERSION,
      configured: this.config !== undefined,
      uptimeMs: Math.round(monoMs() - this.started),
      rssBytes: process.memoryUsage().rss,
      signalling: this.ctx?.signalling.counters ?? null,
      kernelLines: this.ctx?.kernel.applied ?? 0,
      roles,
      flows: this.flows?.list() ?? [],
    };
  }

  async shutdown(code: number): Promise<void> {
    this.events.emit('agent.stopping', { code });
    this.links?.stop();
    await this.flows?.stopAll();
    for (const r of [...this.roles].reverse()) await r.stop().catch(() => undefined);
    this.ctx?.timers.clearAll();
    this.ctx?.signalling.close();
    this.ctx?.kernel.stop();
    await this.server.close();
    await this.events.close();
    process.exit(code);
  }
}
