import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentConfigFor } from '../../cli/agents/agent-config.js';
import { parseTopology } from '../../cli/plan/load.js';
import type { Plan } from '../../cli/plan/types.js';
import type { AgentConfig } from '../../shared/control/agent-config.js';
import type { AgentEvent, EventKind, EventOf } from '../../shared/control/events.js';
import type { MhMessage } from '../../shared/protocol/index.js';
import type { RoleStateMap } from '../../shared/control/role-state.js';
import type { RoleName } from '../../shared/control/roles.js';
import { summarize } from '../../shared/protocol/summary.js';
import { canonical } from '../../shared/ipv6.js';
import type { AgentContext, AnyRole } from '../../agent/context.js';
import { Domain } from '../../agent/domain.js';
import { EventBus } from '../../agent/events.js';
import type { KernelFailure, KernelPort } from '../../agent/kernel/kernel.js';
import { createRoles } from '../../agent/roles/registry.js';
import type { Handler, Inbound, SignallingPort } from '../../agent/signalling/transport.js';
import { Timers } from '../../agent/timers.js';
import type { CommandOutput, CommandRunner, LineProcess, PipeProcess } from '../../agent/util/process.js';

/**
 * Fakes for the agent's ports, so role procedures run in unit tests with no
 * kernel, no sockets and no processes: a kernel that records every `ip`
 * line, a command runner that starts nothing, and a signalling bus that
 * carries Mobility Header messages between the real roles of several nodes
 * in this process (the signalling codec and its authentication have their
 * own tests; here the procedures are under test).
 */

/** Records the `ip -batch` lines a node's roles apply; `reads` answers `ip -j` queries. */
export class FakeKernel implements KernelPort {
  readonly lines: string[] = [];
  readonly reads = new Map<string, unknown[]>();
  applied = 0;

  async change(lines: readonly string[]): Promise<KernelFailure[]> {
    this.lines.push(...lines);
    this.applied += lines.length;
    return [];
  }

  async read<T>(args: readonly string[]): Promise<T[]> {
    return (this.reads.get(args.join(' ')) ?? []) as T[];
  }

  stop(): void {}

  /** Lines applied that match `re`. */
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}

/** Starts nothing: every command ends at once with no output; `argvs` lists what was asked, `output` feeds a line process. */
export class FakeRunner implements CommandRunner {
  readonly argvs: string[][] = [];
  private readonly listeners: { argv: string[]; onLine: (line: string) => void; killed: boolean }[] = [];

  async run(argv: readonly string[]): Promise<CommandOutput> {
    this.argvs.push([...argv]);
    return { exitCode: 1, signal: null, stdout: '', stderr: '', timedOut: false };
  }

  lines(argv: readonly string[], onLine: (line: string) => void): LineProcess {
    this.argvs.push([...argv]);
    const entry = { argv: [...argv], onLine, killed: false };
    this.listeners.push(entry);
    const child: LineProcess['child'] = { pid: undefined, stderr: null, exited: false };
    return { child, done: new Promise(() => undefined), kill: () => void (entry.killed = true) };
  }

  /** Writes `line` to the newest live line process whose program is `program` (tcpdump, ip monitor...). */
  output(program: string, line: string): void {
    const target = [...this.listeners].reverse().find((l) => l.argv[0] === program && !l.killed);
    if (!target) throw new Error(`no ${program} running (ran: ${this.argvs.map((a) => a[0]).join(', ')})`);
    target.onLine(line);
  }

  pipe(argv: readonly string[]): PipeProcess {
    throw new Error(`FakeRunner cannot pipe ${argv.join(' ')}: use FakeKernel`);
  }
}

/** A message on the fake bus, as a test looks at it afterwards. */
export interface BusMessage {
  from: string;
  to: string;
  /** Node names of both ends (addresses when unknown). */
  fromNode: string;
  toNode: string;
  msg: string;
  message: MhMessage;
}

/** Carries requests between the nodes' signalling endpoints by address, in this process. */
export class SignallingBus {
  /** Listening endpoints by address (link-local ones with the interface they listen on: the scope a receiver sees). */
  private readonly endpoints = new Map<string, { endpoint: BusEndpoint; scope?: string }>();
  readonly log: BusMessage[] = [];
  /** Addresses that drop every request (a node that does not answer). */
  readonly silent = new Set<string>();

