import type dgram from 'node:dgram';
import { monoMs } from '../../shared/clock.js';
import { decodeFlowHeader, writeFlowHeader } from '../../shared/flow-format.js';
import { errorCode } from './flow-stats.js';
import { Schedule } from './schedule.js';

/** What a sending loop reports, packet by packet or in batches (flow-thread.ts). */
export interface SendSink {
  sent(packets: number, bytes: number): void;
  /** A send failed (no address, no route while between cells): counted, sending goes on. */
  failed(code: string): void;
  /** An error the socket reported later (ICMP port unreachable as ECONNREFUSED): counted, not a failed send. */
  notice(code: string): void;
  /** The schedule fell more than a second behind and restarted from now. */
  behind(lagMs: number): void;
  /** Every packet of a limited flow is sent. */
  finished(): void;
}

/** What a receiving loop reports. */
export interface ReceiveSink {
  /** One packet of the flow: its sequence number, payload bytes and one-way latency (ms). */
  arrival(seq: number, bytes: number, latencyMs: number, from: string, fromPort: number): void;
  /** A payload that is no flow header. */
  malformed(): void;
  /** A packet of another flow. */
  foreign(): void;
  error(e: Error): void;
}

/** The parameters of a sending loop (the socket is connected to the destination already). */
export interface SendLoopOptions {
  wireId: number;
  /** Packets per second. */
  rate: number;
  /** Payload bytes per packet (header included). */
  size: number;
  /** Stop after the packets due within this many milliseconds. */
  durationMs?: number;
}

/** A sender's figures that are not counts: read by the flow's interval report. */
export interface SendProgress {
  /** Worst lateness (ms) of the schedule since the previous call. */
  lagMs(): number;
  readonly lastSeq: number;
  readonly resyncs: number;
}

/**
 * Sends sequence-numbered, timestamped payloads at a fixed rate on a
 * drift-free schedule through a connected socket. Runs wherever its socket
 * lives: the agent's thread, or the flow thread (flow-thread.ts).
 */
export class SendLoop implements SendProgress {
  private readonly schedule: Schedule;
  private seq = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly maxBurst: number;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly opts: SendLoopOptions,
    private readonly sink: SendSink,
  ) {
    const now = monoMs();
    const limit = opts.durationMs === undefined ? Infinity : Math.max(1, Math.ceil((opts.durationMs * opts.rate) / 1000));
    this.schedule = new Schedule(opts.rate, now, limit);
    this.maxBurst = Math.max(16, Math.ceil(opts.rate / 20));
    sock.on('error', (e) => sink.notice(errorCode(e)));
    this.tick();
  }

  get lastSeq(): number {
    return this.seq;
  }

  get resyncs(): number {
    return this.schedule.resyncs;
  }

  lagMs(): number {
    return this.schedule.lagMs();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = monoMs();
    const n = Math.min(this.maxBurst, this.schedule.due(now));
    for (let i = 0; i < n; i++) this.sendOne();
    const behind = n > 0 ? this.schedule.take(n, now) : undefined;
    if (behind !== undefined) this.sink.behind(behind);
    if (this.schedule.done) {
      if (this.inFlight === 0) this.sink.finished();
      return;
    }
    // Wake at the next due time (timers have millisecond resolution; a short wait still yields to I/O).
    const wait = this.schedule.nextAt() - monoMs();
    this.timer = setTimeout(this.tick, wait > 1 ? Math.floor(wait) : 1);
  };

  private sendOne(): void {
    this.seq = (this.seq + 1) >>> 0;
    const size = this.opts.size;
    const buf = Buffer.alloc(size);
    writeFlowHeader(buf, { flowId: this.opts.wireId, seq: this.seq, sendNs: process.hrtime.bigint(), length: size });
    this.inFlight++;
    try {
      this.sock.send(buf, (err) => {
        if (err) this.sink.failed(errorCode(err));
        else this.sink.sent(1, size);
        if (--this.inFlight === 0 && this.schedule.done && !this.stopped) this.sink.finished();
      });
    } catch (e) {
      this.inFlight--;
      this.sink.failed(errorCode(e));
    }
  }

  /** Stops sending and closes the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await closeSocket(this.sock);
  }
}

/** Receives a flow's packets on a bound socket: decodes each header and reports it with its one-way latency. */
export class ReceiveLoop {
  constructor(
    private readonly sock: dgram.Socket,
    private readonly wireId: number,
    private readonly sink: ReceiveSink,
  ) {
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.on('error', (e) => sink.error(e));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = process.hrtime.bigint();
    const h = decodeFlowHeader(msg);
    if (!h) return this.sink.malformed();
    if (h.flowId !== this.wireId) return this.sink.foreign();
    this.sink.arrival(h.seq, msg.length, Number(now - h.sendNs) / 1e6, rinfo.address, rinfo.port);
  }

  async stop(): Promise<void> {
    await closeSocket(this.sock);
  }
}

/** Receive buffer asked for, so a burst after a handover is not dropped by the socket (capped by net.core.rmem_max). */
export const RECV_BUFFER = 4 << 20;

/** Asks for the receive buffer a flow wants; the default stays when the kernel refuses. */
export function enlargeReceiveBuffer(sock: dgram.Socket): void {
  try {
    sock.setRecvBufferSize(RECV_BUFFER);
  } catch {
    // keep the default size
  }
}

/** Connects a UDP socket to the flow's destination; rejects naming both ends. */
export function connectSocket(sock: dgram.Socket, destination: string, port: number, source: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    sock.once('error', (e) => reject(new Error(`cannot connect to [${destination}]:${port} from ${source}: ${e.message}`)));
    sock.connect(port, destination, () => {
      sock.removeAllListeners('error');
      resolve();
    });
  });
}

export function closeSocket(sock: dgram.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
