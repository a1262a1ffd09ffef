import type { Plan } from '../plan/types.js';
import { messageName, summarize } from '../../shared/protocol/summary.js';
import { decodeMessage, HANDOFF_INDICATOR, REVOCATION_TRIGGER, type MhMessage } from '../../shared/protocol/index.js';
import type { SignallingAnalysis, SignallingMessage } from './types.js';
import type { AddressBook, HeldPrefix } from './address-book.js';
import type { CaptureData } from './capture-data.js';
import { ms } from './numbers.js';
import { DIR_IN, DIR_OUT } from './capture-points.js';
import type { HandoverRecord } from '../scenario/run-log.js';

/** Captures of the same bytes between the same addresses within this long (ms) of the first are one message. */
export const SAME_MESSAGE_MS = 1000;

/** One MH message on the wire, decoded. */
export interface WireMessage {
  /** First capture, monotonic ms. */
  t: number;
  /** Innermost source and destination addresses. */
  src: string;
  dst: string;
  /** MH length (the UDP payload). */
  bytes: number;
  /** The decoded message. */
  message: MhMessage;
  /** Its captures (this transmission's): time, node of the interface, sent (1) or received (2) there. */
  seen: { t: number; node: string; dir: number }[];
}

/**
 * Every MH message once. Captures are grouped by (innermost source, destination,
 * MH bytes): the same message seen on each interface it crossed. The bytes
 * include MH type, sequence number and the timestamp option, which is what tells
 * two messages apart when the sequence number repeats (an HI's is always 0).
 * Identical bytes seen again more than SAME_MESSAGE_MS after a message's first
 * capture are a new message (a retransmission).
 */
export function decodeSignalling(data: CaptureData): { messages: WireMessage[]; undecodable: number } {
  const messages: WireMessage[] = [];
  let undecodable = 0;
  for (const m of data.mh.values()) {
    const all = m.times.map((t, i) => ({ t, node: data.points.list[m.seen[i]?.point ?? -1]?.node ?? '', dir: m.seen[i]?.dir ?? 0 })).sort((a, b) => a.t - b.t);
    const groups: (typeof all)[] = [];
    for (const x of all) {
      const g = groups[groups.length - 1];
      if (g && x.t - (g[0] as (typeof all)[number]).t <= SAME_MESSAGE_MS) g.push(x);
      else groups.push([x]);
    }
    const r = decodeMessage(m.bytes);
    if (!r.ok) {
      undecodable += groups.length;
      continue;
    }
    for (const g of groups) messages.push({ t: (g[0] as (typeof all)[number]).t, src: m.src, dst: m.dst, bytes: m.bytes.length, message: r.message, seen: g });
  }
  messages.sort((a, b) => a.t - b.t);
  return { messages, undecodable };
}

/** Home prefixes that messages carry next to a mobile node identifier the plan knows. */
export function heldPrefixes(plan: Plan, messages: readonly WireMessage[]): HeldPrefix[] {
  const byId = new Map(plan.mobility.mns.map((m) => [m.id, m.node]));
  const out: HeldPrefix[] = [];
  for (const { message } of messages) {
    let mn: string | undefined;
    for (const o of message.options) if (o.kind === 'mnId') mn = byId.get(o.id);
    if (mn === undefined) continue;
    for (const o of message.options) if (o.kind === 'hnp') out.push({ prefix: o.prefix, mn });
  }
  return out;
}

/**
 * Names (agent/signalling/summary.ts `messageName`), endpoints and handover of
 * every message. When several nodes move, a message that names a mobile node
 * (its MN identifier) belongs to that node's latest handover not after it, and
 * an answer (same sequence number, the other way) to its request's; any other
 * message to the latest handover of the run not after it (the window from one
 * handover to the next). So when several nodes move at once (a sweep over the
 * number of mobile nodes) each handover keeps its own exchange. Messages
 * before the first handover belong to none. Unknown addresses stand for themselves.
 */
