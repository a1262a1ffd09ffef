import { parseAgentLine, helloSchema, type AgentEvent, type AgentOp, type Hello, type OpResults, type RequestFields } from '../../shared/control/messages.js';
import { DmmlabError } from '../errors.js';
import { LineChannel } from './line-channel.js';

/**
 * A connection to one node agent's control socket (docs/protocol.md): typed
 * requests (shared/control/messages.ts), and after subscribe its event stream.
 */
export class AgentClient {
  private readonly eventListeners = new Set<(e: AgentEvent) => void>();

  private constructor(
    readonly node: string,
    private readonly channel: LineChannel,
    readonly hello: Hello,
  ) {
    channel.onMessage((raw) => {
      const v = parseAgentLine(raw);
      if (v && 'event' in v) for (const l of this.eventListeners) l(v.event);
    });
  }

  /**
   * Connects, retrying until the socket exists and the agent says hello, or the
   * timeout; gives up at once when `stillRunning` says the agent process is gone.
   */
  static async connect(node: string, socketPath: string, timeoutMs = 5000, stillRunning?: () => boolean): Promise<AgentClient> {
    const channel = await LineChannel.open(`agent ${node}`, socketPath, timeoutMs, stillRunning);
    const hello = helloSchema.safeParse({ hello: channel.hello });
    if (!hello.success) {
      channel.close();
      throw new DmmlabError('E_AGENT', `agent ${node}: ${socketPath} greeted with something that is not an agent's hello`);
    }
    return new AgentClient(node, channel, hello.data.hello);
  }

  /**
   * Sends a request and resolves with the agent's result, of the type the
   * contract gives the operation (shared/control/messages.ts: OpResults).
   */
  request<O extends AgentOp>(op: O, fields: RequestFields<O>, timeoutMs = 10_000): Promise<OpResults[O]> {
    return this.channel.call(op, fields, timeoutMs) as Promise<OpResults[O]>;
  }

  /** Streams the agent's events to `listener`, starting with up to `history` past ones. */
  async subscribe(listener: (e: AgentEvent) => void, history = 0): Promise<void> {
    this.eventListeners.add(listener);
    await this.request('subscribe', { history });
  }

  onClose(listener: (why: string) => void): void {
    this.channel.onClose(listener);
  }

  get isClosed(): boolean {
    return this.channel.isClosed;
  }

  /** Closes the connection; requests still waiting for an answer are rejected at once. */
  close(): void {
    this.channel.close();
  }
}
