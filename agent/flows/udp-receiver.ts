import type dgram from 'node:dgram';
import { monoMs } from '../../shared/clock.js';
import { decodeFlowHeader } from '../../shared/flow-format.js';
import { FlowStats } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import type { NodeSockets } from '../io/node-io.js';

/** Receive buffer asked for, so a burst after a handover is not dropped by the socket (capped by net.core.rmem_max). */
const RECV_BUFFER = 4 << 20;

export interface UdpReceiverOptions {
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  /** The flow id expected in each header; packets of other flows are counted as foreign and ignored. */
  wireId: number;
  /** Address to bind (default the any address, whose packets' destination is then unknown). */
  address?: string;
  /** Port to bind (0: one the kernel picks, reported by `endpoints`). */
  port: number;
}

/**
 * Receives a UDP flow: decodes each payload, accounts loss, duplicates,
 * reordering and one-way latency (receive minus send time on the shared
 * monotonic clock), and remembers where the last packet came from.
 */
export class UdpReceiver implements FlowRunner {
  readonly stats = new FlowStats({}, monoMs());
  private lastSource: string | null = null;
  private lastSourcePort: number | null = null;
  private malformed = 0;
  private foreign = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly address: string,
    private readonly port: number,
    private readonly wireId: number,
    hooks: FlowHooks,
  ) {
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.on('error', (e) => hooks.error(e, false));
  }

  static async open(opts: UdpReceiverOptions, hooks: FlowHooks): Promise<UdpReceiver> {
    const address = opts.address ?? '::';
    const sock = await opts.sockets.udp(address, opts.port);
    try {
      sock.setRecvBufferSize(RECV_BUFFER);
    } catch {
      // keep the default size
    }
    return new UdpReceiver(sock, address, sock.address().port, opts.wireId, hooks);
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = process.hrtime.bigint();
    const h = decodeFlowHeader(msg);
    if (!h) {
      this.malformed++;
      return;
    }
    if (h.flowId !== this.wireId) {
      this.foreign++;
      return;
    }
    this.stats.record(h.seq, msg.length, Number(now - h.sendNs) / 1e6);
    this.lastSource = rinfo.address;
    this.lastSourcePort = rinfo.port;
  }

  endpoints(): FlowEndpoints {
    const any = this.address === '::' || this.address === '0.0.0.0';
    return { source: this.lastSource, destination: any ? null : this.address, port: this.port };
  }

  extra(): Record<string, unknown> {
    return { sourcePort: this.lastSourcePort, malformed: this.malformed, foreign: this.foreign };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
