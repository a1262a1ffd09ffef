/**
 * Replay protection for received MH messages. Every message carries an RFC 5213 Timestamp option;
 * a message is accepted only if
 *   1. its timestamp is within ±window of the receiver's clock, and
 *   2. the tuple (sender, kind, sequence number, timestamp) was not accepted before. Tuples are
 *      remembered for 2×window after acceptance, which outlives the timestamp check: a tuple
 *      accepted at t0 has a timestamp ≤ t0+window, so from t0+2×window on it fails check 1 anyway.
 * "kind" is the MH type refined by B.R. Type (BRI and BRA share MH type 16).
 * Memory is bounded by maxEntries; when full, the oldest tuple is dropped and its timestamp becomes
 * a floor: anything not newer than a dropped timestamp is refused, so eviction never lets a replay in.
 * Run it after verifyMessage: only authenticated messages should reach the guard.
 */
import { canonical } from '../ipv6.js';
import { timestampToMillis } from './mh-options.js';
import type { MessageKind, MhMessage } from './mh-types.js';

/** Settings of a replay guard. */
export interface ReplayGuardOptions {
  /** Accepted clock difference in ms, both ways (default 1500). */
  windowMs?: number;
  /** Receiver clock in Unix ms (default Date.now); injectable for tests. */
  now?: () => number;
  /** Most tuples remembered at once (default 4096). */
  maxEntries?: number;
}

/** What the guard looks at in a message. */
export interface ReplayTuple {
  /** Sender's IPv6 address (any spelling; compared canonically). */
  sender: string;
  /** Message kind (MH type, BRI/BRA told apart). */
  kind: MessageKind;
  /** Sequence number. */
  sequence: number;
  /** RFC 5213 timestamp from the Timestamp option. */
  timestamp: bigint;
}

/** Why a message was refused. */
export type ReplayRejection = 'no-timestamp' | 'stale' | 'future' | 'replay';

/** Verdict of the guard. */
export type ReplayVerdict = { ok: true } | { ok: false; reason: ReplayRejection; detail: string };

/** A stateful guard; one per receiving agent. */
export interface ReplayGuard {
  /** Checks and, if accepted, records a tuple. */
  check(tuple: ReplayTuple): ReplayVerdict;
  /** Checks a decoded message from `sender` (refuses one without a Timestamp option). */
  checkMessage(sender: string, message: MhMessage): ReplayVerdict;
  /** Number of tuples remembered now. */
  size(): number;
}

/** The tuple of a message, or undefined when it has no Timestamp option. */
export function replayTupleOf(sender: string, message: MhMessage): ReplayTuple | undefined {
  const ts = message.options.find((o) => o.kind === 'timestamp');
  if (ts === undefined || ts.kind !== 'timestamp') return undefined;
  return { sender, kind: message.type, sequence: message.sequence, timestamp: ts.value };
}

/** A new guard with an empty memory. */
export function createReplayGuard(opts: ReplayGuardOptions = {}): ReplayGuard {
  const windowMs = opts.windowMs ?? 1500;
  const now = opts.now ?? Date.now;
  const maxEntries = Math.max(1, opts.maxEntries ?? 4096);
  const seen = new Map<string, { expires: number; timestamp: bigint }>();
  let floor = -1n;

  const purge = (t: number): void => {
    for (const [key, entry] of seen) {
      if (entry.expires > t) break;
      seen.delete(key);
    }
  };

  const check = (tuple: ReplayTuple): ReplayVerdict => {
    const t = now();
    purge(t);
    const skew = timestampToMillis(tuple.timestamp) - t;
    if (skew < -windowMs) return { ok: false, reason: 'stale', detail: `timestamp ${-skew} ms old, window ${windowMs} ms` };
    if (skew > windowMs) return { ok: false, reason: 'future', detail: `timestamp ${skew} ms ahead, window ${windowMs} ms` };
    const key = `${senderKey(tuple.sender)}|${tuple.kind}|${tuple.sequence}|${tuple.timestamp}`;
    if (seen.has(key)) return { ok: false, reason: 'replay', detail: `already accepted ${key}` };
    if (tuple.timestamp <= floor) return { ok: false, reason: 'replay', detail: `timestamp not newer than a forgotten one (memory full)` };
    while (seen.size >= maxEntries) evictOldest();
    seen.set(key, { expires: t + 2 * windowMs, timestamp: tuple.timestamp });
    return { ok: true };
  };

  const evictOldest = (): void => {
    const first = seen.entries().next();
    if (first.done === true) return;
    const [key, entry] = first.value;
    seen.delete(key);
    if (entry.timestamp > floor) floor = entry.timestamp;
  };

  return {
    check,
    checkMessage(sender, message) {
      const tuple = replayTupleOf(sender, message);
      if (tuple === undefined) return { ok: false, reason: 'no-timestamp', detail: `${message.type} has no Timestamp option` };
      return check(tuple);
    },
    size: () => seen.size,
  };
}

/** Canonical address text, or the text as given when it is not a plain address (e.g. has a %zone). */
function senderKey(sender: string): string {
  try {
    return canonical(sender);
  } catch {
    return sender.toLowerCase();
  }
}
