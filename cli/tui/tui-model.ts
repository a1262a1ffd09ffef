import type { AgentEvent } from '../../shared/control/events.js';
import type { FlowReport, FlowStarted } from '../../shared/control/flow-report.js';
import { LabStates } from '../lab/lab-states.js';
import type { AgentDown } from '../lab/session.js';
import { eventClock } from '../output/format-event.js';
import type { Plan } from '../plan/types.js';
import { eventLine, namingFor, type EventCategory, type Naming } from './event-text.js';
import type { CaptureStatus, Radio } from './tui-lab.js';

/*
 * The TUI's model: a pure reducer from events, agent states and radios to
 * what the panels show, and selectors that shape it per panel. No ink, no
 * I/O: everything here is unit-tested without a terminal.
 */

/** One line of the event log. */
export interface LogEntry {
  /** Unique, increasing (React key). */
  id: number;
  /** Monotonic time (ms) of the event. */
  t: number;
  /** Wall clock, HH:MM:SS.mmm. */
  clock: string;
  /** Node that reported it (`dmmlab` for session notes, `tui` for the TUI's own). */
  node: string;
  /** Event kind (mh.sent, handover.completed...). */
  kind: string;
  category: EventCategory;
  /** What happened, addresses named. */
  text: string;
}

/** One end of a flow as its agent last reported it. */
export interface FlowEnd {
  /** Node running this end. */
  node: string;
  /** Its last report (flow.stats fields or a flow list entry). */
  report: FlowReport | FlowStarted;
}

export interface TuiModel {
  /** Node names for addresses and mobile node identifiers. */
  naming: Naming;
  /** Offset from the monotonic clock to Unix time, for the log's wall-clock times. */
  monoToWallMs: number | undefined;
  /** The most recent log lines, oldest first, at most `logLimit`. */
  log: LogEntry[];
  logLimit: number;
  /** Id of the next log line. */
  nextId: number;
  /** What the agents hold (from the last poll). */
  states: LabStates;
  /** Radios by mobile node (from the last poll). */
  radios: Record<string, Radio[]>;
  /** Flow ends by flow id. */
  flows: Record<string, { sender?: FlowEnd; receiver?: FlowEnd }>;
  /** Agents that stopped answering, by node. */
  down: Record<string, AgentDown>;
  /** The lab was destroyed under the TUI. */
  labGone: boolean;
  /** Capture status (from the last poll). */
  capture: CaptureStatus;
  /** Polls done (0: nothing known yet). */
  polls: number;
}

export type TuiAction =
  | { type: 'events'; events: AgentEvent[] }
  | { type: 'poll'; states: LabStates; radios: Record<string, Radio[]>; capture?: CaptureStatus; present?: boolean; t: number }
  | { type: 'agent-down'; down: AgentDown; t: number }
  | { type: 'note'; text: string; error?: boolean; t: number };

export function initialModel(plan: Plan, opts: { monoToWallMs?: number | undefined; logLimit?: number; down?: AgentDown[] } = {}): TuiModel {
  return {
    naming: namingFor(plan),
    monoToWallMs: opts.monoToWallMs,
    log: [],
    logLimit: opts.logLimit ?? 500,
    nextId: 1,
    states: new LabStates({}),
    radios: {},
    flows: {},
    down: Object.fromEntries((opts.down ?? []).map((d) => [d.node, d])),
    labGone: false,
    capture: { on: false, packets: 0 },
    polls: 0,
  };
}

export function reduce(m: TuiModel, a: TuiAction): TuiModel {
  switch (a.type) {
    case 'events':
      return onEvents(m, a.events);
    case 'poll':
      return onPoll(m, a);
    case 'agent-down':
      if (m.down[a.down.node]) return m;
      return appendLog({ ...m, down: { ...m.down, [a.down.node]: a.down } }, [{ t: a.t, node: a.down.node, kind: 'agent.down', why: a.down.why }]);
    case 'note':
      return appendLog(m, [{ t: a.t, node: 'tui', kind: a.error ? 'tui.error' : 'tui.note', text: a.text }]);
  }
}

