import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { agentAtDeploy } from '../../shared/control/roles.js';
import type { AgentEvent, EventFields, EventKind, EventOf } from '../../shared/control/events.js';
import type { FlowStarted } from '../../shared/control/flow-report.js';
import type { PrepareResult } from '../../shared/control/messages.js';
import type { AgentState } from '../../shared/control/role-state.js';
import { LabStates } from './lab-states.js';
import type { FlowSpec } from '../../shared/control/flow-spec.js';
import { monoMs } from '../../shared/clock.js';
import { AgentClient } from '../agents/agent-client.js';
import { agentLastWords } from '../agents/last-lines.js';
import { startAgentOnDemand } from '../agents/start-agents.js';
import { DmmlabError } from '../errors.js';
import { setInterfaceParams } from './link-params.js';
import { rebaseInterfaces } from './kernel-baseline.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { Journal, readState } from '../state/journal.js';
import type { LabState } from '../state/lab-state.js';
import { agentSocket } from '../state/paths.js';
import type { LinkParams } from '../topology/schema.js';
import { mapLimit, type CommandResult } from '../util/exec.js';
import { needsNetem } from '../links/tc-commands.js';
import { getRuntime } from '../runtime/registry.js';
import type { NodeAccess, Runtime } from '../runtime/runtime.js';

/** An agent that stopped answering: which node, why, and what it said last. */
export interface AgentDown {
  node: string;
  why: string;
  lastLines: string;
}

/** How a mobile node changes access router. */
export interface HandoverOptions {
  /** break-before-make (default): old radio down, `gapMs`, new radio up. make-before-break: new up, wait, old down. */
  mode?: 'break' | 'make';
  gapMs?: number;
  /** make-before-break: how long both radios stay up (default 50 ms). */
  overlapMs?: number;
  /**
   * Predictive (RFC 5949): first tell the current access router where the node
   * is going, as a link-layer trigger would, so that it prepares the new one.
   */
  predictive?: boolean;
}

export interface SessionEvents {
  event: [AgentEvent];
  'agent-down': [AgentDown];
}

/**
 * A live connection to a deployed lab: every agent's event stream merged into
 * one, agent state on demand, and the actions people and scenarios take
 * (attach, detach, handover, flows, link changes). `dmmlab run` and
 * `dmmlab tui` both drive labs through this one API; neither holds any
 * mobility logic.
 */
export class LabSession extends EventEmitter<SessionEvents> implements AsyncDisposable {
  private readonly clients = new Map<string, AgentClient>();
  private readonly down = new Map<string, AgentDown>();
  /** Events the agents had already emitted when the session opened (`history` of them per agent), in time order. */
  readonly backlog: AgentEvent[] = [];
  /** Agent process ids, from their hello. */
  private readonly pids = new Map<string, number>();
  private opened = false;
  private closing = false;

  private constructor(
    readonly state: LabState,
    readonly plan: Plan,
    /** The runtime the lab runs on: the way into its nodes. */
    readonly runtime: Runtime,
  ) {
    super();
  }

  get lab(): string {
    return this.plan.lab;
  }

  /**
   * Opens a session on a running lab: connects to every agent and subscribes
   * to its events. Nodes whose agent starts on demand (ROLE_INFO.agentAtDeploy)
   * are connected if it has started; `ensureAgent` starts it.
   */
  static async open(lab: string, opts: { history?: number; connectTimeoutMs?: number } = {}): Promise<LabSession> {
    const state = await readState(lab);
    const s = new LabSession(state, state.plan as Plan, await getRuntime(state.runtime));
    await mapLimit(
      s.plan.nodes.filter((n) => n.agent && (agentAtDeploy(n.roles) || existsSync(agentSocket(lab, n.name)))),
      16,
      async (n) => {
        try {
          await s.connect(n.name, opts.connectTimeoutMs ?? 3000, opts.history ?? 0);
        } catch (e) {
          await s.lost(n.name, e instanceof Error ? e.message : String(e));
        }
      },
    );
    s.backlog.sort((a, b) => a.t - b.t);
    s.opened = true;
    return s;
  }

