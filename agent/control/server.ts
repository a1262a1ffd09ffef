import { jsonLines } from './json-lines.js';
import { chmodSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { requestSchema, type AgentRequest } from '../../shared/control/messages.js';
import type { EventBus } from '../events.js';

export type RequestHandler = (req: AgentRequest) => Promise<unknown>;

/**
 * The control channel: JSON lines over a Unix socket. Each client first gets a
 * `hello` line; then every request line gets one response line with the same
 * id. `subscribe` turns on the event stream for that client. Malformed lines
 * are answered with an error and logged, never fatal.
 */
export class ControlServer {
  private server: net.Server | undefined;
  private readonly clients = new Set<net.Socket>();

  constructor(
    private readonly socketPath: string,
    private readonly events: EventBus,
    private readonly hello: () => Record<string, unknown>,
    private readonly handle: RequestHandler,
  ) {}

  async listen(): Promise<void> {
    try {
      unlinkSync(this.socketPath);
    } catch {
      // no stale socket
    }
    this.server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.socketPath, () => resolve());
    });
    chmodSync(this.socketPath, 0o600);
  }

  private accept(sock: net.Socket): void {
    this.clients.add(sock);
    let unsubscribe: (() => void) | undefined;
    const send: (o: unknown) => void = jsonLines(
      sock,
      (line) => void this.onLine(line, send, (u) => (unsubscribe = u)),
      () => this.events.log('warn', 'control client sent an over-long line; closing it'),
    );
    send({ hello: this.hello() });
    const gone = () => {
      unsubscribe?.();
      this.clients.delete(sock);
    };
    sock.on('close', gone);
    sock.on('error', gone);
  }

  private async onLine(line: string, send: (o: unknown) => void, setUnsub: (u: () => void) => void): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.events.log('warn', 'control: a line that is not JSON', { line: line.slice(0, 200) });
      send({ id: -1, ok: false, error: 'not JSON' });
      return;
    }
    const parsed = requestSchema.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
      this.events.log('warn', `control: malformed request: ${why}`);
      send({ id, ok: false, error: `malformed request: ${why}` });
      return;
    }
    const req = parsed.data;
    if (req.op === 'subscribe') {
      setUnsub(this.events.subscribe((e) => send({ event: e }), req.history ?? 0));
      send({ id, ok: true });
      return;
    }
    try {
      const result = await this.handle(req);
      // What the request caused is told before its answer (the events are otherwise delivered a moment later).
      this.events.flushNow();
      send({ id, ok: true, result });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.events.log('error', `control: ${req.op} failed: ${message}`);
      send({ id, ok: false, error: message });
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }
}