function onEvents(m: TuiModel, events: AgentEvent[]): TuiModel {
  let flows = m.flows;
  for (const e of events) {
    if (e.kind !== 'flow.started' && e.kind !== 'flow.stats' && e.kind !== 'flow.stopped' && e.kind !== 'flow.behind') continue;
    const { t: _t, node: _n, kind: _k, flowKind, ...report } = e;
    flows = { ...flows, [e.flowId]: { ...flows[e.flowId], [e.role]: { node: e.node, report: { ...report, kind: flowKind } } } };
  }
  return appendLog(flows === m.flows ? m : { ...m, flows }, events);
}

function appendLog(m: TuiModel, events: AgentEvent[]): TuiModel {
  const added: LogEntry[] = [];
  let id = m.nextId;
  for (const e of [...events].sort((x, y) => x.t - y.t)) {
    const line = eventLine(e, m.naming);
    if (!line) continue;
    added.push({ id: id++, t: e.t, clock: eventClock(e.t, m.monoToWallMs), node: e.node, kind: e.kind, ...line });
  }
  if (added.length === 0) return m;
  const log = [...m.log, ...added];
  return { ...m, log: log.length > m.logLimit ? log.slice(log.length - m.logLimit) : log, nextId: id };
}

function onPoll(m: TuiModel, a: Extract<TuiAction, { type: 'poll' }>): TuiModel {
  let flows = m.flows;
  for (const [node, st] of Object.entries(a.states.byNode)) {
    for (const r of st.flows) {
      const old = flows[r.flowId]?.[r.role]?.report;
      if (old && 'state' in old && old.state === r.state && old.elapsedMs > r.elapsedMs) continue;
      flows = { ...flows, [r.flowId]: { ...flows[r.flowId], [r.role]: { node, report: r } } };
    }
  }
  let next: TuiModel = { ...m, states: a.states, radios: a.radios, flows, polls: m.polls + 1, ...(a.capture ? { capture: a.capture } : {}) };
  if (a.present === false && !m.labGone) {
    next = appendLog({ ...next, labGone: true }, [{ t: a.t, node: 'tui', kind: 'lab.gone', text: 'the lab was destroyed under the TUI' }]);
  }
  return next;
}

// ---------------------------------------------------------------- selectors

export interface TopologyNode {
  name: string;
  /** Roles in plan order (mr, ar, lm, haa...). */
  roles: string[];
  /** The agent is not answering. */
  down: boolean;
}

export interface MobileNodeView {
  name: string;
  /** Its home network. */
  network: string;
  /** Access routers it can reach, with whether the radio is up. */
  cells: { ar: string; up: boolean }[];
  /** Access routers it is attached to now. */
  attachedTo: string[];
}

export interface TunnelView {
  /** MR whose mobility route goes into the tunnel. */
  from: string;
  /** MR at the far end. */
  to: string;
  /** Home prefixes routed through it. */
  prefixes: string[];
}

export interface TopologyView {
  /** Local networks with their fixed nodes. */
  networks: { name: string; prefix: string; nodes: TopologyNode[] }[];
  /** Where each mobile node is attached. */
  mobileNodes: MobileNodeView[];
  /** Mobility routes that go through a tunnel now, grouped by (MR, peer). */
  tunnels: TunnelView[];
}

/** Mobile nodes of the plan, in plan order. */
export function mobileNodes(plan: Plan): string[] {
  return plan.nodes.filter((n) => n.roles.includes('mn')).map((n) => n.name);
}

/** The access routers a mobile node can reach (its cells). */
export function cellsOf(plan: Plan, mn: string): string[] {
  return (
    plan.nodes
      .find((n) => n.name === mn)
      ?.interfaces.filter((i) => i.kind === 'access')
      .map((i) => i.peer.node) ?? []
  );
}