  private async connect(node: string, timeoutMs: number, history: number): Promise<AgentClient> {
    const c = await AgentClient.connect(node, agentSocket(this.lab, node), timeoutMs);
    this.clients.set(node, c);
    this.pids.set(node, c.hello.pid);
    c.onClose((why) => void this.lost(node, why));
    await c.subscribe((e) => (this.opened ? this.emit('event', e) : this.backlog.push(e)), history);
    return c;
  }

  private readonly starting = new Map<string, Promise<AgentClient>>();
  private journal: Promise<Journal> | undefined;

  /**
   * The agent of `name`, started now if the node runs none yet (a plain router
   * or correspondent node at the end of a flow); its events join the stream.
   */
  async ensureAgent(name: string): Promise<AgentClient> {
    const node = this.node(name);
    const known = this.clients.get(name) ?? (await this.starting.get(name));
    if (known) return known;
    if (this.down.has(name) || agentAtDeploy(node.roles)) return this.client(name);
    const started = (async () => {
      // One journal for the session, so that agents started at once record into the same state.
      this.journal ??= Journal.open(this.lab);
      const journal = await this.journal;
      await startAgentOnDemand(journal.current, this.runtime, node, journal);
      // Its history holds its agent.ready and agent.configured: the stream shows it starting.
      return this.connect(name, 3000, 50);
    })();
    this.starting.set(name, started);
    try {
      return await started;
    } finally {
      this.starting.delete(name);
    }
  }

  private async lost(node: string, why: string): Promise<void> {
    if (this.closing || this.down.has(node)) return;
    const pid = this.pids.get(node);
    // A process killed with SIGKILL closes its sockets before it is a zombie: give it a moment to be seen gone.
    let alive = pid === undefined ? undefined : this.runtime.agentAlive(pid);
    for (let i = 0; alive === true && i < 10; i++) {
      await new Promise((r) => setTimeout(r, 20));
      alive = this.runtime.agentAlive(pid as number);
    }
    if (this.closing || this.down.has(node)) return;
    const gone = alive === false ? `its process ${pid} is gone (${why})` : why;
    const d: AgentDown = { node, why: gone, lastLines: await agentLastWords(this.lab, node) };
    this.down.set(node, d);
    this.clients.delete(node);
    this.emit('agent-down', d);
  }

  /** Agents that are not answering. */
  get deadAgents(): AgentDown[] {
    return [...this.down.values()];
  }

  /** The way into a node of the lab (commands, kernel batches), through its runtime. */
  access(name: string): NodeAccess {
    return this.runtime.access(this.lab, this.node(name));
  }

  /** Runs a command inside a node; resolves with its exit code and output. */
  exec(name: string, argv: readonly string[]): Promise<CommandResult> {
    return this.access(name).run(argv);
  }

  node(name: string): PlanNode {
    const n = this.plan.nodes.find((x) => x.name === name);
    if (!n)
      throw new DmmlabError('E_NODE_NOT_FOUND', `lab ${this.lab} has no node ${name}`, { hint: `nodes: ${this.plan.nodes.map((x) => x.name).join(', ')}` });
    return n;
  }

  client(name: string): AgentClient {
    const c = this.clients.get(name);
    if (!c) {
      const d = this.down.get(name);
      const node = this.node(name);
      const why = d
        ? `is not answering: ${d.why}`
        : !node.agent
          ? 'does not exist (agent: false)'
          : !agentAtDeploy(node.roles)
            ? 'has not started (it starts when a flow needs it)'
            : 'is not answering';
      throw new DmmlabError('E_AGENT', `the agent of ${name} ${why}`);
    }
    return c;
  }

  /** One agent's state (roles, bindings, caches, flows). */
  async agentState(node: string): Promise<AgentState> {
    return this.client(node).request('state', {});
  }