export function signallingAnalysis(
  wire: { messages: readonly WireMessage[]; undecodable: number },
  book: AddressBook,
  handovers: readonly HandoverRecord[],
  mnIds: ReadonlyMap<string, string> = new Map(),
): SignallingAnalysis {
  const order = [...handovers].sort((a, b) => a.at - b.at || a.index - b.index);
  const byMn = new Map<string, HandoverRecord[]>();
  for (const h of order) (byMn.get(h.mn) ?? byMn.set(h.mn, []).get(h.mn)!).push(h);
  // Attribution by node only matters when more than one node moves.
  const several = byMn.size > 1;
  const requestOf = new Map<string, HandoverRecord | undefined>();
  const messages: SignallingMessage[] = wire.messages.map((w) => {
    const name = messageName(w.message);
    const mn = several ? mobileNodeOf(w.message, mnIds) : undefined;
    const answered = several && ANSWERS.has(name) ? requestOf.get(`${w.dst}|${w.src}|${w.message.sequence}`) : undefined;
    const h = mn && byMn.has(mn) ? (lastAtOrBefore(byMn.get(mn)!, w.t) ?? lastAtOrBefore(order, w.t)) : (answered ?? lastAtOrBefore(order, w.t));
    if (several && !ANSWERS.has(name)) requestOf.set(`${w.src}|${w.dst}|${w.message.sequence}`, h);
    const from = book.nodeOf(w.src) ?? w.src;
    const to = book.nodeOf(w.dst) ?? w.dst;
    const sent = w.seen.find((x) => x.dir === DIR_OUT && x.node === from)?.t;
    const sync = summarize(w.message).purpose === 'sync';
    const received = w.seen.findLast((x) => x.dir === DIR_IN && x.node === to)?.t;
    return {
      t: ms(w.t),
      name,
      from,
      to,
      fromAddress: w.src,
      toAddress: w.dst,
      seq: w.message.sequence,
      bytes: w.bytes,
      ...(sync ? { sync: true as const } : {}),
      ...(h ? { handover: h.index } : {}),
      ...(sent !== undefined ? { sentT: ms(sent) } : {}),
      ...(received !== undefined ? { receivedT: ms(received) } : {}),
      ...(sent !== undefined && received !== undefined ? { transitMs: ms(received - sent) } : {}),
    };
  });
  linkTurnarounds(messages);
  classify(messages, wire.messages);
  const totals: SignallingAnalysis['totals'] = {};
  const byIndex = new Map<number, SignallingAnalysis['byHandover'][number]>(handovers.map((h) => [h.index, { handover: h.index, counts: {}, bytes: 0 }]));
  const aside: Record<'release' | 'refresh', SignallingAnalysis['releases']> = {
    release: { count: 0, bytes: 0, byName: {} },
    refresh: { count: 0, bytes: 0, byName: {} },
  };
  for (const m of messages) {
    const t = (totals[m.name] ??= { count: 0, bytes: 0 });
    t.count++;
    t.bytes += m.bytes;
    if (m.part) {
      const a = aside[m.part];
      a.count++;
      a.bytes += m.bytes;
      a.byName[m.name] = (a.byName[m.name] ?? 0) + 1;
      continue;
    }
    const h = m.handover === undefined ? undefined : byIndex.get(m.handover);
    if (h) {
      h.counts[m.name] = (h.counts[m.name] ?? 0) + 1;
      h.bytes += m.bytes;
      if (m.sync) {
        h.sync ??= { count: 0, bytes: 0 };
        h.sync.count++;
        h.sync.bytes += m.bytes;
      }
    }
  }
  for (const h of handovers) {
    const first = messages.find((m) => m.from === h.to && m.sentT !== undefined && m.sentT >= h.at);
    const entry = byIndex.get(h.index);
    if (first && entry) entry.firstSend = { name: first.name, to: first.to, afterMs: ms((first.sentT as number) - h.at) };
  }
  const byHandover = [...byIndex.values()].sort((a, b) => a.handover - b.handover);
  return { messages, totals, byHandover, releases: aside.release, refreshes: aside.refresh, undecodable: wire.undecodable };
}

const HANDOVER_TRIGGERS = new Set<number>([
  REVOCATION_TRIGGER.INTER_MAG_HANDOVER_SAME_ACCESS_TYPE,
  REVOCATION_TRIGGER.INTER_MAG_HANDOVER_DIFFERENT_ACCESS_TYPE,
  REVOCATION_TRIGGER.INTER_MAG_HANDOVER_UNKNOWN,
]);

