import { hostHelloSchema, type HostHello, type HostOp, type HostRequest, type HostResults } from '../../shared/control/host-messages.js';
import { DmmlabError } from '../errors.js';
import { LineChannel } from './line-channel.js';

/** A connection to a lab's agent host (agent/host.ts): it adds and removes the nodes it serves. */
export class HostClient {
  private constructor(
    private readonly channel: LineChannel,
    readonly hello: HostHello,
  ) {}

  static async connect(lab: string, socketPath: string, timeoutMs = 5000, stillRunning?: () => boolean): Promise<HostClient> {
    const channel = await LineChannel.open(`the agent host of lab ${lab}`, socketPath, timeoutMs, stillRunning);
    const hello = hostHelloSchema.safeParse({ hello: channel.hello });
    if (!hello.success || hello.data.hello.lab !== lab) {
      channel.close();
      throw new DmmlabError('E_AGENT', `${socketPath} is not the agent host of lab ${lab}`);
    }
    return new HostClient(channel, hello.data.hello);
  }

  request<O extends HostOp>(op: O, fields: Omit<Extract<HostRequest, { op: O }>, 'id' | 'op'>, timeoutMs = 10_000): Promise<HostResults[O]> {
    return this.channel.call(op, fields, timeoutMs) as Promise<HostResults[O]>;
  }

  close(): void {
    this.channel.close();
  }
}
