import { chmodSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { jsonLines } from './control/json-lines.js';
import { monoMs } from '../shared/clock.js';
import type { MobilityConfig } from '../shared/control/agent-config.js';
import { hostRequestSchema, type HostHello, type HostRequest, type HostResults } from '../shared/control/host-messages.js';
import { namespaceSpawner } from './io/netns-helper.js';
import { netnsIo } from './io/netns-io.js';
import { FlowThread } from './flows/flow-thread.js';
import { commandRunner } from './util/process.js';
import { SharedLinkEvents } from './io/shared-link-events.js';
import { AGENT_VERSION, NodeAgent } from './node-agent.js';

/**
 * One process serving many nodes of a lab (the netns runtime's way; see
 * docs/architecture.md, "Node cost"). Each node gets a NodeAgent of its own
 * (its control socket, event log, roles, sockets opened inside its namespace),
 * so the orchestrator speaks to it exactly as to an agent running in the node;
 * what they share is the process, the JavaScript runtime, and one link monitor.
 */
export class AgentHost {
  private readonly agents = new Map<string, NodeAgent>();
  private readonly adding = new Map<string, Promise<HostResults['node.add']>>();
  // Programs of the host itself (the shared monitor) start in its own namespace, without a fork either.
  private readonly links = new SharedLinkEvents(commandRunner(namespaceSpawner(`/proc/${process.pid}/ns/net`)), (why) =>
    process.stderr.write(`${new Date().toISOString()} ${why}\n`),
  );
  private server: net.Server | undefined;
  /** Mobility configurations by reference: one per lab, shared by every node's configuration (and Domain). */
  private readonly mobility = new Map<string, MobilityConfig>();
  private stopping = false;

  /** UDP flows' packets, on a thread of their own (started with the first flow), off the signalling's thread. */
  private readonly flowThread: FlowThread | undefined;

  /** `flowThreadScript`: the flow thread's bundle (none: flows run on this thread, as `DMMLAB_FLOW_THREAD=off` asks too). */
  constructor(private readonly opts: { lab: string; socket: string; flowThreadScript?: URL }) {
    const script = process.env.DMMLAB_FLOW_THREAD === 'off' ? undefined : opts.flowThreadScript;
    this.flowThread = script ? new FlowThread(script) : undefined;
  }

  async listen(): Promise<void> {
    try {
      unlinkSync(this.opts.socket);
    } catch {
      // no stale socket
    }
    this.server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.socket, () => resolve());
    });
    chmodSync(this.opts.socket, 0o600);
  }

  private accept(sock: net.Socket): void {
    const send: (o: unknown) => void = jsonLines(sock, (line) => void this.onLine(line, send));
    const hello: HostHello = { host: true, lab: this.opts.lab, version: AGENT_VERSION, pid: process.pid };
    send({ hello });
    sock.on('error', () => undefined);
  }

  private async onLine(line: string, send: (o: unknown) => void): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      send({ id: -1, ok: false, error: 'not JSON' });
      return;
    }
    const parsed = hostRequestSchema.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
      process.stderr.write(`agent host: malformed request: ${why}\n`);
      send({ id, ok: false, error: `malformed request: ${why}` });
      return;
    }
    try {
      send({ id, ok: true, result: await this.handle(parsed.data) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // The host's output is what `dmmlab` quotes when a node's agent did not come up.
      process.stderr.write(`agent host: ${parsed.data.op}${'node' in parsed.data ? ` ${parsed.data.node}` : ''}: ${message}\n`);
      send({ id, ok: false, error: message });
    }
  }

  private handle(req: HostRequest): Promise<HostResults[HostRequest['op']]> {
    switch (req.op) {
      case 'node.add':
        return this.add(req);
      case 'node.remove':
        return this.remove(req.node).then((removed) => ({ node: req.node, removed }));
      case 'mobility.put':
        this.mobility.set(req.ref, req.mobility);
        return Promise.resolve({ ref: req.ref });
      case 'status': {
        const m = process.memoryUsage();
        return Promise.resolve({ pid: process.pid, nodes: [...this.agents.keys()], rssBytes: m.rss, heapUsedBytes: m.heapUsed });
      }
    }
  }

  /** Serves a node (once: a second add of the same node answers with the first). */
  private add(req: Extract<HostRequest, { op: 'node.add' }>): Promise<HostResults['node.add']> {
    if (this.stopping) return Promise.reject(new Error('the agent host is stopping'));
    const known = this.adding.get(req.node);
    if (known) return known;
    const t0 = monoMs();
    const started = (async () => {
      const agent = new NodeAgent({
        lab: this.opts.lab,
        node: req.node,
        socket: req.socket,
        log: req.log,
        io: netnsIo(req.netns, this.links),
        flowThread: this.flowThread,
        mobility: (ref) => this.mobility.get(ref),
      });
      agent.onShutdown = () => void this.remove(req.node);
      await agent.start();
      this.agents.set(req.node, agent);
      return { node: req.node, pid: process.pid, startupMs: monoMs() - t0 };
    })();
    this.adding.set(req.node, started);
    started.catch(() => this.adding.delete(req.node));
    return started;
  }

  private async remove(node: string): Promise<boolean> {
    const agent = this.agents.get(node);
    if (!agent) return false;
    this.agents.delete(node);
    this.adding.delete(node);
    await agent.stop(0);
    return true;
  }

  /** Tells every node that the host failed (their event logs keep it), for `dmmlab` to report per node. */
  crashed(message: string): void {
    for (const a of this.agents.values()) a.events.emit('agent.crashed', { message });
  }

  /** Stops every node's agent, then the shared monitor and the host socket. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all([...this.agents.values()].map((a) => a.stop(0).catch(() => undefined)));
    this.agents.clear();
    this.links.stop();
    await this.flowThread?.stop();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    try {
      unlinkSync(this.opts.socket);
    } catch {
      // already gone
    }
  }
}
