import { mkdir } from 'node:fs/promises';
import { monoMs } from '../shared/clock.js';
import type { AgentConfig, MobilityConfig, WireConfig } from '../shared/control/agent-config.js';
import { ROLE_OPS, type AgentRequest, type Hello, type OpResults, type RequestOf, type RoleOp } from '../shared/control/messages.js';
import type { AgentState, RoleStates } from '../shared/control/role-state.js';
import type { AgentContext, AnyRole } from './context.js';
import { ControlServer } from './control/server.js';
import { Domain } from './domain.js';
import { EventBus } from './events.js';
import { FlowManager } from './flows/flow-manager.js';
import type { FlowThread } from './flows/flow-thread.js';
import type { NodeIo } from './io/node-io.js';
import { Kernel } from './kernel/kernel.js';
import { createRoles } from './roles/registry.js';
import { Signalling } from './signalling/transport.js';
import { Timers } from './timers.js';

export const AGENT_VERSION = '0.1.0';

export interface NodeAgentOptions {
  lab: string;
  node: string;
  /** The node's control socket (JSON lines, docs/protocol.md). */
  socket: string;
  /** Its event log (JSON lines). */
  log?: string;
  /** How the agent reaches the node: from inside it, or entered from a host serving many nodes. */
  io: NodeIo;
  /** The agent host's flow thread (UDP flows' packets off the signalling thread); none: flows run on the agent's thread. */
  flowThread?: FlowThread;
  /** The lab's mobility configuration a `configure` names by reference (agent host: mobility.put). */
  mobility?: (ref: string) => MobilityConfig | undefined;
}

/**
 * The agent of one node: the control channel comes up first (the ready
 * handshake), then `configure` gives it its roles; it signals, programs the
 * kernel, and reports everything as events. It never forwards packets. A
 * process runs one of these for its own node, or many (agent/host.ts).
 */
export class NodeAgent {
  readonly events: EventBus;
  private readonly server: ControlServer;
  private readonly started = monoMs();
  private config: AgentConfig | undefined;
  private kernel: Kernel | undefined;
  private signalling: Signalling | undefined;
  private timers: Timers | undefined;
  private roles: AnyRole[] = [];
  private flows: FlowManager | undefined;
  private stopped = false;

  constructor(private readonly opts: NodeAgentOptions) {
    this.events = new EventBus(opts.node, opts.log, { deferred: true });
    this.server = new ControlServer(
      opts.socket,
      this.events,
      () => this.hello(),
      (req) => this.handle(req),
    );
  }

  get node(): string {
    return this.opts.node;
  }

  async start(): Promise<void> {
    await this.server.listen();
    this.events.emit('agent.ready', { pid: process.pid, version: AGENT_VERSION, startupMs: monoMs() - this.started });
  }

  private hello(): Hello {
    return { node: this.opts.node, version: AGENT_VERSION, pid: process.pid, t: monoMs(), configured: this.config !== undefined };
  }

  /** Called when the node agent wants its process to end (`shutdown`). */
  onShutdown: (code: number) => void = () => undefined;

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
      case 'handover.prepare':
        return this.roleOperation('handover.prepare', req);
      case 'release':
        return this.roleOperation('release', req);
      case 'shutdown':
        setTimeout(() => this.onShutdown(0), 10);
        return { bye: true };
      default:
        throw new Error(`unknown op ${(req as { op: string }).op}`);
    }
  }

  /** Hands an operation to the role that declares it; a node without that role refuses it. */
  private roleOperation<O extends RoleOp>(op: O, req: RequestOf<O>): Promise<OpResults[O]> {
    for (const role of this.roles) {
      const handler = role.operations?.[op];
      if (handler) return handler(req);
    }
    const role = ROLE_OPS[op];
    throw new Error(
      `${this.opts.node} is not ${role === 'ar' ? 'an access router' : role === 'mn' ? 'a mobile node' : `a node with role ${role}`} (${op} needs role ${role})`,
    );
  }

  private requireFlows(): FlowManager {
    if (!this.flows) throw new Error('not configured yet');
    return this.flows;
  }

  /** Configures the agent from a configuration it read itself (`--config`: a node with no orchestrator beside it, as in Kubernetes). */
  configureWith(config: AgentConfig): Promise<unknown> {
    return this.configure(config);
  }

  private async configure(wire: WireConfig): Promise<unknown> {
    if (this.config) throw new Error('already configured');
    const mobility = 'ref' in wire.mobility ? this.opts.mobility?.(wire.mobility.ref) : wire.mobility;
    if (!mobility) throw new Error(`configure names mobility configuration ${'ref' in wire.mobility ? wire.mobility.ref : ''}, which this agent was not given`);
    const config: AgentConfig = { ...wire, mobility };
    if (config.node !== this.opts.node) throw new Error(`configuration for ${config.node} sent to ${this.opts.node}`);
    this.config = config;
    const t0 = monoMs();
    const { io } = this.opts;
    await mkdir(config.workDir, { recursive: true });
    const kernel = new Kernel(this.events, io.runner, io.netlink);
    const signalling = new Signalling(this.events, { spi: config.spi, key: Uint8Array.from(Buffer.from(config.key, 'base64')) }, io.sockets);
    const timers = new Timers();
    this.kernel = kernel;
    this.signalling = signalling;
    this.timers = timers;
    const carrierListeners: ((iface: string, carrier: boolean) => void)[] = [];
    const ctx: AgentContext = {
      config,
      domain: new Domain(config),
      events: this.events,
      kernel,
      signalling,
      exec: io.runner,
      onCarrier: (l) => void carrierListeners.push(l),
      onAddressChange: (l) => io.links.onAddressChange(l),
      timers,
    };
    if (config.address) {
      await signalling.listen(config.address);
      signalling.warmUp();
    }
    this.roles = createRoles(ctx);
    for (const r of this.roles) await r.start();
    this.flows = new FlowManager(ctx, { runner: io.runner, sockets: io.sockets, thread: this.opts.flowThread });
    const watched = new Set([...config.access.map((a) => a.iface), ...config.radios.map((r) => r.iface)]);
    await io.links.watchCarrier(watched, (iface, carrier) => {
      for (const l of carrierListeners) l(iface, carrier);
    });
    this.events.emit('agent.configured', { roles: config.roles, ms: monoMs() - t0, tunnelDriver: config.tunnelDriver });
    return { roles: this.roles.map((r) => r.name) };
  }

  state(): AgentState {
    const roles: RoleStates = {};
    for (const r of this.roles) Object.assign(roles, { [r.name]: r.state() });
    return {
      node: this.opts.node,
      pid: process.pid,
      version: AGENT_VERSION,
      configured: this.config !== undefined,
      uptimeMs: Math.round(monoMs() - this.started),
      rssBytes: process.memoryUsage().rss,
      signalling: this.signalling?.snapshot() ?? null,
      kernelLines: this.kernel?.applied ?? 0,
      kernelNetlinkLines: this.kernel?.appliedOverNetlink ?? 0,
      roles,
      flows: this.flows?.list() ?? [],
    };
  }

  /** Stops what the node's roles run and closes its sockets; the process goes on (a host serves other nodes). */
  async stop(code: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.events.emit('agent.stopping', { code });
    this.opts.io.links.stop();
    await this.flows?.stopAll();
    for (const r of [...this.roles].reverse()) await r.stop().catch(() => undefined);
    this.timers?.clearAll();
    this.signalling?.close();
    this.kernel?.stop();
    await this.server.close();
    await this.events.close();
  }
}
