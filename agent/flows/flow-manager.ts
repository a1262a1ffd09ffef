import { monoMs } from '../../shared/clock.js';
import type { FlowSpec } from '../../shared/control/flow-spec.js';
import { flowHash } from '../../shared/flow-format.js';
import type { AgentContext } from '../context.js';
import type { FlowStats, LatencySummary, SendMeter } from './flow-stats.js';
import { IcmpEcho } from './icmp-echo.js';
import { TcpReceiver } from './tcp-receiver.js';
import { TcpSender } from './tcp-sender.js';
import { UdpReceiver } from './udp-receiver.js';
import { UdpSender } from './udp-sender.js';

/** How often a running flow reports `flow.stats`. */
export const STATS_INTERVAL_MS = 250;
/** Finished flows remembered for `stop` and `list` (oldest forgotten first). */
const FINISHED_KEPT = 256;
/** TCP without a rate (or rate 0) writes as fast as the window allows, up to this many bytes per second. */
export const TCP_MAX_RATE = 10_000_000;

const DEFAULTS = {
  udp: { rate: 100, size: 100 },
  tcp: { rate: 0, size: 1000 },
  icmp: { rate: 10, size: 56 },
} as const;

/** Addresses of a flow's packets: the sender's, the receiver's, the destination port. */
export interface FlowEndpoints {
  /** Sender's address (a receiver: of the last packet received; null before any). */
  source: string | null;
  /** Receiver's address (a UDP receiver bound to the any address: null, unknown). */
  destination: string | null;
  /** Destination port (null for ICMP). */
  port: number | null;
}

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

/** What `start` answers. */
export interface FlowStarted extends FlowEndpoints {
  flowId: string;
  /** The id in every packet's header: FNV-1a of the flow name. */
  wireId: number;
  kind: FlowSpec['kind'];
  role: FlowSpec['role'];
}

/** A flow's figures: `flow.stats` every 250 ms, `list`, and the final ones from `stop` and `flow.stopped`. */
export interface FlowReport extends FlowStarted {
  state: 'running' | 'stopped' | 'broken';
  elapsedMs: number;
  /** Packets (records, echo requests) sent per second, or received for a receiver, over the last interval. */
  rate: number;
  /** Payload bytes per second, likewise. */
  byteRate: number;
  /** Latency over the last interval (receivers: one-way; ICMP: round trip). */
  latencyMs: LatencySummary | null;
  /** Why a broken flow broke. */
  error?: string;
  /** Counters of the runner: sent, sentBytes, sendErrors, errors, received, lost, duplicates, reordered, lastSeq... */
  [field: string]: unknown;
}

interface Entry {
  spec: FlowSpec;
  wireId: number;
  runner: FlowRunner | undefined;
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'broken';
  startedAt: number;
  endedAt?: number;
  error?: string;
  interval: Record<string, unknown>;
  timers: NodeJS.Timeout[];
  stopping?: Promise<FlowReport>;
  final?: FlowReport;
}

type RunnerFactory = (spec: FlowSpec, wireId: number, hooks: FlowHooks) => Promise<FlowRunner>;

function need<T>(v: T | undefined, what: string, spec: FlowSpec): T {
  if (v === undefined) throw new Error(`a ${spec.kind} ${spec.role} needs ${what}`);
  return v;
}

/** Generators and receivers by kind and role (STYLE.md #3). */
const factories: Record<`${FlowSpec['kind']}-${FlowSpec['role']}`, RunnerFactory> = {
  'udp-sender': (s, wireId, hooks) =>
    UdpSender.open(
      {
        wireId,
        destination: need(s.address, 'an address (the destination)', s),
        port: need(s.port, 'a port', s),
        source: s.source,
        rate: s.rate || DEFAULTS.udp.rate,
        size: s.size ?? DEFAULTS.udp.size,
        durationMs: s.durationMs,
      },
      hooks,
    ),
  'udp-receiver': (s, wireId, hooks) => UdpReceiver.open({ wireId, address: s.address, port: s.port ?? 0 }, hooks),
  'tcp-sender': (s, wireId, hooks) =>
    TcpSender.open(
      {
        wireId,
        destination: need(s.address, 'an address (the destination)', s),
        port: need(s.port, 'a port', s),
        source: s.source,
        rate: Math.min(s.rate || TCP_MAX_RATE, TCP_MAX_RATE),
        size: s.size ?? DEFAULTS.tcp.size,
      },
      hooks,
    ),
  'tcp-receiver': (s, wireId, hooks) => TcpReceiver.open({ wireId, address: s.address, port: s.port ?? 0 }, hooks),
  'icmp-sender': (s, _wireId, hooks) =>
    IcmpEcho.open(
      {
        destination: need(s.address, 'an address (the destination)', s),
        source: s.source,
        rate: s.rate || DEFAULTS.icmp.rate,
        size: s.size ?? DEFAULTS.icmp.size,
      },
      hooks,
    ),
  'icmp-receiver': async () => {
    throw new Error('an icmp flow has no receiver: the destination kernel answers echo requests');
  },
};

