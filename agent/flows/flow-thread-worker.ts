import dgram from 'node:dgram';
import { closeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { FLUSH_MS, type FromFlowThread, type ReceiveBatch, type SendBatch, type ToFlowThread } from './flow-thread-messages.js';
import { ReceiveLoop, SendLoop, closeSocket, connectSocket, enlargeReceiveBuffer } from './udp-loops.js';

/** One flow served here: its loop and what it gathered since the last post. */
interface Served {
  stop(): Promise<void>;
  /** The figures gathered since the last post, or undefined when there are none. */
  take(): SendBatch | ReceiveBatch | undefined;
}

/**
 * The flow thread of an agent host (flow-thread.ts starts it): the UDP
 * flows' packets are sent and received here, on their own thread, so that
 * 1,000 packets a second (each forwarded through the lab's veths inside its
 * send call) never stand between a signalling message and its handler on the
 * host's thread. Figures go back every FLUSH_MS, and at once when a flow
 * finishes or falls behind.
 */
export function runFlowThread(): void {
  const port = parentPort;
  if (!port) throw new Error('the flow thread runs as a worker');
  const post = (m: FromFlowThread) => port.postMessage(m);
  const served = new Map<number, Served>();
  const flush = (id: number) => {
    const b = served.get(id)?.take();
    if (b) post(b);
  };
  const timer = setInterval(() => {
    for (const id of served.keys()) flush(id);
  }, FLUSH_MS);
  timer.unref();

  port.on('message', (m: ToFlowThread) => {
    if (m.op === 'stop') {
      const s = served.get(m.id);
      if (!s) return post({ op: 'stopped', id: m.id });
      void s.stop().finally(() => {
        flush(m.id);
        served.delete(m.id);
        post({ op: 'stopped', id: m.id });
      });
      return;
    }
    void open(m, () => flush(m.id))
      .then(({ served: s, localPort }) => {
        served.set(m.id, s);
        post({ op: 'opened', id: m.id, localPort });
      })
      .catch((e: unknown) => post({ op: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) }));
  });
}

async function open(m: Exclude<ToFlowThread, { op: 'stop' }>, urgent: () => void): Promise<{ served: Served; localPort: number }> {
  const sock = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ fd: m.fd }, () => {
        sock.removeListener('error', reject);
        resolve();
      });
    });
  } catch (e) {
    try {
      closeSync(m.fd);
    } catch {
      // not ours to close any more
    }
    throw new Error(`cannot take over socket ${m.fd}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    if (m.op === 'send') await connectSocket(sock, m.destination, m.port, m.source);
    else enlargeReceiveBuffer(sock);
  } catch (e) {
    await closeSocket(sock);
    throw e;
  }
  const localPort = sock.address().port;
  return { served: m.op === 'send' ? sender(m, sock, urgent) : receiver(m, sock, urgent), localPort };
}

function sender(m: Extract<ToFlowThread, { op: 'send' }>, sock: dgram.Socket, urgent: () => void): Served {
  let b = emptySend(m.id);
  let dirty = false;
  const count = (into: Record<string, number>, code: string) => {
    into[code] = (into[code] ?? 0) + 1;
    dirty = true;
  };
  const loop = new SendLoop(sock, m, {
    sent: (packets, bytes) => {
      b.packets += packets;
      b.bytes += bytes;
      dirty = true;
    },
    failed: (code) => count(b.failed, code),
    notice: (code) => count(b.notices, code),
    behind: (lag) => {
      b.behind.push(lag);
      dirty = true;
      urgent();
    },
    finished: () => {
      b.finished = true;
      dirty = true;
      urgent();
    },
  });
  return {
    stop: () => loop.stop(),
    take: () => {
      const lagMs = loop.lagMs();
      if (!dirty && lagMs === 0) return undefined;
      const out: SendBatch = { ...b, lastSeq: loop.lastSeq, resyncs: loop.resyncs, lagMs };
      b = emptySend(m.id);
      dirty = false;
      return out;
    },
  };
}

function emptySend(id: number): SendBatch {
  return { op: 'sent', id, packets: 0, bytes: 0, failed: {}, notices: {}, behind: [], finished: false, lastSeq: 0, resyncs: 0, lagMs: 0 };
}

function receiver(m: Extract<ToFlowThread, { op: 'receive' }>, sock: dgram.Socket, urgent: () => void): Served {
  let arrivals: number[] = [];
  let from: string | null = null;
  let fromPort: number | null = null;
  let malformed = 0;
  let foreign = 0;
  let errors: string[] = [];
  const loop = new ReceiveLoop(sock, m.wireId, {
    arrival: (seq, bytes, latencyMs, address, port) => {
      arrivals.push(seq, bytes, latencyMs);
      from = address;
      fromPort = port;
    },
    malformed: () => void malformed++,
    foreign: () => void foreign++,
    error: (e) => {
      errors.push(e.message);
      urgent();
    },
  });
  return {
    stop: () => loop.stop(),
    take: () => {
      if (arrivals.length === 0 && malformed === 0 && foreign === 0 && errors.length === 0) return undefined;
      const out: ReceiveBatch = { op: 'received', id: m.id, arrivals: Float64Array.from(arrivals), from, fromPort, malformed, foreign, errors };
      arrivals = [];
      malformed = 0;
      foreign = 0;
      errors = [];
      return out;
    },
  };
}
