import type { CommandRunner, LineProcess } from '../util/process.js';
import type { KernelPort } from './kernel.js';

export interface CarrierChange {
  iface: string;
  carrier: boolean;
}

/**
 * Watches carrier on interfaces (`ip -o monitor link`): an access router sees
 * a mobile node attach when its end of the access veth gains carrier, and
 * detach when it loses it; a mobile node sees its own radios the same way.
 */
export class LinkMonitor {
  private proc: LineProcess | undefined;
  private readonly carrier = new Map<string, boolean>();

  constructor(
    private readonly watched: ReadonlySet<string>,
    private readonly onChange: (c: CarrierChange) => void,
    private readonly runner: CommandRunner,
    private readonly kernel: Pick<KernelPort, 'read'>,
  ) {}

  async start(): Promise<void> {
    this.proc = this.runner.lines(['ip', '-o', 'monitor', 'link'], (line) => this.onLine(line));
    // Initial state, read after the monitor is listening so that no change falls in between.
    for (const l of await this.kernel.read<{ ifname: string; flags?: string[] }>(['link', 'show'])) {
      if (!this.watched.has(l.ifname)) continue;
      const c = (l.flags ?? []).includes('LOWER_UP');
      if (this.carrier.get(l.ifname) === undefined) this.set(l.ifname, c);
    }
  }

  /** Carrier of an interface as last seen. */
  has(iface: string): boolean {
    return this.carrier.get(iface) ?? false;
  }

  private onLine(line: string): void {
    // "3: mn1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ..."  or "Deleted 3: ..."
    const m = /^(?:Deleted\s+)?\d+:\s+([^:@\s]+)(?:@[^:]+)?:\s+<([^>]*)>/.exec(line);
    if (!m) return;
    const iface = m[1] as string;
    if (!this.watched.has(iface)) return;
    const deleted = line.startsWith('Deleted');
    this.set(iface, !deleted && (m[2] as string).split(',').includes('LOWER_UP'));
  }

  private set(iface: string, carrier: boolean): void {
    if (this.carrier.get(iface) === carrier) return;
    this.carrier.set(iface, carrier);
    this.onChange({ iface, carrier });
  }

  stop(): void {
    this.proc?.kill();
  }
}
