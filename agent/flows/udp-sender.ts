import type dgram from 'node:dgram';
import { monoMs } from '../../shared/clock.js';
import { SendMeter } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import { ReportedProgress, type FlowThread } from './flow-thread.js';
import { SendLoop, closeSocket, connectSocket, type SendProgress, type SendSink } from './udp-loops.js';
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
  /** Sends on the agent host's flow thread when the node's sockets can be handed over (netns runtime). */
  thread?: FlowThread;
}

/**
 * UDP at a fixed packet rate: a socket bound to the source address and
 * connected to the destination (so the session keeps its source across
 * handovers), sequence-numbered, timestamped payloads on a drift-free
 * schedule (udp-loops.ts). Failed sends (no address, no route while between
 * cells) are counted and sending goes on. The loop runs on this thread, or on
 * the agent host's flow thread, whose figures are replayed into the meter.
 */
export class UdpSender implements FlowRunner {
  readonly meter: SendMeter;
  readonly selfTimed = true;

  private constructor(
    private readonly opts: UdpSenderOptions & { source: string },
    private readonly localPort: number,
    private readonly progress: SendProgress,
    private readonly stopLoop: () => Promise<void>,
    meter: SendMeter,
    private readonly thread: 'flow' | 'agent',
  ) {
    this.meter = meter;
  }

  static async open(opts: UdpSenderOptions, hooks: FlowHooks): Promise<UdpSender> {
    const source = opts.source ?? (await opts.sockets.kernelSource(opts.destination, opts.port));
    const full = { ...opts, source };
    const meter = new SendMeter(monoMs());
    const sink: SendSink = {
      sent: (packets, bytes) => meter.sentOne(bytes, packets),
      failed: (code) => meter.failed(code),
      notice: (code) => meter.notice(code),
      behind: (lag) => hooks.behind(lag),
      finished: () => hooks.finished(),
    };
    const loopOpts = { wireId: opts.wireId, rate: opts.rate, size: opts.size, durationMs: opts.durationMs };
    if (opts.thread && opts.sockets.udpDescriptor) {
      const fd = opts.sockets.udpDescriptor(source, 0);
      const progress = new ReportedProgress();
      const flow = await opts.thread.sender(fd, { source, destination: opts.destination, port: opts.port }, loopOpts, sink, progress, (e) =>
        hooks.error(e, true),
      );
      return new UdpSender(full, flow.localPort, progress, () => flow.stop(), meter, 'flow');
    }
    const sock: dgram.Socket = await opts.sockets.udp(source, 0);
    try {
      await connectSocket(sock, opts.destination, opts.port, source);
    } catch (e) {
      await closeSocket(sock);
      throw e;
    }
    const loop = new SendLoop(sock, loopOpts, sink);
    return new UdpSender(full, sock.address().port, loop, () => loop.stop(), meter, 'agent');
  }

  endpoints(): FlowEndpoints {
    return { source: this.opts.source, destination: this.opts.destination, port: this.opts.port };
  }

  extra(): Record<string, unknown> {
    return { sourcePort: this.localPort, lastSeq: this.progress.lastSeq, resyncs: this.progress.resyncs, thread: this.thread };
  }

  interval(): Record<string, unknown> {
    return { lagMs: this.progress.lagMs() };
  }

  stop(): Promise<void> {
    return this.stopLoop();
  }
}
