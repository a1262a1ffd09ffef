import type { Plan } from '../plan/types.js';
import { messageName } from '../../shared/protocol/summary.js';
import { decodeMessage, type MhMessage } from '../../shared/protocol/index.js';
import type { SignallingAnalysis, SignallingMessage } from './types.js';
import type { AddressBook, HeldPrefix } from './address-book.js';
import type { CaptureData } from './capture-data.js';
import { ms } from './numbers.js';
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
    const times = [...m.times].sort((a, b) => a - b);
    const firsts: number[] = [];
    for (const t of times) if (firsts.length === 0 || t - (firsts[firsts.length - 1] as number) > SAME_MESSAGE_MS) firsts.push(t);
    const r = decodeMessage(m.bytes);
    if (!r.ok) {
      undecodable += firsts.length;
      continue;
    }
    for (const t of firsts) messages.push({ t, src: m.src, dst: m.dst, bytes: m.bytes.length, message: r.message });
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
 * every message: a message belongs to the latest handover whose `at` is not
 * after it (the window from one handover of the run to the next); messages
 * before the first handover belong to none. Unknown addresses stand for themselves.
 */
export function signallingAnalysis(
  wire: { messages: readonly WireMessage[]; undecodable: number },
  book: AddressBook,
  handovers: readonly HandoverRecord[],
): SignallingAnalysis {
  const order = [...handovers].sort((a, b) => a.at - b.at || a.index - b.index);
  const messages: SignallingMessage[] = wire.messages.map((w) => {
    const h = lastAtOrBefore(order, w.t);
    return {
      t: ms(w.t),
      name: messageName(w.message),
      from: book.nodeOf(w.src) ?? w.src,
      to: book.nodeOf(w.dst) ?? w.dst,
      fromAddress: w.src,
      toAddress: w.dst,
      seq: w.message.sequence,
      bytes: w.bytes,
      ...(h ? { handover: h.index } : {}),
    };
  });
  const totals: SignallingAnalysis['totals'] = {};
  const byIndex = new Map<number, { handover: number; counts: Record<string, number>; bytes: number }>(
    handovers.map((h) => [h.index, { handover: h.index, counts: {}, bytes: 0 }]),
  );
  for (const m of messages) {
    const t = (totals[m.name] ??= { count: 0, bytes: 0 });
    t.count++;
    t.bytes += m.bytes;
    const h = m.handover === undefined ? undefined : byIndex.get(m.handover);
    if (h) {
      h.counts[m.name] = (h.counts[m.name] ?? 0) + 1;
      h.bytes += m.bytes;
    }
  }
  const byHandover = [...byIndex.values()].sort((a, b) => a.handover - b.handover);
  return { messages, totals, byHandover, undecodable: wire.undecodable };
}

function lastAtOrBefore(sorted: readonly HandoverRecord[], t: number): HandoverRecord | undefined {
  let found: HandoverRecord | undefined;
  for (const h of sorted) {
    if (h.at > t) break;
    found = h;
  }
  return found;
}