  /** What every answering agent holds (an agent that does not answer is left out). */
  async allStates(): Promise<LabStates> {
    const out: Record<string, AgentState> = {};
    await Promise.all(
      [...this.clients.keys()].map(async (n) => {
        const s = await this.agentState(n).catch(() => undefined);
        if (s) out[n] = s;
      }),
    );
    return new LabStates(out);
  }

  /** The radios of a mobile node: which access router each reaches and whether it is up. */
  async radios(mn: string): Promise<{ iface: string; ar: string; up: boolean }[]> {
    const n = this.node(mn);
    if (!n.roles.includes('mn')) throw new DmmlabError('E_USAGE', `${mn} is not a mobile node`);
    const r = await this.exec(mn, ['ip', '-j', 'link', 'show']);
    const links = r.exitCode === 0 ? (JSON.parse(r.stdout) as { ifname: string; flags?: string[] }[]) : [];
    return n.interfaces
      .filter((i) => i.kind === 'access')
      .map((i) => ({ iface: i.name, ar: i.peer.node, up: links.find((l) => l.ifname === i.name)?.flags?.includes('UP') ?? false }));
  }

  /** Access routers a mobile node is attached to now. */
  async attachedTo(mn: string): Promise<string[]> {
    return (await this.radios(mn)).filter((r) => r.up).map((r) => r.ar);
  }

  private radioTo(mn: string, ar: string): string {
    const i = this.node(mn).interfaces.find((x) => x.kind === 'access' && x.peer.node === ar);
    if (!i)
      throw new DmmlabError(
        'E_USAGE',
        `${mn} has no access link to ${ar} (its cells: ${this.node(mn)
          .interfaces.filter((x) => x.kind === 'access')
          .map((x) => x.peer.node)
          .join(', ')})`,
      );
    return i.name;
  }

  /** Attaches a mobile node to an access router (its radio for that cell comes up). */
  async attach(mn: string, ar: string): Promise<void> {
    await this.radioBatch(mn, [`link set dev ${this.radioTo(mn, ar)} up`]);
    this.note('step.attach', { mn, ar });
  }

  /** Detaches a mobile node from one access router, or from all. */
  async detach(mn: string, ar?: string): Promise<void> {
    const radios = ar ? [this.radioTo(mn, ar)] : (await this.radios(mn)).filter((r) => r.up).map((r) => r.iface);
    await this.radioBatch(
      mn,
      radios.map((r) => `link set dev ${r} down`),
    );
    this.note('step.detach', { mn, ar: ar ?? null });
  }

  /**
   * Moves a mobile node to another access router while traffic runs. Break
   * before make takes the old radio down and the new one up in one kernel batch
   * (with an optional gap between them); make before break brings the new one up first.
   */
  async handover(mn: string, to: string, opts: HandoverOptions = {}): Promise<{ from: string[]; to: string; radioAt: number }> {
    const attached = await this.attachedTo(mn);
    if (attached.includes(to)) {
      throw new DmmlabError(
        'E_USAGE',
        `${mn} is already attached to ${to} (attached: ${attached.join(', ')}); a handover needs a new access router — if an earlier run left it there, redeploy the lab or hand it back first`,
      );
    }
    const from = attached;
    const newRadio = this.radioTo(mn, to);
    const oldRadios = from.map((a) => this.radioTo(mn, a));
    if (opts.predictive) {
      for (const ar of from) {
        const prepared = await this.client(ar)
          .request('handover.prepare', { mn, to }, 2000)
          .catch((e: unknown): PrepareResult & { error: string } => ({ prepared: false, error: e instanceof Error ? e.message : String(e) }));
        this.note('step.handover-prepared', { mn, from: ar, to, ...prepared });
      }
    }
    this.note('step.handover', { mn, from, to, mode: opts.mode ?? 'break', gapMs: opts.gapMs ?? 0, predictive: opts.predictive ?? false });
    const radioAt = monoMs();
    if ((opts.mode ?? 'break') === 'make') {
      await this.radioBatch(mn, [`link set dev ${newRadio} up`]);
      await sleep(opts.overlapMs ?? 50);
      await this.radioBatch(
        mn,
        oldRadios.map((r) => `link set dev ${r} down`),
      );
    } else if (opts.gapMs && opts.gapMs > 0) {
      await this.radioBatch(
        mn,
        oldRadios.map((r) => `link set dev ${r} down`),
      );
      await sleep(opts.gapMs);
      await this.radioBatch(mn, [`link set dev ${newRadio} up`]);
    } else {
      await this.radioBatch(mn, [...oldRadios.map((r) => `link set dev ${r} down`), `link set dev ${newRadio} up`]);
    }
    return { from, to, radioAt };
  }

