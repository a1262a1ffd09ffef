/**
 * argv for Debian's tcpdump (4.99, libpcap 1.10) run inside a node's network
 * node through its runtime's access (NodeAccess.argv), so the same command serves every runtime
 * and writes straight to a host path.
 */

/** How tcpdump attaches to the node's interfaces. */
export type TcpdumpSource =
  /** `-i <iface>`: the device's own link type (Ethernet on a veth); refused while the device is down. */
  | { kind: 'device'; iface: string }
  /** `-i any`: every interface of the node, Linux cooked v2 (SLL2) frames that carry the interface index. */
  | { kind: 'any' }
  /** `-i any` kept to one interface index by the `ifindex` filter: works on a device that is down now and comes up later. */
  | { kind: 'any-ifindex'; ifindex: number };

export interface TcpdumpOptions {
  source: TcpdumpSource;
  /** pcap file to write, `-` for stdout; absent: print a text decode line by line (`-l`). */
  write?: string;
  /** Snap length (default 262144). */
  snaplen?: number;
  /** Exit after this many packets (`-c`). */
  count?: number;
  /** pcap-filter expression. */
  filter?: string;
  /**
   * Hand each packet to tcpdump as it arrives (`--immediate-mode`, default).
   * false: libpcap's ring hands packets over in blocks, at the latest after
   * its 1 s buffer timeout, so tcpdump wakes up a few times a second instead
   * of once per packet; timestamps are the kernel's either way.
   */
  immediate?: boolean;
}

/** libpcap's buffer timeout as tcpdump sets it: the longest a packet waits in the ring when not in immediate mode. */
export const PCAP_BUFFER_TIMEOUT_MS = 1000;

export const DEFAULT_SNAPLEN = 262144;

/** tcpdump's argv (without the namespace prefix). */
export function tcpdumpArgv(o: TcpdumpOptions): string[] {
  const argv = ['tcpdump', '-i', o.source.kind === 'device' ? o.source.iface : 'any', '-n'];
  if (o.immediate ?? true) argv.push('--immediate-mode');
  if (o.write !== undefined) {
    // -U flushes each packet as it is written. Without --immediate-mode libpcap
    // still holds packets in its ring until the buffer timeout, so whoever stops
    // such a capture waits PCAP_BUFFER_TIMEOUT_MS first or loses the last block.
    argv.push('-w', o.write, '-U', '--time-stamp-precision=nano', '-s', String(o.snaplen ?? DEFAULT_SNAPLEN));
  } else {
    argv.push('-l');
  }
  // Keep root: the default drops to user tcpdump, which cannot write to root's directories.
  argv.push('-Z', 'root');
  if (o.count !== undefined) argv.push('-c', String(o.count));
  const filter = captureFilter(o.source, o.filter);
  if (filter) argv.push(filter);
  return argv;
}

/** The filter expression: the user's, restricted to one interface index in `any-ifindex` mode. */
export function captureFilter(source: TcpdumpSource, filter?: string): string | undefined {
  const user = filter?.trim() || undefined;
  if (source.kind !== 'any-ifindex') return user;
  return user ? `ifindex ${source.ifindex} and (${user})` : `ifindex ${source.ifindex}`;
}