  constructor(private readonly nodeOf: (address: string) => string | undefined) {}

  endpoint(node: string): BusEndpoint {
    return new BusEndpoint(this, node);
  }

  bind(address: string, endpoint: BusEndpoint, scope?: string): void {
    this.endpoints.set(address, { endpoint, ...(scope ? { scope } : {}) });
  }

  /** Delivers a request to the endpoint listening on `to` and answers its reply. */
  async carry(message: MhMessage, from: string, to: string): Promise<Inbound> {
    const dst = canonical(to.split('%')[0] as string);
    const name = (a: string) => this.nodeOf(a) ?? a;
    this.log.push({ from, to: dst, fromNode: name(from), toNode: name(dst), msg: summarize(message).msg, message });
    await Promise.resolve();
    const target = this.endpoints.get(dst);
    if (!target || this.silent.has(dst)) throw new Error(`no answer from ${dst}`);
    const reply = await target.endpoint.handle({ message, from, ...(target.scope ? { scope: target.scope } : {}) });
    if (!reply) throw new Error(`no answer from ${dst}`);
    const answered = { ...reply, sequence: message.sequence };
    this.log.push({ from: dst, to: from, fromNode: name(dst), toNode: name(from), msg: summarize(answered).msg, message: answered });
    return { message: answered, from: dst };
  }

  /** Messages of `msg` (PBU, HI, LMQ...) from one node to another, in order. */
  between(msg: string, fromNode?: string, toNode?: string): BusMessage[] {
    return this.log.filter((m) => m.msg === msg && (fromNode === undefined || m.fromNode === fromNode) && (toNode === undefined || m.toNode === toNode));
  }
}

/** One node's signalling on the fake bus. */
export class BusEndpoint implements SignallingPort {
  private readonly handlers: { match: (m: MhMessage) => boolean; handle: Handler }[] = [];
  private address = '::';
  /** Link-local addresses this endpoint listens on, by interface (a request on a link goes out from there). */
  private readonly linkLocal = new Map<string, string>();

  constructor(
    private readonly bus: SignallingBus,
    readonly node: string,
  ) {}

  on(match: (m: MhMessage) => boolean, handle: Handler): void {
    this.handlers.push({ match, handle });
  }

  async listen(address: string): Promise<void> {
    const [bare, scope] = address.split('%') as [string, string | undefined];
    if (scope) this.linkLocal.set(scope, canonical(bare));
    else this.address = canonical(bare);
    this.bus.bind(canonical(bare), this, scope);
  }

  request(message: MhMessage, to: string): Promise<Inbound> {
    const scope = to.split('%')[1];
    return this.bus.carry(message, (scope && this.linkLocal.get(scope)) || this.address, to);
  }

  async handle(m: Inbound): Promise<MhMessage | undefined> {
    const h = this.handlers.find((x) => x.match(m.message));
    return h ? h.handle(m) : undefined;
  }
}

/** A node of a fake lab: its real roles on fake ports. */
export interface FakeNode {
  name: string;
  config: AgentConfig;
  ctx: AgentContext;
  kernel: FakeKernel;
  runner: FakeRunner;
  roles: AnyRole[];
  events: AgentEvent[];
  /** Tells the node's roles that `iface` gained or lost carrier. */
  carrier(iface: string, up: boolean): void;
  /** Tells the node's roles that an address was added, changed or removed (what the link monitor reports). */
  addressChanged(): void;
}

/**
 * The agents of a topology, each with its real roles on fake ports and all
 * joined by one signalling bus: enough to run attachments, handovers and
 * releases as procedures and look at what each node did.
 */
export class FakeLab {
  readonly plan: Plan;
  readonly bus: SignallingBus;
  readonly nodes = new Map<string, FakeNode>();

  private constructor(plan: Plan) {
    this.plan = plan;
    const byAddress = new Map<string, string>();
    for (const n of plan.nodes) if (n.loopback) byAddress.set(canonical(n.loopback), n.name);
    this.bus = new SignallingBus((a) => byAddress.get(canonical(a.split('%')[0] as string)));
  }

