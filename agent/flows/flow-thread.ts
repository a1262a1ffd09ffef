import { Worker } from 'node:worker_threads';
import { closeSync } from 'node:fs';
import { type FromFlowThread, type ReceiveBatch, type SendBatch, type ToFlowThread } from './flow-thread-messages.js';
import type { ReceiveSink, SendLoopOptions, SendProgress, SendSink } from './udp-loops.js';

/** A flow served by the flow thread, as its runner sees it. */
export interface ThreadFlow {
  /** The socket's local port. */
  localPort: number;
  /** Stops the flow there; resolves once its last figures have been replayed here. */
  stop(): Promise<void>;
}

interface Open {
  onBatch(b: SendBatch | ReceiveBatch): void;
  /** The thread died: the flow is gone. */
  onLost(e: Error): void;
  opened?: (localPort: number) => void;
  failed?: (e: Error) => void;
  stopped?: () => void;
}

/**
 * An agent host's flow thread (flow-thread-worker.ts runs in it): one per
 * process, started with the first UDP flow, serving every node's UDP flows
 * on their own thread. A flow's socket is opened in its node on this thread
 * (the namespace helper answers a descriptor, `NodeSockets.udpDescriptor`)
 * and handed over by number; the figures come
 * back in batches and are replayed into each flow's sink, so the flow's
 * runner, its meter and its statistics stay on this thread as before.
 */
export class FlowThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly flows = new Map<number, Open>();
  private dead: Error | undefined;

  /** `script`: the flow thread's bundle (dist/agent/flow-thread.mjs, from flow-thread-main.ts). */
  constructor(private readonly script: URL) {}

  /** Starts sending from the socket `fd` (bound to `source` in the node) to `destination`:`port`. */
  sender(
    fd: number,
    endpoints: { source: string; destination: string; port: number },
    opts: SendLoopOptions,
    sink: SendSink,
    progress: ReportedProgress,
    onLost: (e: Error) => void,
  ): Promise<ThreadFlow> {
    const onBatch = (b: SendBatch | ReceiveBatch) => {
      progress.take(b as SendBatch);
      replaySent(b as SendBatch, sink);
    };
    return this.open({ op: 'send', fd, ...endpoints, ...opts }, onBatch, onLost);
  }

  /** Starts receiving flow `wireId` on the bound socket `fd`. */
  receiver(fd: number, wireId: number, sink: ReceiveSink, onLost: (e: Error) => void): Promise<ThreadFlow> {
    return this.open({ op: 'receive', fd, wireId }, (b) => replayReceived(b as ReceiveBatch, sink), onLost);
  }

  /** Ends the thread (the agent host stops): its flows were stopped before. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (w) {
      this.lose(w, new Error('the flow thread was stopped'));
      await w.terminate();
    }
    this.dead ??= new Error('the flow thread was stopped');
  }

  private open(
    msg: Omit<Extract<ToFlowThread, { op: 'send' | 'receive' }>, 'id'>,
    onBatch: (b: SendBatch | ReceiveBatch) => void,
    onLost: (e: Error) => void,
  ): Promise<ThreadFlow> {
    let worker: Worker;
    try {
      worker = this.start();
    } catch (e) {
      // The descriptor was to be the thread's to close.
      try {
        closeSync(msg.fd);
      } catch {
        // not open
      }
      throw e;
    }
    const id = this.nextId++;
    return new Promise<ThreadFlow>((resolve, reject) => {
      const entry: Open = {
        onBatch,
        onLost,
        opened: (localPort) => {
          entry.opened = entry.failed = undefined;
          resolve({ localPort, stop: () => this.stopFlow(id) });
        },
        failed: (e) => {
          this.flows.delete(id);
          reject(e);
        },
      };
      this.flows.set(id, entry);
      worker.postMessage({ ...msg, id });
    });
  }

  private stopFlow(id: number): Promise<void> {
    const entry = this.flows.get(id);
    if (!entry || !this.worker) return Promise.resolve();
    const worker = this.worker;
    return new Promise<void>((resolve) => {
      entry.stopped = () => {
        this.flows.delete(id);
        resolve();
      };
      worker.postMessage({ op: 'stop', id } satisfies ToFlowThread);
    });
  }

  private start(): Worker {
    if (this.dead) throw this.dead;
    if (this.worker) return this.worker;
    const w = new Worker(this.script, { execArgv: [] });
    w.unref();
    w.on('message', (m: FromFlowThread) => this.onMessage(m));
    w.on('error', (e) => this.lose(w, new Error(`the flow thread failed: ${e.message}`)));
    w.on('exit', (code) => this.lose(w, new Error(`the flow thread ended (exit code ${code})`)));
    this.worker = w;
    return w;
  }

  /** The thread `w` is gone: every flow it served hears so (a stop under way completes), none starts again. */
  private lose(w: Worker, e: Error): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    this.dead = e;
    const flows = [...this.flows.values()];
    this.flows.clear();
    for (const f of flows) {
      if (f.failed) f.failed(e);
      else if (f.stopped) f.stopped();
      else f.onLost(e);
    }
  }

  private onMessage(m: FromFlowThread): void {
    const f = this.flows.get(m.id);
    if (!f) return;
    if (m.op === 'opened') f.opened?.(m.localPort);
    else if (m.op === 'failed') f.failed?.(new Error(m.message));
    else if (m.op === 'stopped') f.stopped?.();
    else f.onBatch(m);
  }
}

/** Replays a sender's batch into its sink. */
function replaySent(b: SendBatch, sink: SendSink): void {
  if (b.packets > 0) sink.sent(b.packets, b.bytes);
  for (const [code, n] of Object.entries(b.failed)) for (let i = 0; i < n; i++) sink.failed(code);
  for (const [code, n] of Object.entries(b.notices)) for (let i = 0; i < n; i++) sink.notice(code);
  for (const lag of b.behind) sink.behind(lag);
  if (b.finished) sink.finished();
}

function replayReceived(b: ReceiveBatch, sink: ReceiveSink): void {
  const a = b.arrivals;
  for (let i = 0; i + 2 < a.length; i += 3) sink.arrival(a[i]!, a[i + 1]!, a[i + 2]!, b.from ?? '', b.fromPort ?? 0);
  for (let i = 0; i < b.malformed; i++) sink.malformed();
  for (let i = 0; i < b.foreign; i++) sink.foreign();
  for (const e of b.errors) sink.error(new Error(e));
}

/** The progress of a sender on the flow thread, as its last batches told it. */
export class ReportedProgress implements SendProgress {
  lastSeq = 0;
  resyncs = 0;
  private lag = 0;

  take(b: SendBatch): void {
    this.lastSeq = b.lastSeq;
    this.resyncs = b.resyncs;
    if (b.lagMs > this.lag) this.lag = b.lagMs;
  }

  lagMs(): number {
    const l = this.lag;
    this.lag = 0;
    return l;
  }
}