export function topologyView(plan: Plan, m: TuiModel): TopologyView {
  const networks = plan.networks.map((net) => ({
    name: net.name,
    prefix: net.prefix,
    nodes: plan.nodes
      .filter((n) => n.network === net.name && !n.roles.includes('mn'))
      .map((n) => ({ name: n.name, roles: [...n.roles], down: Boolean(m.down[n.name]) })),
  }));
  const mns = mobileNodes(plan).map((name) => {
    const node = plan.nodes.find((n) => n.name === name)!;
    const radios = m.radios[name] ?? radiosFromState(m, name);
    const cells = cellsOf(plan, name).map((ar) => ({ ar, up: radios.find((r) => r.ar === ar)?.up ?? false }));
    return { name, network: node.network, cells, attachedTo: cells.filter((c) => c.up).map((c) => c.ar) };
  });
  const tunnels = new Map<string, TunnelView>();
  for (const p of m.states.mrPrefixes()) {
    const to = /^tunnel to (\S+)/.exec(p.route)?.[1];
    if (!to) continue;
    const key = `${p.mr}>${to}`;
    const t = tunnels.get(key) ?? { from: p.mr, to, prefixes: [] };
    t.prefixes.push(p.prefix);
    tunnels.set(key, t);
  }
  return { networks, mobileNodes: mns, tunnels: [...tunnels.values()] };
}

/** Radios as the mobile node's own agent reports them (before the first radios poll). */
function radiosFromState(m: TuiModel, mn: string): Radio[] {
  return m.states.role(mn, 'mn')?.radios ?? [];
}

export interface BindingRow {
  /** The LM holding the binding. */
  lm: string;
  /** Home network prefix. */
  prefix: string;
  /** The MR the prefix is bound to (its node's routing location). */
  mr: string;
  /** Mobile node holding the prefix. */
  mn: string;
  /** Seconds until the binding expires. */
  expiresInS?: number;
  /** An LM proxy's entry (hierarchical LM): `lm` is the proxy MR, `mr` the MR serving the node. */
  proxy?: boolean;
}

export interface CacheRow {
  /** The MR holding the entry. */
  mr: string;
  /** Home network prefix. */
  prefix: string;
  /** What the MR holds for the prefix: a cached location, an anchor binding, a handover context, a hold. */
  what: 'cache' | 'anchor' | 'context' | 'hold';
  /** The MR the traffic goes to. */
  to?: string;
  /** Lifetime left, source of a cached location. */
  detail?: string;
  /** Mobile node holding the prefix, when known. */
  mn?: string;
}

export interface BindingsView {
  /** LM binding caches, LM by LM. */
  bindings: BindingRow[];
  /** What MRs hold for prefixes not on their access links. */
  caches: CacheRow[];
}

/** Which mobile node holds each home prefix, from every state that says so. */
export function prefixOwners(m: TuiModel): Map<string, string> {
  return m.states.prefixOwners((id) => m.naming.mnIds.get(id) ?? id);
}

export function bindingsView(plan: Plan, m: TuiModel): BindingsView {
  const owners = prefixOwners(m);
  const order = new Map(plan.nodes.map((n, i) => [n.name, i]));
  const byPlan = <T>(rows: T[], node: (r: T) => string) => [...rows].sort((a, b) => (order.get(node(a)) ?? 0) - (order.get(node(b)) ?? 0));
  const bindings: BindingRow[] = [];
  for (const b of byPlan(m.states.bindings(), (x) => x.lm)) {
    bindings.push({ lm: b.lm, prefix: b.prefix, mr: b.mr, mn: owners.get(b.prefix) ?? b.mnId, expiresInS: b.expiresInS });
  }
  for (const e of byPlan(m.states.proxyEntries(), (x) => x.proxy)) {
    if (e.departed) continue;
    for (const prefix of e.prefixes) bindings.push({ lm: e.proxy, prefix, mr: e.serving, mn: owners.get(prefix) ?? e.mnId, proxy: true });
  }
  const caches: CacheRow[] = [];
  for (const p of byPlan(m.states.mrPrefixes(), (x) => x.mr)) {
    const owner = owners.get(p.prefix);
    const row = (r: Omit<CacheRow, 'mr' | 'prefix'>): CacheRow => ({ mr: p.mr, prefix: p.prefix, ...r, ...(owner ? { mn: owner } : {}) });
    if (p.contextTo) caches.push(row({ what: 'context', to: p.contextTo, detail: `${p.contextExpiresInS ?? '?'}s` }));
    if (p.servedBy) caches.push(row({ what: 'anchor', to: p.servedBy }));
    if (p.cachedAt) caches.push(row({ what: 'cache', to: p.cachedAt, detail: `(${p.cacheSource ?? '?'}, ${p.cacheExpiresInS ?? '?'}s)` }));
    if (p.hold && !p.contextTo && !p.servedBy && !p.cachedAt && !p.attached) caches.push(row({ what: 'hold', detail: 'blackhole' }));
  }
  return { bindings, caches };
}