  /**
   * Applies radio changes (`link set dev R up|down`) on a mobile node. A radio
   * between hosts is a VXLAN link, which has carrier whenever it is up: the
   * access router's end is moved with the node's, at the same time, so that it
   * sees the attachment as it would on a veth (cli/plan/hosts.ts).
   */
  private async radioBatch(mn: string, lines: string[]): Promise<void> {
    const mirrored = new Map<string, string[]>();
    const ifaces = this.node(mn).interfaces;
    for (const line of lines) {
      const m = /^link set dev (\S+) (up|down)$/.exec(line);
      const i = m ? ifaces.find((x) => x.name === m[1] && x.kind === 'access') : undefined;
      if (!m || !i || !this.plan.links.find((l) => l.id === i.link)?.vxlan) continue;
      (mirrored.get(i.peer.node) ?? mirrored.set(i.peer.node, []).get(i.peer.node)!).push(`link set dev ${i.peer.iface} ${m[2]}`);
    }
    const results = await Promise.all([this.access(mn).ipBatch(lines), ...[...mirrored].map(([ar, arLines]) => this.access(ar).ipBatch(arLines))]);
    const failures = results.flat();
    if (failures.length) throw new DmmlabError('E_RUNTIME', `radio change on ${mn} failed: ${failures.map((f) => `${f.command}: ${f.message}`).join('; ')}`);
  }

  /** Brings a wired link down or up (both ends). */
  async setLinkState(a: string, b: string, up: boolean): Promise<void> {
    const [ia, ib] = this.linkEnds(a, b);
    for (const [node, dev] of [
      [a, ia],
      [b, ib],
    ] as const) {
      const failures = await this.access(node).ipBatch([`link set dev ${dev} ${up ? 'up' : 'down'}`]);
      if (failures.length) throw new DmmlabError('E_RUNTIME', `bringing ${node}:${dev} ${up ? 'up' : 'down'} failed: ${failures[0]!.message}`);
    }
    this.note(up ? 'step.link-up' : 'step.link-down', { a, b });
  }

  /**
   * Changes a link's parameters (delay, jitter, loss, rate, mtu) on both ends.
   * Delay, jitter and loss need netem: a kernel without it is refused first.
   */
  async setLinkParams(a: string, b: string, params: LinkParams): Promise<void> {
    const [ia, ib] = this.linkEnds(a, b);
    if (needsNetem(params) && !(await this.runtime.kernelFeatures()).netem) {
      throw new DmmlabError('E_ENV', 'delay, jitter and loss need the sch_netem module, which this kernel does not have (CONFIG_NET_SCH_NETEM)', {
        hint: 'rate limits work without it; for delay and loss run the lab in the VM runner (test/vm/README.md)',
      });
    }
    await setInterfaceParams(this.access(a), ia, params);
    await setInterfaceParams(this.access(b), ib, params);
    // What the scenario asked for is what the clean check holds these interfaces to from now on.
    await rebaseInterfaces(
      this,
      [
        { node: a, iface: ia },
        { node: b, iface: ib },
      ],
      ['qdisc', 'link'],
    );
    this.note('step.link-params', { a, b, params });
  }

  private linkEnds(a: string, b: string): [string, string] {
    const i = this.node(a).interfaces.find((x) => x.peer.node === b);
    if (!i) throw new DmmlabError('E_USAGE', `no link between ${a} and ${b}`);
    return [i.name, i.peer.iface];
  }