/**
 * Traffic flows generated by the agent itself (no iperf): UDP at a packet
 * rate, a long-lived TCP stream, ICMP echo. Flow ids are unique per agent
 * while they run; a finished flow's final figures stay available to `stop`
 * and `list` (the last 256). Reports `flow.started`, `flow.stats` every
 * 250 ms, `flow.behind` (a sender that could not keep its schedule),
 * `flow.error` and `flow.stopped` (events carry the flow's kind as
 * `flowKind`, since `kind` is the event's own).
 */
export class FlowManager {
  private readonly flows = new Map<string, Entry>();

  constructor(private readonly ctx: AgentContext) {}

  /** Starts a flow; rejects when the id runs already or the sockets cannot be opened. */
  async start(spec: FlowSpec): Promise<FlowStarted> {
    const node = this.ctx.config.node;
    const old = this.flows.get(spec.id);
    if (old && (old.state === 'starting' || old.state === 'running' || old.state === 'stopping')) {
      throw new Error(`flow ${spec.id} is already ${old.state} on ${node} (${old.spec.kind} ${old.spec.role})`);
    }
    const e: Entry = { spec, wireId: flowHash(spec.id), runner: undefined, state: 'starting', startedAt: monoMs(), interval: {}, timers: [] };
    this.flows.set(spec.id, e);
    try {
      e.runner = await factories[`${spec.kind}-${spec.role}`](spec, e.wireId, this.hooks(e));
    } catch (err) {
      this.flows.delete(spec.id);
      if (old) this.flows.set(spec.id, old);
      throw new Error(`flow ${spec.id} (${spec.kind} ${spec.role}) on ${node}: ${err instanceof Error ? err.message : String(err)}`);
    }
    e.state = 'running';
    e.startedAt = monoMs();
    this.takeInterval(e);
    const started = this.identity(e);
    this.ctx.events.emit('flow.started', asEventFields(started));
    const stats = setInterval(() => {
      if (e.state !== 'running') return;
      this.takeInterval(e);
      this.ctx.events.emit('flow.stats', asEventFields(this.report(e)));
    }, STATS_INTERVAL_MS);
    stats.unref?.();
    e.timers.push(stats);
    if (spec.durationMs !== undefined && !e.runner.selfTimed) e.timers.push(setTimeout(() => void this.finish(e, 'stopped'), spec.durationMs));
    this.forgetOld();
    return started;
  }

  /** Stops a flow and answers its final figures (those of a flow that already ended, again). */
  async stop(id: string): Promise<FlowReport> {
    const e = this.flows.get(id);
    if (!e) {
      const known = [...this.flows.keys()];
      throw new Error(`no flow ${id} on ${this.ctx.config.node} (${known.length ? `flows: ${known.join(', ')}` : 'no flows'})`);
    }
    if (e.state === 'starting') throw new Error(`flow ${id} on ${this.ctx.config.node} is still starting`);
    return this.finish(e, 'stopped');
  }

  /** Every flow this agent knows: running ones now, finished ones as they ended. */
  list(): FlowReport[] {
    return [...this.flows.values()].filter((e) => e.runner).map((e) => e.final ?? this.report(e));
  }