export interface FlowRow {
  id: string;
  /** udp, tcp or icmp. */
  kind: string;
  /** Sending node. */
  from?: string;
  /** Receiving node. */
  to?: string;
  /** running, stopped or broken. */
  state: string;
  /** Packets per second over the last interval (received, else sent). */
  rate: number;
  /** Packets (records, requests) sent. */
  sent?: number;
  /** Packets received. */
  received?: number;
  /** Sequence numbers missing below the highest seen. */
  lost?: number;
  /** Sequence number of the last arrival. */
  lastSeq?: number;
  /** Source address of the last packet received (else the sender's own). */
  source?: string;
  /** Destination address the sender uses. */
  destination?: string;
}

/** A flow end's last report, with the fields a start report lacks left undefined. */
const figures = (end: FlowEnd | undefined): Partial<FlowReport> => end?.report ?? {};
const text = (v: string | null | undefined): string | undefined => v || undefined;

/** Flows, running ones first, then by id. */
export function flowsView(m: TuiModel): FlowRow[] {
  const rows = Object.entries(m.flows).map(([id, { sender, receiver }]): FlowRow => {
    const s = figures(sender);
    const r = figures(receiver);
    const state = s.state === 'broken' || r.state === 'broken' ? 'broken' : (s.state ?? r.state ?? '?');
    const received = r.received ?? s.received;
    const lastSeq = receiver ? r.lastSeq : s.lastSeq;
    const source = text(r.source) ?? text(s.source);
    const destination = text(s.destination) ?? text(r.destination);
    const sent = s.sent;
    const lost = r.lost ?? s.lost;
    return {
      id,
      kind: s.kind ?? r.kind ?? '?',
      ...(sender ? { from: sender.node } : {}),
      ...(receiver ? { to: receiver.node } : {}),
      state,
      rate: (receiver ? r.rate : s.rate) ?? 0,
      ...(sent !== undefined ? { sent } : {}),
      ...(received !== undefined ? { received } : {}),
      ...(lost !== undefined ? { lost } : {}),
      ...(lastSeq !== undefined ? { lastSeq } : {}),
      ...(source ? { source } : {}),
      ...(destination ? { destination } : {}),
    };
  });
  const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
  return rows.sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || natural(a.id, b.id));
}

/** A flow id not used by any flow the lab knows: f1, f2, ... */
export function nextFlowId(m: TuiModel): string {
  let n = 1;
  while (m.flows[`f${n}`]) n++;
  return `f${n}`;
}

export type LogFilter = 'key' | 'signalling' | 'all';
export const LOG_FILTERS: LogFilter[] = ['key', 'signalling', 'all'];

/** Kinds the default view shows: each signalling message once (as sent), mobility milestones, errors, steps. */
const KEY_KINDS = new Set([
  'mh.sent',
  'mn.attached',
  'mn.detached',
  'attachment.completed',
  'handover.completed',
  'context.created',
  'binding.updated',
  'binding.removed',
  'cache.updated',
  'cache.removed',
  'prefix.allocated',
  'proxy.updated',
  'proxy.relayed',
  'flow.started',
  'flow.stopped',
]);

export function visibleLog(m: TuiModel, filter: LogFilter): LogEntry[] {
  if (filter === 'all') return m.log;
  if (filter === 'signalling') return m.log.filter((e) => e.kind.startsWith('mh.'));
  return m.log.filter((e) => KEY_KINDS.has(e.kind) || e.category === 'error' || e.category === 'step');
}
