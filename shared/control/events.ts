import type { MessageSummary } from '../protocol/summary.js';
import type { FlowEventFields, FlowStarted } from './flow-report.js';
import type { RoleName } from './roles.js';
import type { AttachmentRecord } from './role-state.js';
import type { TunnelDriverName } from './tunnel-drivers.js';

/**
 * Every event on a lab's stream, by kind: what the agents emit (signalling,
 * attachments, bindings, routes, flows, errors) and what the orchestrator
 * notes on the same clock (scenario steps). The `EventFields` map is the
 * contract; `AgentEvent` is the discriminated union built from it, so a
 * `switch (e.kind)` sees each kind's own fields. docs/protocol.md lists them.
 */
export interface EventFields {
  // The agent process.
  'agent.ready': { pid: number; version: string; startupMs: number };
  'agent.configured': { roles: RoleName[]; ms: number; tunnelDriver: TunnelDriverName };
  'agent.stopping': { code: number };
  'agent.crashed': { message: string };
  'agent.error': { message: string };
  log: { level: 'info' | 'warn' | 'error' | 'debug'; message: string; line?: string };
  // Signalling (Mobility Header messages in UDP port 5436).
  'mh.sent': MessageSummary & { to: string; bytes: number };
  'mh.received': MessageSummary & { from: string; bytes: number };
  'mh.rejected': Partial<MessageSummary> & { from: string; reason: string; detail?: string; bytes?: number; suppressed?: number };
  'mh.timeout': { to: string; msg: string; attempts: number };
  // The kernel.
  'kernel.error': { command: string; message: string };
  'route.changed': { prefix: string; route: string; previous: string; reason: string };
  'observer.filter': { filter: string };
  // Mobility routing (MR).
  'mr.ready': { driver: TunnelDriverName; anchor: string; tunnelEndpoint: string };
  'anchor.binding': { prefix: string; servedBy: string; mnId: string | null };
  'anchor.released': { prefix: string; mnId: string | null; reason: string };
  'home.binding': { mnId: string; prefixes: string[]; careOf: string; lifetime: number };
  'map.registered': { map: string; regional: string; onLink: string; lifetime: number; status: number | null; ms: number };
  'map.binding': { mnId: string; regional: string; onLink: string; lifetime: number };
  'home.synced': { mnId: string; prefixes: string[]; careOf: string; lifetime: number; lm: string };
  'lm.synced': { mnId: string; prefixes: string[]; careOf: string; lifetime: number; from: string; forwarded: string[] };
  'home.refused': { mnId: string | null; from: string; status: number; reason: string };
  'lease.renewal-refused': { prefix: string; status: number | null };
  'cache.updated': { prefix: string; location: string; mr: string; source: string; lifetime: number };
  'cache.removed': { prefix: string; reason: string };
  'redirect.sent': { prefix: string; to: string; location: string; reason: string };
  'redirect.revoked': { prefix: string; to: string };
  'context.created': { mnId: string; mn: string | null; to: string; prefixes: string[]; lifetimeS: number; predictive?: true };
  'context.deleted': { prefix: string; to?: string; reason?: string };
  // LM proxy (hierarchical LM entries, an MR's part).
  'proxy.updated': { mnId: string; serving: string; previous: string | null; upstream: boolean; prefixes: string[] };
  'proxy.query': { prefix: string | null; from: string; found: boolean; location: string | null };
  'proxy.relayed': { mnId: string; to: string; for: string };
  'proxy.departed': { mnId: string; reason: string };
  'proxy.removed': { mnId: string; reason: string };
  // Access router (AR).
  'mn.attached': { mn: string; mnId: string; iface: string; prepared?: true };
  'mn.detached': { mn: string; mnId: string; iface: string };
  'mn.link-up': { mn: string; iface: string; note: string };
  'attachment.completed': AttachmentRecord;
  'handover.completed': AttachmentRecord;
  'handover.prepared': { mn: string; to: string; prefixes: string[] };
  'handover.expected': { mn: string; from: string; prefixes: string[] };
  'context.transferred': { mn: string; from: string; code: number | null };
  'prefix.allocated': { mn: string; mnId: string; prefix: string; anchor: string; lifetime: number };
  'prefix.removed': { mn: string; prefix: string; reason: string };
  // Location management (LM).
  'lm.refused': { mnId: string; from: string; reason: string };
  'lm.query': { prefix: string | null; from: string; found: boolean; location: string | null };
  'lm.proxy-released': { mnId: string; proxy: string; network: string };
  'mn.context': { mnId: string; serving: string | null; previous: string | null; prefixes: string[] };
  'binding.updated': { prefix: string; mnId: string; location: string; previous: string | null; mr: string };
  'binding.removed': { prefix: string; mnId: string; reason: string };
  // Home address allocation (HAA).
  'haa.refused': { mnId: string; from: string; reason: string };
  'haa.pool-exhausted': { mnId: string; anchor: string; aggregate: string; leases: number };
  'lease.granted': { prefix: string; mnId: string; anchor: string; lifetime: number };
  'lease.renewed': { prefix: string; mnId: string; lifetime: number };
  'lease.released': { prefix: string; mnId: string; anchor: string };
  'lease.expired': { prefix: string; mnId: string; anchor: string };
  // Mobile node (MN).
  'radio.up': { iface: string; ar: string };
  'radio.down': { iface: string; ar: string };
  'home.registered': { homeAgent: string; careOf: string; prefixes: string[]; lifetime: number; status: number | null; ms: number };
  'prefix.releasing': { prefix: string; via: string | null };
  'prefix.released': { prefix: string };
  // Traffic flows.
  'flow.started': FlowEventFields<FlowStarted>;
  'flow.stats': FlowEventFields;
  'flow.stopped': FlowEventFields;
  'flow.behind': FlowEventFields<FlowStarted> & { lagMs: number };
  'flow.error': FlowEventFields<FlowStarted> & { message: string; code?: string; fatal: boolean; remote?: string };
  // The orchestrator's notes (node `dmmlab`): a run and its steps.
  'run.started': { scenario: string };
  'run.finished': Record<string, never>;
  step: { index: number; path: string; text: string };
  'step.failed': { index: number; path: string; error: string };
  'step.attach': { mn: string; ar: string };
  'step.detach': { mn: string; ar: string | null };
  'step.handover': { mn: string; from: string[]; to: string; mode: 'break' | 'make'; gapMs: number; predictive: boolean };
  'step.handover-prepared': { mn: string; from: string; to: string; prepared: boolean; error?: string; reason?: string; prefixes?: string[] };
  'step.link-up': { a: string; b: string };
  'step.link-down': { a: string; b: string };
  'step.link-params': { a: string; b: string; params: Record<string, unknown> };
  'step.flow-start': {
    flow: string;
    flowKind: 'udp' | 'tcp' | 'icmp';
    from: string;
    to: string;
    source: string | null;
    destination: string | null;
    port: number | null;
  };
  'step.flow-stop': { flow: string };
  mark: { text: string };
  // The terminal UI's own lines (never on the wire).
  'tui.note': { text: string };
  'tui.error': { text: string };
  'agent.down': { why: string };
  'lab.gone': { text: string };
}

