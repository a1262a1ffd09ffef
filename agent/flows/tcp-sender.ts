import net from 'node:net';
import { monoMs } from '../../shared/clock.js';
import { writeFlowHeader } from '../../shared/flow-format.js';
import { SendMeter, errorCode } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import { Schedule } from './schedule.js';
import type { NodeSockets } from '../io/node-io.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** How long `stop` lets the stream drain before it resets the connection. */
const CLOSE_GRACE_MS = 2000;
/** Most bytes written in one tick. */
const MAX_WRITE = 256 * 1024;

export interface TcpSenderOptions {
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  /** The flow id carried in every record (hash of the flow name). */
  wireId: number;
  destination: string;
  port: number;
  /** Source address to bind; default: the one the kernel picks now. */
  source?: string;
  /** Bytes per second to write (the manager caps "as fast as possible" at TCP_MAX_RATE). */
  rate: number;
  /** Bytes per record (header included). */
  size: number;
}

/**
 * A long-lived TCP stream of fixed-size records (a flow header each) from a
 * bound source address, written on a drift-free schedule at `rate` bytes/s;
 * when the socket's buffer is full (a stall during a handover) it waits for
 * the window to open. A broken session is reported and ends the flow: there
 * is no reconnect.
 */
export class TcpSender implements FlowRunner {
  readonly meter = new SendMeter(monoMs());
  private readonly schedule: Schedule;
  private readonly maxBurst: number;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  private afterDrain = false;
  private drainWaits = 0;
  private stopped = false;
  private broken = false;
  private readonly sourcePort: number | null;

  private constructor(
    private readonly opts: TcpSenderOptions & { source: string },
    private readonly sock: net.Socket,
    private readonly hooks: FlowHooks,
  ) {
    this.sourcePort = sock.localPort ?? null;
    const perSecond = opts.rate / opts.size;
    this.schedule = new Schedule(perSecond, monoMs());
    this.maxBurst = Math.max(1, Math.min(Math.floor(MAX_WRITE / opts.size), Math.ceil(perSecond / 20)));
    sock.on('error', (e) => this.fail(e));
    sock.on('end', () => this.fail(new Error('the receiver closed the connection')));
    sock.on('close', () => this.fail(new Error('the connection closed')));
    sock.on('drain', () => {
      if (!this.waitingDrain) return;
      this.waitingDrain = false;
      this.afterDrain = true;
      this.tick();
    });
    sock.resume();
    this.tick();
  }

  static async open(opts: TcpSenderOptions, hooks: FlowHooks): Promise<TcpSender> {
    const source = opts.source ?? (await opts.sockets.kernelSource(opts.destination, opts.port));
    const sock = opts.sockets.tcpConnect(opts.destination, opts.port, source);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no connection to [${opts.destination}]:${opts.port} from ${source} within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve();
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        sock.destroy();
        reject(new Error(`cannot connect to [${opts.destination}]:${opts.port} from ${source}: ${e.message}`));
      });
    });
    sock.setNoDelay(true);
    return new TcpSender({ ...opts, source }, sock, hooks);
  }

  endpoints(): FlowEndpoints {
    return { source: this.opts.source, destination: this.opts.destination, port: this.opts.port };
  }

  extra(): Record<string, unknown> {
    return {
      sourcePort: this.sourcePort,
      lastSeq: this.seq,
      recordSize: this.opts.size,
      resyncs: this.schedule.resyncs,
      drainWaits: this.drainWaits,
      waitingForWindow: this.waitingDrain,
    };
  }

  interval(): Record<string, unknown> {
    return { lagMs: this.schedule.lagMs() };
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped || this.broken || this.waitingDrain) return;
    const now = monoMs();
    const n = Math.min(this.maxBurst, this.schedule.due(now));
    if (n > 0) {
      const ok = this.write(n);
      const behind = this.schedule.take(n, now);
      // Late after waiting for the window is TCP doing its job (resyncs counts it); late otherwise is the agent's.
      if (behind !== undefined && !this.afterDrain) this.hooks.behind(behind);
      this.afterDrain = false;
      if (!ok) {
        this.waitingDrain = true;
        this.drainWaits++;
        return;
      }
    }
    const wait = this.schedule.nextAt() - monoMs();
    this.timer = setTimeout(this.tick, wait > 1 ? Math.floor(wait) : 1);
  };

  /** Writes `n` records in one buffer; false when the socket wants to drain first. */
  private write(n: number): boolean {
    const size = this.opts.size;
    const buf = Buffer.alloc(n * size);
    const sendNs = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      this.seq = (this.seq + 1) >>> 0;
      writeFlowHeader(buf, { flowId: this.opts.wireId, seq: this.seq, sendNs, length: size }, i * size);
    }
    this.meter.sentOne(buf.length, n);
    return this.sock.write(buf);
  }

  private fail(e: Error): void {
    if (this.stopped || this.broken) return;
    this.broken = true;
    if (this.timer) clearTimeout(this.timer);
    this.meter.notice(errorCode(e));
    this.hooks.error(e, true, { sent: this.meter.sent, sentBytes: this.meter.sentBytes });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sock.destroyed) return;
    if (this.broken) {
      this.sock.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sock.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      this.sock.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.sock.end();
    });
  }
}
