import type { NodeSockets } from '../io/node-io.js';
import net from 'node:net';
import { monoMs } from '../../shared/clock.js';
import { FLOW_HEADER_BYTES, decodeFlowHeader, type FlowHeader } from '../../shared/flow-format.js';
import { FlowStats } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';

/** Largest record accepted (the flow spec's largest size). */
const MAX_RECORD = 65_000;

/**
 * Cuts a TCP stream into flow records: the first header gives the record
 * size, every record after it has the same. `push` answers an error message
 * when the stream is not (or no longer) a sequence of records.
 */
export class RecordCutter {
  private size = 0;
  private buf = Buffer.alloc(FLOW_HEADER_BYTES);
  private fill = 0;
  private records = 0;
  /** Bytes pushed so far. */
  streamBytes = 0;

  constructor(private readonly onRecord: (h: FlowHeader) => void) {}

  push(chunk: Buffer): string | undefined {
    this.streamBytes += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      if (this.size && this.fill === 0 && chunk.length - off >= this.size) {
        const err = this.cut(chunk.subarray(off, off + this.size));
        if (err) return err;
        off += this.size;
        continue;
      }
      const want = this.size || FLOW_HEADER_BYTES;
      const take = Math.min(want - this.fill, chunk.length - off);
      chunk.copy(this.buf, this.fill, off, off + take);
      this.fill += take;
      off += take;
      if (this.fill < want) break;
      if (!this.size) {
        const h = decodeFlowHeader(this.buf, { truncated: true });
        if (!h || h.length > MAX_RECORD) return 'the stream does not start with a flow record';
        this.size = h.length;
        if (this.size > FLOW_HEADER_BYTES) {
          const grown = Buffer.alloc(this.size);
          this.buf.copy(grown, 0, 0, this.fill);
          this.buf = grown;
          continue;
        }
      }
      this.fill = 0;
      const err = this.cut(this.buf);
      if (err) return err;
    }
    return undefined;
  }

  private cut(record: Buffer): string | undefined {
    const h = decodeFlowHeader(record);
    if (!h) return `record ${this.records + 1} (stream byte ${this.records * this.size}) is not a flow record of ${this.size} bytes`;
    this.records++;
    this.onRecord(h);
    return undefined;
  }
}

export interface TcpReceiverOptions {
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  /** The flow id expected in each record. */
  wireId: number;
  /** Address to listen on (default the any address). */
  address?: string;
  /** Port (0: one the kernel picks, reported by `endpoints`). */
  port: number;
}

/**
 * Receives TCP flows: a listening socket; each connection's stream is cut
 * into records and accounted like UDP packets (sequence numbers, one-way
 * latency of each record's completion). A connection that breaks is reported
 * as `flow.error`; the receiver keeps listening.
 */
export class TcpReceiver implements FlowRunner {
  readonly stats = new FlowStats({}, monoMs());
  private readonly conns = new Set<net.Socket>();
  private connections = 0;
  private lastSource: string | null = null;
  private lastDestination: string | null = null;
  private lastSourcePort: number | null = null;
  private streamBytes = 0;
  private foreign = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly address: string,
    private readonly port: number,
    private readonly wireId: number,
    private readonly hooks: FlowHooks,
  ) {
    server.on('connection', (c) => this.accept(c));
    server.on('error', (e) => hooks.error(e, false));
  }

  static async open(opts: TcpReceiverOptions, hooks: FlowHooks): Promise<TcpReceiver> {
    const address = opts.address ?? '::';
    const server = await opts.sockets.tcpListen(address, opts.port);
    const bound = server.address();
    return new TcpReceiver(server, address, typeof bound === 'object' && bound ? bound.port : opts.port, opts.wireId, hooks);
  }

  private accept(c: net.Socket): void {
    this.conns.add(c);
    this.connections++;
    const peer = { source: c.remoteAddress ?? null, sourcePort: c.remotePort ?? null, destination: c.localAddress ?? null };
    const cutter = new RecordCutter((h) => {
      if (h.flowId !== this.wireId) {
        this.foreign++;
        return;
      }
      this.stats.record(h.seq, h.length, Number(process.hrtime.bigint() - h.sendNs) / 1e6);
      this.lastSource = peer.source;
      this.lastSourcePort = peer.sourcePort;
      this.lastDestination = peer.destination;
    });
    c.on('data', (chunk: Buffer) => {
      this.streamBytes += chunk.length;
      const err = cutter.push(chunk);
      if (err) {
        this.hooks.error(new Error(`from [${peer.source}]:${peer.sourcePort}: ${err}`), false, peer);
        c.destroy();
      }
    });
    c.on('error', (e) =>
      this.hooks.error(new Error(`connection from [${peer.source}]:${peer.sourcePort} broke: ${e.message}`), false, {
        ...peer,
        code: (e as NodeJS.ErrnoException).code,
      }),
    );
    c.on('close', () => this.conns.delete(c));
  }

  endpoints(): FlowEndpoints {
    const any = this.address === '::' || this.address === '0.0.0.0';
    return { source: this.lastSource, destination: this.lastDestination ?? (any ? null : this.address), port: this.port };
  }

  extra(): Record<string, unknown> {
    return { sourcePort: this.lastSourcePort, connections: this.connections, open: this.conns.size, streamBytes: this.streamBytes, foreign: this.foreign };
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