/**
 * Messages that are not a handover's own exchange, though sent in its window:
 * a release (lifetime 0: a prefix given back, a binding removed, and the
 * revocations it sets off) and a refresh (a binding renewed where the node
 * already is, handoff indicator "not changed"), each with its acknowledgement
 * (same sequence number, the other way).
 */
function classify(messages: SignallingMessage[], wire: readonly WireMessage[]): void {
  const requests = new Map<string, 'release' | 'refresh'>();
  messages.forEach((m, i) => {
    const w = wire[i] as WireMessage;
    const s = summarize(w.message);
    let part: 'release' | 'refresh' | undefined;
    // A revocation because the node moved (inter-MAG handover triggers, RFC 5846 6.1) is the handover's; any other is a release's.
    if (w.message.type === 'BRI') part = HANDOVER_TRIGGERS.has(w.message.trigger) ? undefined : 'release';
    else if (m.name === 'BRA') part = requests.get(`${m.toAddress}|${m.fromAddress}|${m.seq}`);
    // A Mobile IPv6 node's deregistration (lifetime 0, back home) is its handover's own exchange, and so is its synchronisation.
    else if ((m.name === 'PBU' || m.name === 'BU') && s.lifetime === 0 && s.purpose !== 'home' && s.purpose !== 'sync') part = 'release';
    else if ((m.name === 'PBU' || m.name === 'BU') && s.handoff === HANDOFF_INDICATOR.NOT_CHANGED) part = 'refresh';
    else if (m.name === 'PBA' || m.name === 'BA') part = requests.get(`${m.toAddress}|${m.fromAddress}|${m.seq}`);
    if (part) {
      m.part = part;
      if (m.name === 'PBU' || m.name === 'BU' || m.name === 'BRI') requests.set(`${m.fromAddress}|${m.toAddress}|${m.seq}`, part);
    }
  });
}

/** How long after receiving a message a node's next message may leave and still count as its answer or consequence. */
export const NEXT_SEND_WITHIN_MS = 100;

/**
 * For each message received (wire time at the receiver's interface), the
 * first message its receiver sent after it, within NEXT_SEND_WITHIN_MS and
 * in the same handover window: the receiver's processing time, from the wire.
 */
function linkTurnarounds(messages: SignallingMessage[]): void {
  const sentBy = new Map<string, SignallingMessage[]>();
  for (const m of messages) if (m.sentT !== undefined) (sentBy.get(m.from) ?? sentBy.set(m.from, []).get(m.from)!).push(m);
  for (const list of sentBy.values()) list.sort((a, b) => (a.sentT as number) - (b.sentT as number));
  for (const m of messages) {
    if (m.receivedT === undefined) continue;
    const r = m.receivedT;
    const next = sentBy.get(m.to)?.find((x) => (x.sentT as number) >= r);
    if (!next || next.handover !== m.handover || (next.sentT as number) - r > NEXT_SEND_WITHIN_MS) continue;
    m.nextSend = { name: next.name, to: next.to, afterMs: ms((next.sentT as number) - r) };
  }
}

/** Acknowledgements: they go with their request (same sequence number, the other way). */
const ANSWERS = new Set(['PBA', 'BA', 'HAck', 'LRA', 'BRA', 'LMR']);

/**
 * The mobile node whose registration a message is part of: the one its MN
 * identifier names (location updates, context transfers, revocations).
 * Route optimisation (queries, redirects) names only a home prefix, of the
 * correspondent as often as of the mover, and is left to the time window.
 */
function mobileNodeOf(m: MhMessage, mnIds: ReadonlyMap<string, string>): string | undefined {
  for (const o of m.options) if (o.kind === 'mnId' && mnIds.has(o.id)) return mnIds.get(o.id);
  return undefined;
}

function lastAtOrBefore(sorted: readonly HandoverRecord[], t: number): HandoverRecord | undefined {
  let found: HandoverRecord | undefined;
  for (const h of sorted) {
    if (h.at > t) break;
    found = h;
  }
  return found;
}