  /** Stops every running flow (agent shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.flows.values()].filter((e) => e.runner && !e.final).map((e) => this.finish(e, 'stopped').catch(() => undefined)));
  }

  private hooks(e: Entry): FlowHooks {
    return {
      finished: () => setImmediate(() => void this.finish(e, 'stopped')),
      behind: (lagMs) => this.ctx.events.emit('flow.behind', { ...asEventFields(this.identity(e)), lagMs: Math.round(lagMs) }),
      error: (err, fatal, fields = {}) => {
        const code = (err as { code?: unknown }).code;
        this.ctx.events.emit('flow.error', {
          ...asEventFields(this.identity(e)),
          message: err.message,
          ...(typeof code === 'string' ? { code } : {}),
          fatal,
          ...fields,
        });
        if (fatal) {
          e.error ??= err.message;
          setImmediate(() => void this.finish(e, 'broken'));
        }
      },
    };
  }

  private finish(e: Entry, state: 'stopped' | 'broken'): Promise<FlowReport> {
    if (e.final) return Promise.resolve(e.final);
    if (e.stopping) return e.stopping;
    const runner = e.runner;
    if (!runner) return Promise.reject(new Error(`flow ${e.spec.id} did not start`));
    e.state = 'stopping';
    for (const t of e.timers) clearTimeout(t);
    e.timers = [];
    e.stopping = (async () => {
      try {
        await runner.stop();
      } catch (err) {
        this.ctx.events.log('warn', `flow ${e.spec.id}: stopping: ${err instanceof Error ? err.message : String(err)}`);
      }
      e.endedAt = monoMs();
      e.state = e.error ? 'broken' : state;
      this.takeInterval(e);
      const final = this.report(e, true);
      e.final = final;
      this.ctx.events.emit('flow.stopped', asEventFields(final));
      return final;
    })();
    return e.stopping;
  }

  private identity(e: Entry): FlowStarted {
    const ends = e.runner?.endpoints() ?? { source: null, destination: null, port: null };
    return { flowId: e.spec.id, wireId: e.wireId, kind: e.spec.kind, role: e.spec.role, ...ends };
  }

  /** Ends the current stats interval: rates, latency and runner figures since the previous one. */
  private takeInterval(e: Entry): void {
    const r = e.runner;
    if (!r) return;
    const now = monoMs();
    const sent = r.meter?.interval(now);
    const got = r.stats?.interval(now);
    const primary = sent ?? got;
    e.interval = {
      rate: primary?.rate ?? 0,
      byteRate: primary?.byteRate ?? 0,
      latencyMs: got?.latencyMs ?? null,
      ...(sent && got ? { replyRate: got.rate } : {}),
      ...r.interval?.(),
    };
  }

  private report(e: Entry, final = false): FlowReport {
    const r = e.runner;
    const elapsedMs = Math.round((e.endedAt ?? monoMs()) - e.startedAt);
    const state = e.state === 'stopped' || e.state === 'broken' ? e.state : 'running';
    const m = r?.meter;
    const out: FlowReport = {
      ...this.identity(e),
      state,
      elapsedMs,
      rate: 0,
      byteRate: 0,
      latencyMs: null,
      ...(m ? { sent: m.sent, sentBytes: m.sentBytes, sendErrors: m.sendErrors, errors: { ...m.errors } } : {}),
      ...(r?.stats ? { ...r.stats.counters(), latencyKind: r.latencyKind ?? 'one-way' } : {}),
      ...e.interval,
      ...r?.extra?.(),
      ...(e.error ? { error: e.error } : {}),
    };
    if (final) {
      const s = Math.max(1e-3, elapsedMs / 1000);
      out.avgRate = Math.round(((m ? m.sent : Number(out.received ?? 0)) / s) * 1000) / 1000;
      out.latencyTotalMs = r?.stats?.latencyTotal() ?? null;
    }
    return out;
  }

  private forgetOld(): void {
    const finished = [...this.flows.values()].filter((e) => e.final);
    for (const e of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.flows.delete(e.spec.id);
  }
}

/** Event fields for a flow: `kind` is the event's own, so the flow's kind travels as `flowKind`. */
function asEventFields(r: FlowStarted | FlowReport): Record<string, unknown> {
  const { kind, ...rest } = r;
  return { ...rest, flowKind: kind };
}
