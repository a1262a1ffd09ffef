import dgram from 'node:dgram';
import net, { isIPv6 } from 'node:net';
import { commandRunner, type CommandRunner, type LineProcess } from '../util/process.js';
import type { LinkEvents, NodeIo, NodeSockets } from './node-io.js';

/** The node this process runs in: plain sockets, programs as they are, its own `ip monitor`. */
export function localIo(): NodeIo {
  const runner = commandRunner();
  return { runner, sockets: localSockets, links: new MonitorLinkEvents(runner) };
}

export const localSockets: NodeSockets = {
  async udp(address, port) {
    const [bare] = address.split('%') as [string];
    const sock = dgram.createSocket({ type: isIPv6(bare) ? 'udp6' : 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new Error(`cannot bind [${address}]:${port}: ${e.message}`)));
      sock.bind({ address, port, exclusive: true }, () => resolve());
    });
    sock.removeAllListeners('error');
    return sock;
  },
  async tcpListen(address, port) {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen on [${address}]:${port}: ${e.message}`)));
      server.listen({ host: address, port, exclusive: true }, () => resolve());
    });
    server.removeAllListeners('error');
    return server;
  },
  tcpConnect(host, port, source) {
    return net.connect({ host, port, ...(source ? { localAddress: source } : {}) });
  },
  async kernelSource(destination, port = 9) {
    return sourceTowards(dgram.createSocket(isIPv6(destination) ? 'udp6' : 'udp4'), destination, port);
  },
};

/** Connects an unbound UDP socket to `destination` and reads the source address the kernel chose; closes it. */
export async function sourceTowards(sock: dgram.Socket, destination: string, port: number): Promise<string> {
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, destination, () => resolve());
    });
    const address = sock.address().address;
    if (address === '::' || address === '0.0.0.0') throw new Error(`no source address towards ${destination} (no route?)`);
    return address;
  } catch (e) {
    throw new Error(`no source address towards ${destination}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    sock.close();
  }
}

/**
 * Link events from `ip -o monitor link` (and `ip -o -6 monitor address`,
 * started the first time someone listens) run in the node: an access router
 * sees a mobile node attach when its end of the access veth gains carrier;
 * a mobile node sees its own radios the same way.
 */
export class MonitorLinkEvents implements LinkEvents {
  private links: LineProcess | undefined;
  private addresses: LineProcess | undefined;
  private readonly carrier = new Map<string, boolean>();
  private readonly addressListeners: (() => void)[] = [];

  constructor(private readonly runner: CommandRunner) {}

  async watchCarrier(ifaces: ReadonlySet<string>, onChange: (iface: string, carrier: boolean) => void): Promise<void> {
    if (ifaces.size === 0) return;
    const set = (iface: string, up: boolean) => {
      if (!ifaces.has(iface) || this.carrier.get(iface) === up) return;
      this.carrier.set(iface, up);
      onChange(iface, up);
    };
    this.links = this.runner.lines(['ip', '-o', 'monitor', 'link'], (line) => {
      const change = parseLinkLine(line);
      if (change) set(change.iface, change.carrier);
    });
    // Initial state, read after the monitor is listening so that no change falls in between.
    const r = await this.runner.run(['ip', '-j', 'link', 'show']);
    for (const l of parseLinks(r.stdout)) if (!this.carrier.has(l.ifname)) set(l.ifname, l.carrier);
  }

  onAddressChange(listener: () => void): void {
    this.addressListeners.push(listener);
    this.addresses ??= this.runner.lines(['ip', '-o', '-6', 'monitor', 'address'], () => this.addressListeners.forEach((l) => l()));
  }

  stop(): void {
    this.links?.kill();
    this.addresses?.kill();
  }
}

/** "3: mn1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ..." or "Deleted 3: ...": the interface and its carrier. */
export function parseLinkLine(line: string): { iface: string; ifindex: number; carrier: boolean } | undefined {
  const m = /^(?:\[nsid \d+\])?(Deleted\s+)?(\d+):\s+([^:@\s]+)(?:@[^:]+)?:\s+<([^>]*)>/.exec(line);
  if (!m) return undefined;
  return { iface: m[3] as string, ifindex: Number(m[2]), carrier: !m[1] && (m[4] as string).split(',').includes('LOWER_UP') };
}

/** `ip -j link show` output: name, index and carrier of each interface. */
export function parseLinks(json: string): { ifname: string; ifindex: number; carrier: boolean }[] {
  try {
    return (JSON.parse(json || '[]') as { ifname: string; ifindex: number; flags?: string[] }[]).map((l) => ({
      ifname: l.ifname,
      ifindex: l.ifindex,
      carrier: (l.flags ?? []).includes('LOWER_UP'),
    }));
  } catch {
    return [];
  }
}
