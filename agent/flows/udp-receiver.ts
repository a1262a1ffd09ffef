import { monoMs } from '../../shared/clock.js';
import { FlowStats } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import type { FlowThread } from './flow-thread.js';
import { ReceiveLoop, enlargeReceiveBuffer, type ReceiveSink } from './udp-loops.js';
import type { NodeSockets } from '../io/node-io.js';

export interface UdpReceiverOptions {
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  /** The flow id expected in each header; packets of other flows are counted as foreign and ignored. */
  wireId: number;
  /** Address to bind (default the any address, whose packets' destination is then unknown). */
  address?: string;
  /** Port to bind (0: one the kernel picks, reported by `endpoints`). */
  port: number;
  /** Receives on the agent host's flow thread when the node's sockets can be handed over (netns runtime). */
  thread?: FlowThread;
}

/**
 * Receives a UDP flow: decodes each payload, accounts loss, duplicates,
 * reordering and one-way latency (receive minus send time on the shared
 * monotonic clock, taken where the packet is read: this thread or the agent
 * host's flow thread), and remembers where the last packet came from.
 */
export class UdpReceiver implements FlowRunner {
  readonly stats = new FlowStats({}, monoMs());
  private lastSource: string | null = null;
  private lastSourcePort: number | null = null;
  private malformed = 0;
  private foreign = 0;
  private stopLoop: () => Promise<void> = () => Promise.resolve();
  private port = 0;
  private thread: 'flow' | 'agent' = 'agent';

  private constructor(private readonly address: string) {}

  static async open(opts: UdpReceiverOptions, hooks: FlowHooks): Promise<UdpReceiver> {
    const address = opts.address ?? '::';
    const r = new UdpReceiver(address);
    const sink: ReceiveSink = {
      arrival: (seq, bytes, latencyMs, from, fromPort) => {
        r.stats.record(seq, bytes, latencyMs);
        r.lastSource = from;
        r.lastSourcePort = fromPort;
      },
      malformed: () => void r.malformed++,
      foreign: () => void r.foreign++,
      error: (e) => hooks.error(e, false),
    };
    if (opts.thread && opts.sockets.udpDescriptor) {
      const flow = await opts.thread.receiver(opts.sockets.udpDescriptor(address, opts.port), opts.wireId, sink, (e) => hooks.error(e, true));
      r.port = flow.localPort;
      r.stopLoop = () => flow.stop();
      r.thread = 'flow';
      return r;
    }
    const sock = await opts.sockets.udp(address, opts.port);
    enlargeReceiveBuffer(sock);
    const loop = new ReceiveLoop(sock, opts.wireId, sink);
    r.port = sock.address().port;
    r.stopLoop = () => loop.stop();
    return r;
  }

  endpoints(): FlowEndpoints {
    const any = this.address === '::' || this.address === '0.0.0.0';
    return { source: this.lastSource, destination: any ? null : this.address, port: this.port };
  }

  extra(): Record<string, unknown> {
    return { sourcePort: this.lastSourcePort, malformed: this.malformed, foreign: this.foreign, thread: this.thread };
  }

  stop(): Promise<void> {
    return this.stopLoop();
  }
}
