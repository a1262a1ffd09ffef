import type dgram from 'node:dgram';
import type { NodeSockets } from '../io/node-io.js';
import { canonical } from '../../shared/ipv6.js';
import {
  MH_UDP_PORT,
  createReplayGuard,
  decodeMessage,
  encodeMessage,
  timestampFromMillis,
  verifyMessage,
  withoutPadding,
  type MessageKind,
  type MhMessage,
  type ReplayGuard,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events.js';
import { pbuFlags } from '../../shared/protocol/dmm-options.js';
import { messageName, summarize } from '../../shared/protocol/summary.js';
import type { SignallingCounters } from '../../shared/control/role-state.js';
import { Rejections } from './rejections.js';
import { signallingActivity } from '../util/after-signalling.js';

/** A message that arrived, authenticated and fresh. */
export interface Inbound {
  message: MhMessage;
  /** Sender address (scope stripped). */
  from: string;
  /** Scope (interface) for link-local senders. */
  scope?: string;
}

export type Handler = (m: Inbound) => Promise<MhMessage | undefined> | MhMessage | undefined;

const REPLY_OF: Partial<Record<MessageKind, MessageKind>> = { PBU: 'PBA', HI: 'HAck', LRI: 'LRA', BRI: 'BRA', EXP: 'EXP' };

export interface RequestOptions {
  timeoutMs?: number;
  attempts?: number;
}

/** What roles need of the signalling transport (tests give them a fake). */
export interface SignallingPort {
  /** Registers a handler for incoming requests that `match` accepts; its return value is sent back as the reply. */
  on(match: (m: MhMessage) => boolean, handle: Handler): void;
  /** Sends a request and resolves with its acknowledgement (retransmitting; rejects after the last attempt). */
  request(msg: MhMessage, to: string, opts?: RequestOptions): Promise<Inbound>;
  /** Listens on `address` (a global address, or `fe80::...%iface` for a link). */
  listen(address: string): Promise<void>;
}

/**
 * Mobility Header signalling over UDP port 5436. Every message sent carries a
 * Timestamp option and is signed (HMAC-SHA256, the lab's key); every message
 * received is decoded, verified and checked against replays before a handler
 * sees it. Malformed, unauthenticated or replayed messages are counted, logged
 * and dropped; they never reach a role. Requests are retransmitted and matched
 * with their acknowledgement by sender, kind and sequence number.
 */
export class Signalling implements SignallingPort {
  private readonly bound = new Map<string, { socket: dgram.Socket; address: string }>();
  private readonly handlers: { match: (m: MhMessage) => boolean; handle: Handler }[] = [];
  private readonly pending = new Map<string, (m: Inbound) => void>();
  private readonly guard: ReplayGuard = createReplayGuard();
  private seq = Math.floor(Math.random() * 0xffff);
  private readonly rejections: Rejections;
  readonly counters: SignallingCounters = { sent: 0, received: 0, malformed: 0, unauthenticated: 0, replayed: 0, unhandled: 0, timeouts: 0 };
  private readonly byName: NonNullable<SignallingCounters['byName']> = {};

  constructor(
    private readonly events: EventBus,
    private readonly key: { spi: number; key: Uint8Array },
    /** Opens the node's sockets (in its namespace). */
    private readonly sockets: Pick<NodeSockets, 'udp'>,
  ) {
    this.rejections = new Rejections(events);
  }

  /** The counters, with the refused messages by reason and sender. */
  snapshot(): SignallingCounters {
    return { ...this.counters, byName: structuredClone(this.byName), rejections: this.rejections.counts() };
  }

  /** Listens on `address` (a global address, or `fe80::...%iface` for a link). */
  async listen(address: string): Promise<void> {
    const socket = await this.sockets.udp(address, MH_UDP_PORT);
    const [bare, scope] = address.split('%') as [string, string | undefined];
    socket.on('message', (buf, rinfo) => this.receive(new Uint8Array(buf), rinfo.address, canonical(bare), scope));
    socket.on('error', (e) => this.events.log('error', `signalling socket ${address}: ${e.message}`));
    // A node whose address changed (a Mobile IPv6 care-of address) listens on the new one only.
    const before = this.bound.get(scope ?? '');
    this.bound.set(scope ?? '', { socket, address: canonical(bare) });
    if (before && before.socket !== socket) before.socket.close();
  }

  /**
   * Runs the send and receive paths once on a throw-away message, so that the
   * first real binding update does not pay for lazy initialisation (HMAC
   * context, dgram send path, first compilation of the codec): measured at
   * about 4 ms of CPU on the first message of a fresh agent, which showed up
   * as handover interruption. The datagram goes to the discard port of the
   * node's own loopback, which no lab capture sees.
   */
  warmUp(): void {
    const s = this.bound.get('');
    if (!s) return;
    const msg: MhMessage = {
      type: 'PBU',
      sequence: 0,
      flags: pbuFlags(),
      lifetime: 0,
      options: [{ kind: 'timestamp', value: timestampFromMillis(Date.now()) }],
    };
    const bytes = encodeMessage(msg, { src: s.address, dst: s.address, auth: this.key });
    const decoded = decodeMessage(bytes);
    verifyMessage(bytes, { src: s.address, dst: s.address, keyForSpi: () => this.key.key });
    if (decoded.ok) summarize(withoutPadding(decoded.message));
    s.socket.send(new Uint8Array(0), 9, '::1', () => undefined);
  }

  /** Registers a handler for incoming requests that `match` accepts; its return value is sent back as the reply. */
  on(match: (m: MhMessage) => boolean, handle: Handler): void {
    this.handlers.push({ match, handle });
  }

  nextSequence(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  private tally(m: MhMessage): { sent: number; sentBytes: number; received: number; receivedBytes: number } {
    const name = messageName(m);
    return (this.byName[name] ??= { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0 });
  }

  /** Sends a message (its Timestamp and authentication are added here). */
  send(msg: MhMessage, to: string): void {
    const [dst, scope] = to.split('%') as [string, string | undefined];
    const s = this.bound.get(scope ?? '') ?? this.bound.get('');
    if (!s) throw new Error(`no signalling socket for ${to}`);
    const options = [
      ...msg.options.filter((o) => o.kind !== 'timestamp' && o.kind !== 'auth'),
      { kind: 'timestamp' as const, value: timestampFromMillis(Date.now()) },
    ];
    const bytes = encodeMessage({ ...msg, options }, { src: s.address, dst: canonical(dst), auth: this.key });
    s.socket.send(bytes, MH_UDP_PORT, to);
    signallingActivity();
    this.counters.sent++;
    const n = this.tally(msg);
    n.sent++;
    n.sentBytes += bytes.length;
    const peer = canonical(dst);
    this.events.emitLater('mh.sent', () => ({ to: peer, bytes: bytes.length, ...summarize(msg) }));
  }

  /**
   * Sends a request and resolves with its acknowledgement; retransmits with a
   * new sequence number, and rejects after the last attempt times out.
   */
  async request(msg: MhMessage, to: string, opts: RequestOptions = {}): Promise<Inbound> {
    const attempts = opts.attempts ?? 3;
    const timeoutMs = opts.timeoutMs ?? 300;
    const reply = REPLY_OF[msg.type];
    if (!reply) throw new Error(`${msg.type} is not a request`);
    const peer = canonical(to.split('%')[0] as string);
    const keys: string[] = [];
    try {
      return await new Promise<Inbound>((resolve, reject) => {
        let attempt = 0;
        let timer: NodeJS.Timeout | undefined;
        const fire = () => {
          if (attempt >= attempts) {
            this.counters.timeouts++;
            this.events.emit('mh.timeout', { to: peer, msg: summarize(msg).msg, attempts });
            reject(new Error(`no ${reply} from ${peer} after ${attempts} attempts`));
            return;
          }
          attempt++;
          if (attempt > 1) this.counters.retransmitted = (this.counters.retransmitted ?? 0) + 1;
          const seq = this.nextSequence();
          const key = `${peer}|${reply}|${seq}`;
          keys.push(key);
          this.pending.set(key, (m) => {
            if (timer) clearTimeout(timer);
            resolve(m);
          });
          this.send({ ...msg, sequence: seq }, to);
          timer = setTimeout(fire, timeoutMs * attempt);
        };
        fire();
      });
    } finally {
      for (const k of keys) this.pending.delete(k);
    }
  }

  private receive(bytes: Uint8Array, fromRaw: string, localAddress: string, scope: string | undefined): void {
    signallingActivity();
    const from = canonical(fromRaw.split('%')[0] as string);
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      this.counters.malformed++;
      this.rejections.reject('malformed', from, () => ({
        from,
        reason: `malformed: ${decoded.error.reason}`,
        detail: decoded.error.detail,
        bytes: bytes.length,
      }));
      return;
    }
    const verdict = verifyMessage(bytes, { src: from, dst: localAddress, keyForSpi: (spi) => (spi === this.key.spi ? this.key.key : undefined) });
    if (!verdict.ok) {
      this.counters.unauthenticated++;
      this.rejections.reject('unauthenticated', from, () => ({
        from,
        reason: `unauthenticated: ${verdict.reason}`,
        detail: verdict.detail,
        bytes: bytes.length,
        ...summarize(decoded.message),
      }));
      return;
    }
    const fresh = this.guard.checkMessage(from, decoded.message);
    if (!fresh.ok) {
      this.counters.replayed++;
      this.rejections.reject('replay', from, () => ({
        from,
        reason: `replay: ${fresh.reason}`,
        detail: fresh.detail,
        bytes: bytes.length,
        ...summarize(decoded.message),
      }));
      return;
    }
    const message = withoutPadding(decoded.message);
    this.counters.received++;
    const n = this.tally(message);
    n.received++;
    n.receivedBytes += bytes.length;
    this.events.emitLater('mh.received', () => ({ from, bytes: bytes.length, ...summarize(message) }));
    const inbound: Inbound = { message, from, ...(scope ? { scope } : {}) };
    const waiting = this.pending.get(`${from}|${message.type}|${message.sequence}`);
    if (waiting) {
      waiting(inbound);
      return;
    }
    const h = this.handlers.find((x) => x.match(message));
    if (!h) {
      this.counters.unhandled++;
      this.rejections.reject('unhandled', from, () => ({ from, reason: 'no role here handles it', ...summarize(message) }));
      return;
    }
    void (async () => {
      try {
        const reply = await h.handle(inbound);
        if (reply) this.send({ ...reply, sequence: message.sequence }, scope ? `${fromRaw.split('%')[0]}%${scope}` : from);
      } catch (e) {
        this.events.log('error', `handling ${summarize(message).msg} from ${from}: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
  }

  close(): void {
    this.rejections.stop();
    for (const { socket } of this.bound.values()) socket.close();
    this.bound.clear();
  }
}
