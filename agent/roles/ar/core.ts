import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { AdvertisedPrefix, AttachmentRecord, VisitorStatus } from '../../../shared/control/role-state.js';
import type { AgentContext } from '../../context.js';
import type { MrPort } from '../mr/mr-port.js';

/** A mobile node of one access link, as its access router knows it. */
export interface Visitor {
  mn: string;
  mnId: string;
  iface: string;
  mac: string;
  /** The node's link-local address on this access link (EUI-64 of its radio MAC). */
  linkLocal: string;
  /** expected: a previous MR announced it (predictive handover) and its routes are ready here. */
  state: VisitorStatus;
  /** Previous MR side of a predictive handover: the new MR that is ready for it. */
  preparedTo?: MrInfo | undefined;
  /** Home prefixes and the MR that anchors each. */
  prefixes: Map<string, MrInfo>;
  /** Bumped on every attach/detach so a slow procedure can tell it was overtaken. */
  generation: number;
  attachedAt?: number;
  /** Registrations of this attachment that failed and were tried again (reset when one completes). */
  retries?: number;
}

/** Router advertisements on the access links (radvd; tests give a fake). */
export interface Advertiser {
  start(interfaces: string[]): Promise<void>;
  /**
   * Sets the prefixes advertised on `iface` (empty: advertisements without
   * prefixes). Settles once radvd has been told, which is after the current
   * burst of signalling: a handover's messages do not wait for it. Never rejects.
   */
  set(iface: string, list: AdvertisedPrefix[]): Promise<void>;
  /** Advertises at once on every interface, nothing changed (a link whose carrier just came up). */
  advertiseNow(): Promise<void>;
  current(): Record<string, AdvertisedPrefix[]>;
  stop(): void;
}

/**
 * What the access router's procedures share (agent/roles/ar/*.ts): its
 * node's context, the co-located MR (through its port), the router
 * advertisements and the mobile nodes of its access links.
 */
export interface ArCore {
  readonly ctx: AgentContext;
  readonly mr: MrPort;
  readonly radvd: Advertiser;
  /** Mobile nodes by access interface. */
  readonly visitors: Map<string, Visitor>;
  /** The last attachments and handovers completed here (state). */
  readonly recent: AttachmentRecord[];
}

export function visitorById(ar: ArCore, id: string): Visitor | undefined {
  return [...ar.visitors.values()].find((v) => v.mnId === id);
}

export function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    (m.get(k) ?? m.set(k, []).get(k)!).push(i);
  }
  return m;
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