export type EventKind = keyof EventFields;

/** One event: monotonic time (ms, the lab's shared clock), the node that reported it, its kind and the kind's fields. */
export type AgentEvent = { [K in EventKind]: { t: number; node: string; kind: K } & EventFields[K] }[EventKind];

/** The event of one kind. */
export type EventOf<K extends EventKind> = Extract<AgentEvent, { kind: K }>;

/** Every kind, with a line saying when it happens (the runtime list the control channel checks kinds against). */
export const EVENT_KINDS: Record<EventKind, string> = {
  'agent.ready': 'the agent listens on its control socket',
  'agent.configured': 'the agent took its configuration and started its roles',
  'agent.stopping': 'the agent is shutting down',
  'agent.crashed': 'an uncaught exception: the agent exits',
  'agent.error': 'a procedure failed (the agent goes on)',
  log: 'a log line',
  'mh.sent': 'a Mobility Header message went out',
  'mh.received': 'an authenticated, fresh message arrived',
  'mh.rejected': 'a message was dropped: malformed, unauthenticated, replayed or unhandled',
  'mh.timeout': 'a request got no answer after its retransmissions',
  'kernel.error': 'an ip command failed',
  'route.changed': 'the route of a home prefix changed',
  'observer.filter': 'the traffic observer watches something else now',
  'mr.ready': 'the MR set up its datapath',
  'anchor.binding': 'the anchor learned which MR serves one of its prefixes',
  'anchor.released': 'the anchor gave up a prefix',
  'home.binding': 'Mobile IPv6: the home agent bound (lifetime 0: unbound) a node’s home prefixes to its care-of address',
  'map.registered': 'HMIPv6: the mobile node’s registration at a MAP was answered (regional care-of address bound to its on-link one)',
  'map.binding': 'HMIPv6: the MAP bound (lifetime 0: unbound) a node’s regional care-of address to its on-link one',
  'home.synced': 'migrating home agents: a home agent took the binding another one made, passed on by an LM',
  'lm.synced': 'migrating home agents: an LM replica stored a home binding and passed it on (to the other replicas, or its home agents)',
  'home.refused': 'Mobile IPv6: the home agent refused a binding update',
  'lease.renewal-refused': 'the HAA refused to renew a lease',
  'cache.updated': 'an MR cached where a prefix is (route optimisation)',
  'cache.removed': 'a cached location went',
  'redirect.sent': 'an MR told another where a prefix is (LRI)',
  'redirect.revoked': 'the prefix went at its anchor: an MR told one it had redirected to drop its cache entry (BRI)',
  'context.created': 'a previous MR forwards a node’s prefixes to its new MR',
  'context.deleted': 'a handover context ended',
  'proxy.updated': 'the LM proxy tracks a visiting node at an MR',
  'proxy.query': 'the LM proxy answered a location query',
  'proxy.relayed': 'the LM proxy relayed a context transfer',
  'proxy.departed': 'a visiting node left the proxy’s network',
  'proxy.removed': 'the LM proxy forgot a node',
  'mn.attached': 'a mobile node came up on an access link',
  'mn.detached': 'a mobile node went from an access link',
  'mn.link-up': 'client mode: a link came up, the node’s BU is awaited',
  'attachment.completed': 'the access router finished an initial attachment',
  'handover.completed': 'the new access router finished a handover',
  'handover.prepared': 'predictive handover: the new MR is ready',
  'handover.expected': 'predictive handover: this MR expects the node',
  'context.transferred': 'HI/HAck with the previous MR done',
  'prefix.allocated': 'a new home prefix anchored here',
  'prefix.removed': 'a home prefix is no longer delivered to its node',
  'lm.refused': 'the LM refused an update',
  'lm.query': 'the LM answered a location query',
  'lm.proxy-released': 'the LM revoked an LM proxy’s entry',
  'mn.context': 'the realm LM updated a node’s context',
  'binding.updated': 'the LM binds a prefix to another MR',
  'binding.removed': 'an LM binding went',
  'haa.refused': 'the HAA refused a request',
  'haa.pool-exhausted': 'no free prefix in an anchor aggregate',
  'lease.granted': 'the HAA leased a prefix',
  'lease.renewed': 'the HAA renewed a lease',
  'lease.released': 'a lease was given back',
  'lease.expired': 'a lease ran out',
  'radio.up': 'a mobile node’s radio came up',
  'radio.down': 'a mobile node’s radio went down',
  'home.registered': 'Mobile IPv6: the node’s home registration (binding update) was answered',
  'prefix.releasing': 'a mobile node gives up a home prefix',
  'prefix.released': 'the mobile node removed the prefix’s addresses',
  'flow.started': 'a flow end started',
  'flow.stats': 'a flow end’s figures (every 250 ms)',
  'flow.stopped': 'a flow end stopped, with its final figures',
  'flow.behind': 'a sender fell behind its schedule',
  'flow.error': 'a flow end hit an error',
  'run.started': 'a scenario run started its timeline',
  'run.finished': 'the timeline is over',
  step: 'a scenario step starts',
  'step.failed': 'a scenario step failed',
  'step.attach': 'a radio came up by the operator’s hand',
  'step.detach': 'a radio went down by the operator’s hand',
  'step.handover': 'the radios of a handover changed',
  'step.handover-prepared': 'the current access router heard of the move (predictive)',
  'step.link-up': 'a wired link came up',
  'step.link-down': 'a wired link went down',
  'step.link-params': 'a wired link’s delay, loss, rate or MTU changed',
  'step.flow-start': 'a flow was started',
  'step.flow-stop': 'a flow was stopped',
  mark: 'a marker in the timeline',
  'tui.note': 'a line of the terminal UI',
  'tui.error': 'an error the terminal UI shows',
  'agent.down': 'an agent stopped answering',
  'lab.gone': 'the lab was destroyed under the terminal UI',
};

/** Whether a kind names a known event. */
export function isEventKind(kind: string): kind is EventKind {
  return Object.hasOwn(EVENT_KINDS, kind);
}