  /** Builds the agents of a topology file (relative to the repository) with these mobility overrides. */
  static async start(topology: string, opts: { mobility?: Record<string, unknown>; nodes?: string[] } = {}): Promise<FakeLab> {
    const { readFile } = await import('node:fs/promises');
    const file = path.resolve(import.meta.dirname, '../..', topology);
    const { plan } = parseTopology(file, await readFile(file, 'utf8'), { lab: 'fake', ...(opts.mobility ? { mobility: opts.mobility } : {}) });
    const lab = new FakeLab(plan);
    const key = { key: Buffer.alloc(32, 1).toString('base64'), spi: 300 };
    const workRoot = mkdtempSync(path.join(tmpdir(), 'dmmlab-fake-'));
    for (const n of plan.nodes.filter((x) => x.agent && (!opts.nodes || opts.nodes.includes(x.name)))) {
      const config = { ...agentConfigFor(plan, n, 'seg6', key), workDir: path.join(workRoot, n.name) };
      const { mkdirSync } = await import('node:fs');
      mkdirSync(config.workDir, { recursive: true });
      const events: AgentEvent[] = [];
      const bus = new EventBus(n.name, undefined);
      bus.subscribe((e) => events.push(e));
      const kernel = new FakeKernel();
      const runner = new FakeRunner();
      const listeners: ((iface: string, carrier: boolean) => void)[] = [];
      const addressListeners: (() => void)[] = [];
      const signalling = lab.bus.endpoint(n.name);
      const ctx: AgentContext = {
        config,
        domain: new Domain(config),
        events: bus,
        kernel,
        signalling,
        exec: runner,
        onCarrier: (l) => void listeners.push(l),
        onAddressChange: (l) => void addressListeners.push(l),
        timers: new Timers(),
      };
      if (config.address) await signalling.listen(config.address);
      const roles = createRoles(ctx);
      lab.nodes.set(n.name, {
        name: n.name,
        config,
        ctx,
        kernel,
        runner,
        roles,
        events,
        carrier: (iface, up) => listeners.forEach((l) => l(iface, up)),
        addressChanged: () => addressListeners.forEach((l) => l()),
      });
    }
    for (const node of lab.nodes.values()) for (const r of node.roles) await r.start();
    return lab;
  }

  node(name: string): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no fake node ${name}`);
    return n;
  }

  /** A role's state on a node. */
  state<R extends RoleName>(node: string, role: R): RoleStateMap[R] {
    const r = this.node(node).roles.find((x) => x.name === role);
    if (!r) throw new Error(`${node} has no role ${role}`);
    return r.state() as RoleStateMap[R];
  }

  /** Waits until node `node` emitted an event of `kind` accepted by `pred` (procedures run asynchronously). */
  async event<K extends EventKind>(node: string, kind: K, pred: (e: EventOf<K>) => boolean = () => true, timeoutMs = 2000): Promise<EventOf<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.node(node).events.find((x): x is EventOf<K> => x.kind === kind && pred(x as EventOf<K>));
      if (e) return e;
      if (Date.now() > deadline)
        throw new Error(
          `${node} emitted no ${kind} within ${timeoutMs} ms (it emitted: ${this.node(node)
            .events.map((x) => x.kind)
            .join(', ')})`,
        );
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** The access interface of `ar` towards mobile node `mn` (named after it). */
  accessIface(ar: string, mn: string): string {
    const i = this.plan.nodes.find((n) => n.name === ar)?.interfaces.find((x) => x.kind === 'access' && x.peer.node === mn);
    if (!i) throw new Error(`${ar} has no access link to ${mn}`);
    return i.name;
  }

  /** Mobile node `mn` comes up on `ar` (the access router sees carrier). */
  attach(mn: string, ar: string): void {
    this.node(ar).carrier(this.accessIface(ar, mn), true);
  }

  /** Mobile node `mn` leaves `ar`. */
  detach(mn: string, ar: string): void {
    this.node(ar).carrier(this.accessIface(ar, mn), false);
  }

  /** Moves `mn` from one access router to another (break before make). */
  handover(mn: string, from: string, to: string): void {
    this.detach(mn, from);
    this.attach(mn, to);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) {
      for (const r of n.roles) await r.stop();
      n.ctx.timers.clearAll();
    }
  }
}

/** Resolves once `cond` holds (checked every 5 ms); throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}
