import type { FlowReport } from './flow-report.js';
import type { RoleName } from './roles.js';
import type { TunnelDriverName } from './tunnel-drivers.js';

/**
 * What an agent answers to `state`: one snapshot per role it plays. These
 * types are the contract between the roles that produce the snapshots and
 * everything that reads them (inspect, the TUI, the state expectations).
 */

/** One home prefix an MR holds, layer by layer, and the route the layers give (MrDatapath). */
export interface MrPrefixState {
  prefix: string;
  /** Access interface its mobile node is attached on. */
  attached?: string;
  /** Handover context: the new MR this previous MR forwards to, and for how much longer. */
  contextTo?: string;
  contextExpiresInS?: number;
  /** Anchored here and served by this MR. */
  servedBy?: string;
  /** Cached location (route optimisation): where, learned how, for how much longer. */
  cachedAt?: string;
  cacheSource?: string;
  cacheExpiresInS?: number;
  /** Its node is between cells: dropped rather than looped. */
  hold?: true;
  /** Anycast: another anchor's whole prefix, announced here and tunnelled to that anchor (the MR named). */
  interceptedFor?: string;
  /** The kernel route: `on-link via ... dev ...`, `tunnel to <mr>`, `blackhole` or `none`. */
  route: string;
}

/** A reverse-tunnel rule: uplink from a visiting prefix on an access interface goes back to its anchor. */
export interface ReverseRuleState {
  prefix: string;
  iface: string;
  /** The anchor MR (always another MR: a prefix anchored here needs no reverse tunnel). */
  anchor: string;
  /** Routing table the rule looks up. */
  table: number;
}

/** An LM proxy's entry for a visiting mobile node (hierarchical LM entries). */
export interface ProxyEntryState {
  mnId: string;
  /** MR of the proxy's network serving the node. */
  serving: string;
  prefixes: string[];
  /** Foreign prefixes registered at their LMs with the proxy as location. */
  upstream: string[];
  /** The node left the network (kept a while to relay its next MR's context transfer). */
  departed: boolean;
}

export interface MrState {
  driver: TunnelDriverName;
  /** The aggregate of home prefixes this MR anchors. */
  anchor: string;
  /** MRs a tunnel has been set up to. */
  tunnelPeers: string[];
  prefixes: MrPrefixState[];
  reverse: ReverseRuleState[];
  /** Home agent: served prefixes whose node sits on one of its access links (its uplink leaves by that link's source check). */
  servedSources?: { prefix: string; iface: string }[];
  /** Present when this MR is its network's LM proxy. */
  lmProxy?: ProxyEntryState[];
}

export interface LmBindingState {
  prefix: string;
  mnId: string;
  /** Address of the serving MR, and its node name. */
  location: string;
  mr: string;
  expiresInS: number;
  /** MRs that asked for the binding (told when it goes). */
  queriers: string[];
}

export interface LmState {
  bindings: LmBindingState[];
  /** Mobile nodes of this LM's realm: which MR serves them and all their prefixes. */
  contexts: { mnId: string; serving: string | null; prefixes: string[] }[];
}

export interface HaaLeaseState {
  prefix: string;
  mnId: string;
  /** The MR that anchors the prefix. */
  anchor: string;
  expiresInS: number;
}

export interface HaaState {
  leases: HaaLeaseState[];
}

/** How an access router sees a mobile node of one of its access links. */
export type VisitorStatus = 'attached' | 'detached' | 'away' | 'expected';

export interface VisitorState {
  mn: string;
  mnId: string;
  iface: string;
  state: VisitorStatus;
  prefixes: { prefix: string; anchor: string }[];
}

/** A prefix as advertised on one access link. */
export interface AdvertisedPrefix {
  prefix: string;
  /** Seconds; 0 deprecates the prefix so new sessions pick another home address. */
  preferred: number;
  /** Seconds. */
  valid: number;
}

/** An attachment or handover an access router completed (also the `handover.completed` event). */
export interface AttachmentRecord {
  mn: string;
  mnId: string;
  mode: 'initial' | 'handover' | 'returned';
  /** Previous MR, if the node came from one. */
  from: string | null;
  to: string;
  prefixes: string[];
  /** From the attachment to the last signalling answer. */
  ms: number;
}

export interface ArState {
  visitors: VisitorState[];
  /** Router advertisement contents per access interface. */
  advertised: Record<string, AdvertisedPrefix[]>;
  recent: AttachmentRecord[];
}

export interface MnState {
  mnId: string;
  radios: { iface: string; ar: string; up: boolean }[];
  /** Home prefixes it gave up. */
  released: string[];
  /** Mobile IPv6 mode: the home addresses it keeps, and while away its care-of address and home agent. */
  mobileIpv6?: { homeAddresses: string[]; careOf?: string; homeAgent?: string; regionalCareOf?: string; map?: string };
}

/** Roles without state of their own. */
export type NoState = Record<string, never>;

/** The snapshot type of each role. */
export interface RoleStateMap {
  mr: MrState;
  lm: LmState;
  haa: HaaState;
  ar: ArState;
  mn: MnState;
  cn: NoState;
  router: NoState;
}

/** Every role's snapshot, keyed by role (only the roles the node plays). */
export type RoleStates = { [R in RoleName]?: RoleStateMap[R] };

/** Counters of the signalling transport: what was sent, received and refused. */
export interface SignallingCounters {
  sent: number;
  received: number;
  malformed: number;
  unauthenticated: number;
  replayed: number;
  unhandled: number;
  timeouts: number;
  /** Requests sent again because no acknowledgement came in time (each also counts in `sent`). */
  retransmitted?: number;
  /** Messages sent and accepted by name (PBU, HI, ...), with their bytes on the wire (the signalling-load model's measurement). */
  byName?: Record<string, { sent: number; sentBytes: number; received: number; receivedBytes: number }>;
  /** Refused messages by reason and by sender (bounded), and how many were counted without a log line. */
  rejections?: RejectionCounts;
}

/** Refused signalling, counted: by reason (malformed, unauthenticated, replay, unhandled) and by sender. */
export interface RejectionCounts {
  byReason: Record<string, number>;
  /** The most frequent senders first; "(others)" past the first 64. */
  bySource: { source: string; count: number }[];
  /** Rejections beyond the log's rate limit (counted, not logged one by one). */
  notLogged: number;
}

/** The answer to `state`. */
export interface AgentState {
  node: string;
  pid: number;
  version: string;
  configured: boolean;
  uptimeMs: number;
  rssBytes: number;
  signalling: SignallingCounters | null;
  /** Kernel change lines the agent applied (through `ip -batch`, or over netlink). */
  kernelLines: number;
  /** Of those, the ones the agent made itself over netlink (agent/kernel/netlink-requests.ts). */
  kernelNetlinkLines?: number;
  roles: RoleStates;
  flows: FlowReport[];
}
