import net from 'node:net';
import { parseAgentLine, type AgentEvent, type AgentOp, type Hello, type OpResults, type RequestFields } from '../../shared/control/messages.js';
import { DmmlabError } from '../errors.js';

/**
 * A connection to one agent's control socket: requests with ids, responses
 * matched to them, and (after subscribe) its event stream. Closes cleanly;
 * a broken connection rejects pending requests and tells `onClose`.
 */
export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; op: string }>();
  private readonly eventListeners = new Set<(e: AgentEvent) => void>();
  private readonly closeListeners = new Set<(why: string) => void>();
  private closed = false;

  private constructor(
    readonly node: string,
    private readonly sock: net.Socket,
    readonly hello: Hello,
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
      for (const p of this.pending.values()) p.reject(new DmmlabError('E_AGENT', `agent ${node}: connection lost during ${p.op} (${why})`));
      this.pending.clear();
      for (const l of this.closeListeners) l(why);
    };
    sock.on('close', () => gone('closed'));
    sock.on('error', (e) => gone(e.message));
  }

  /**
   * Connects, retrying until the socket exists and the agent says hello, or the
   * timeout; gives up at once when `stillRunning` says the agent process is gone.
   */
  static async connect(node: string, socketPath: string, timeoutMs = 5000, stillRunning?: () => boolean): Promise<AgentClient> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (stillRunning && !stillRunning())
        throw new DmmlabError('E_AGENT', `agent ${node} exited before answering on ${socketPath}${last ? ` (${last})` : ''}`);
      try {
        return await AgentClient.once(node, socketPath, Math.max(100, deadline - Date.now()));
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    throw new DmmlabError('E_AGENT', `agent ${node} did not answer on ${socketPath} within ${timeoutMs} ms (${last})`);
  }

  private static once(node: string, socketPath: string, timeoutMs: number): Promise<AgentClient> {
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
          const line = JSON.parse(buf.slice(0, nl)) as { hello?: Hello };
          if (!line.hello) throw new Error('first line was not a hello');
          resolve(new AgentClient(node, sock, line.hello, buf.slice(nl + 1)));
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
    const v = parseAgentLine(raw);
    if (!v || 'hello' in v) return;
    if ('event' in v) {
      for (const l of this.eventListeners) l(v.event);
    } else if ('id' in v) {
      const p = this.pending.get(v.id);
      if (!p) return;
      this.pending.delete(v.id);
      if (v.ok) p.resolve(v.result);
      else p.reject(new DmmlabError('E_AGENT', `agent ${this.node}: ${p.op} failed: ${v.error ?? 'unknown error'}`));
    }
  }

  /**
   * Sends a request and resolves with the agent's result, of the type the
   * contract gives the operation (shared/control/messages.ts: OpResults).
   */
  request<O extends AgentOp>(op: O, fields: RequestFields<O>, timeoutMs = 10_000): Promise<OpResults[O]> {
    if (this.closed) return Promise.reject(new DmmlabError('E_AGENT', `agent ${this.node}: connection closed`));
    const id = this.nextId++;
    return new Promise<OpResults[O]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DmmlabError('E_TIMEOUT', `agent ${this.node}: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        op,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as OpResults[O]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify({ id, op, ...fields }) + '\n');
    });
  }

  /** Streams the agent's events to `listener`, starting with up to `history` past ones. */
  async subscribe(listener: (e: AgentEvent) => void, history = 0): Promise<void> {
    this.eventListeners.add(listener);
    await this.request('subscribe', { history });
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
    for (const p of this.pending.values()) p.reject(new DmmlabError('E_AGENT', `agent ${this.node}: connection closed during ${p.op}`));
    this.pending.clear();
    this.sock.end();
    this.sock.destroy();
  }
}
