import net from 'node:net';
import { DmmlabError } from '../errors.js';

/**
 * A JSON-lines connection to a Unix socket that greets with a `hello` line and
 * answers each request `{id, op, ...}` with `{id, ok, result | error}` (node
 * agents and agent hosts both speak it). Other lines (events) go to
 * `onMessage`. A broken connection rejects pending requests and tells `onClose`.
 */
export class LineChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; op: string }>();
  private readonly messageListeners = new Set<(raw: unknown) => void>();
  private readonly closeListeners = new Set<(why: string) => void>();
  private closed = false;

  private constructor(
    /** What is at the other end, for messages ("agent mn1", "the agent host of lab x"). */
    readonly peer: string,
    private readonly sock: net.Socket,
    /** The hello line, parsed JSON, unchecked. */
    readonly hello: unknown,
    rest: string,
  ) {
    let buf = rest;
    const drain = () => {
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line);
      }
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      drain();
    });
    drain();
    const gone = (why: string) => {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new DmmlabError('E_AGENT', `${peer}: connection lost during ${p.op} (${why})`));
      this.pending.clear();
      for (const l of this.closeListeners) l(why);
    };
    sock.on('close', () => gone('closed'));
    sock.on('error', (e) => gone(e.message));
  }

  /**
   * Connects, retrying until the socket exists and the peer says hello, or the
   * timeout; gives up at once when `stillRunning` says the peer's process is gone.
   */
  static async open(peer: string, socketPath: string, timeoutMs = 5000, stillRunning?: () => boolean): Promise<LineChannel> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (stillRunning && !stillRunning()) throw new DmmlabError('E_AGENT', `${peer} exited before answering on ${socketPath}${last ? ` (${last})` : ''}`);
      try {
        return await LineChannel.once(peer, socketPath, Math.max(100, deadline - Date.now()));
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    throw new DmmlabError('E_AGENT', `${peer} did not answer on ${socketPath} within ${timeoutMs} ms (${last})`);
  }

  private static once(peer: string, socketPath: string, timeoutMs: number): Promise<LineChannel> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      sock.setEncoding('utf8');
      let buf = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error('no hello'));
      }, timeoutMs);
      const onData = (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        sock.off('data', onData);
        sock.off('error', onError);
        try {
          const line = JSON.parse(buf.slice(0, nl)) as { hello?: unknown };
          if (!line.hello) throw new Error('first line was not a hello');
          resolve(new LineChannel(peer, sock, line.hello, buf.slice(nl + 1)));
        } catch (e) {
          sock.destroy();
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      sock.on('data', onData);
      sock.once('error', onError);
    });
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const r = raw as { id?: unknown; ok?: unknown; result?: unknown; error?: unknown };
    if (typeof r.id === 'number' && typeof r.ok === 'boolean') {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(new DmmlabError('E_AGENT', `${this.peer}: ${p.op} failed: ${typeof r.error === 'string' ? r.error : 'unknown error'}`));
      return;
    }
    for (const l of this.messageListeners) l(raw);
  }

  /** Sends a request and resolves with the peer's result (unchecked: the typed clients give it its type). */
  call(op: string, fields: object, timeoutMs = 10_000): Promise<unknown> {
    if (this.closed) return Promise.reject(new DmmlabError('E_AGENT', `${this.peer}: connection closed`));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DmmlabError('E_TIMEOUT', `${this.peer}: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        op,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify({ id, op, ...fields }) + '\n');
    });
  }

  /** Lines that are not responses (an agent's events). */
  onMessage(listener: (raw: unknown) => void): void {
    this.messageListeners.add(listener);
  }

  onClose(listener: (why: string) => void): void {
    this.closeListeners.add(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the connection; requests still waiting for an answer are rejected at once. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new DmmlabError('E_AGENT', `${this.peer}: connection closed during ${p.op}`));
    this.pending.clear();
    this.sock.end();
    this.sock.destroy();
  }
}