  /** Starts a flow: the receiver first, then the sender. Returns what the sender reports (its source address). */
  async startFlow(f: {
    id: string;
    kind: FlowSpec['kind'];
    from: string;
    to: string;
    address?: string;
    source?: string;
    port?: number;
    rate?: number;
    size?: number;
    durationMs?: number;
  }): Promise<FlowStarted> {
    const port = f.port ?? 5000 + (hash(f.id) % 20000);
    const address = f.address ?? (await this.addressOf(f.to));
    const [sender, receiver] = await Promise.all([this.ensureAgent(f.from), f.kind === 'icmp' ? undefined : this.ensureAgent(f.to)]);
    if (receiver) {
      await receiver.request('flow.start', { flow: { id: f.id, kind: f.kind, role: 'receiver', port, ...(f.address ? { address: f.address } : {}) } });
    }
    const result = await sender.request('flow.start', {
      flow: {
        id: f.id,
        kind: f.kind,
        role: 'sender',
        address,
        port,
        ...(f.source ? { source: f.source } : {}),
        ...(f.rate ? { rate: f.rate } : {}),
        ...(f.size ? { size: f.size } : {}),
        ...(f.durationMs ? { durationMs: f.durationMs } : {}),
      },
    });
    this.note('step.flow-start', {
      flow: f.id,
      flowKind: f.kind,
      from: f.from,
      to: f.to,
      source: result.source,
      destination: result.destination,
      port: result.port,
    });
    return result;
  }

  /** Stops a flow at both ends; returns the final stats. */
  async stopFlow(f: { id: string; from: string; to: string; kind?: FlowSpec['kind'] }): Promise<{ sender: unknown; receiver: unknown }> {
    const sender = await this.client(f.from)
      .request('flow.stop', { flowId: f.id })
      .catch((e: unknown) => ({ error: String(e) }));
    await sleep(50);
    const receiver =
      f.kind === 'icmp'
        ? null
        : await this.client(f.to)
            .request('flow.stop', { flowId: f.id })
            .catch((e: unknown) => ({ error: String(e) }));
    this.note('step.flow-stop', { flow: f.id });
    return { sender, receiver };
  }

  /**
   * The address a flow to `node` goes to: a mobile node's preferred home
   * address (the newest, not deprecated), any other node's loopback.
   */
  async addressOf(node: string): Promise<string> {
    const n = this.node(node);
    if (n.loopback) return n.loopback;
    const r = await this.exec(node, ['ip', '-j', '-6', 'address', 'show', 'scope', 'global']);
    const addrs = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; deprecated?: boolean; preferred_life_time?: number }[] }[]).flatMap(
      (l) => l.addr_info ?? [],
    );
    const preferred = addrs.find((a) => !a.deprecated && a.preferred_life_time !== 0) ?? addrs[0];
    if (!preferred) throw new DmmlabError('E_RUNTIME', `${node} has no global address yet (is it attached?)`);
    return preferred.local;
  }

  /** Waits for an event of one of `kinds` that `pred` accepts (or times out with a clear message). */
  waitFor<K extends EventKind>(kinds: readonly K[], pred: (e: EventOf<K>) => boolean, timeoutMs: number, what: string): Promise<EventOf<K>> {
    const wanted = new Set<EventKind>(kinds);
    const isWanted = (e: AgentEvent): e is EventOf<K> => wanted.has(e.kind);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', on);
        reject(new DmmlabError('E_TIMEOUT', `${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (e: AgentEvent) => {
        if (!isWanted(e) || !pred(e)) return;
        clearTimeout(timer);
        this.off('event', on);
        resolve(e);
      };
      this.on('event', on);
    });
  }

  /** An orchestrator-side event on the same stream and clock as the agents' (scenario steps, annotations). */
  note<K extends EventKind>(kind: K, fields: EventFields[K]): AgentEvent {
    const e = { t: monoMs(), node: 'dmmlab', kind, ...fields } as AgentEvent;
    this.emit('event', e);
    return e;
  }

  close(): void {
    this.closing = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}
