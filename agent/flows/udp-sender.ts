import dgram from 'node:dgram';
import { monoMs } from '../../shared/clock.js';
import { writeFlowHeader } from '../../shared/flow-format.js';
import { SendMeter, errorCode } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import { Schedule } from './schedule.js';
import type { NodeSockets } from '../io/node-io.js';

export interface UdpSenderOptions {
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  /** The flow id carried in every packet (hash of the flow name). */
  wireId: number;
  destination: string;
  port: number;
  /** Source address to bind; default: the one the kernel picks now. */
  source?: string;
  /** Packets per second. */
  rate: number;
  /** Payload bytes per packet (header included). */
  size: number;
  /** Stop after the packets due within this many milliseconds. */
  durationMs?: number;
}

/**
 * UDP at a fixed packet rate: a socket bound to the source address and
 * connected to the destination (so the session keeps its source across
 * handovers), sequence-numbered, timestamped payloads on a drift-free
 * schedule. Failed sends (no address, no route while between cells) are
 * counted and sending goes on.
 */
export class UdpSender implements FlowRunner {
  readonly meter: SendMeter;
  readonly selfTimed = true;
  private readonly schedule: Schedule;
  private seq = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly maxBurst: number;

  private constructor(
    private readonly opts: UdpSenderOptions & { source: string },
    private readonly sock: dgram.Socket,
    private readonly localPort: number,
    private readonly hooks: FlowHooks,
  ) {
    const now = monoMs();
    this.meter = new SendMeter(now);
    const limit = opts.durationMs === undefined ? Infinity : Math.max(1, Math.ceil((opts.durationMs * opts.rate) / 1000));
    this.schedule = new Schedule(opts.rate, now, limit);
    this.maxBurst = Math.max(16, Math.ceil(opts.rate / 20));
    // Errors a connected socket reports later (ICMP port unreachable as ECONNREFUSED): noted, not fatal.
    sock.on('error', (e) => this.meter.notice(errorCode(e)));
    this.tick();
  }

  static async open(opts: UdpSenderOptions, hooks: FlowHooks): Promise<UdpSender> {
    const source = opts.source ?? (await opts.sockets.kernelSource(opts.destination, opts.port));
    const sock = await opts.sockets.udp(source, 0);
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', (e) => reject(new Error(`cannot connect to [${opts.destination}]:${opts.port} from ${source}: ${e.message}`)));
        sock.connect(opts.port, opts.destination, () => resolve());
      });
    } catch (e) {
      sock.close();
      throw e;
    }
    sock.removeAllListeners('error');
    return new UdpSender({ ...opts, source }, sock, sock.address().port, hooks);
  }

  endpoints(): FlowEndpoints {
    return { source: this.opts.source, destination: this.opts.destination, port: this.opts.port };
  }

  extra(): Record<string, unknown> {
    return { sourcePort: this.localPort, lastSeq: this.seq, resyncs: this.schedule.resyncs };
  }

  interval(): Record<string, unknown> {
    return { lagMs: this.schedule.lagMs() };
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = monoMs();
    const n = Math.min(this.maxBurst, this.schedule.due(now));
    for (let i = 0; i < n; i++) this.sendOne();
    const behind = n > 0 ? this.schedule.take(n, now) : undefined;
    if (behind !== undefined) this.hooks.behind(behind);
    if (this.schedule.done) {
      if (this.inFlight === 0) this.hooks.finished();
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
        if (err) this.meter.failed(errorCode(err));
        else this.meter.sentOne(size);
        if (--this.inFlight === 0 && this.schedule.done && !this.stopped) this.hooks.finished();
      });
    } catch (e) {
      this.inFlight--;
      this.meter.failed(errorCode(e));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await new Promise<void>((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
