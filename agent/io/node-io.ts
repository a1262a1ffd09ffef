import type dgram from 'node:dgram';
import type net from 'node:net';
import type { CommandRunner } from '../util/process.js';
import type { NetlinkPort } from '../kernel/kernel.js';

/** Sockets in the node's network namespace (signalling, flows). */
export interface NodeSockets {
  /** A UDP socket bound to `address`:`port` (`fe80::...%iface` for a link-local address). */
  udp(address: string, port: number): Promise<dgram.Socket>;
  /** A TCP server listening on `address`:`port`. */
  tcpListen(address: string, port: number): Promise<net.Server>;
  /** A TCP connection to `host`:`port`, from `source` when given (its connect/error events tell how it went). */
  tcpConnect(host: string, port: number, source?: string): net.Socket;
  /**
   * A UDP socket bound to `address`:`port`, as a bare descriptor for another thread of the process to
   * take over (the agent host's flow thread); absent where sockets are opened in the agent's own namespace.
   */
  udpDescriptor?(address: string, port: number): number;
  /** The source address the kernel would pick towards `destination` right now. */
  kernelSource(destination: string, port?: number): Promise<string>;
}

/** Link and address changes in the node. */
export interface LinkEvents {
  /** Reports carrier changes of `ifaces` (the current carrier of each first). */
  watchCarrier(ifaces: ReadonlySet<string>, onChange: (iface: string, carrier: boolean) => void): Promise<void>;
  /** Calls `listener` whenever an address is added, changed or removed in the node. */
  onAddressChange(listener: () => void): void;
  stop(): void;
}

/**
 * How an agent reaches the node it serves: programs run in it, sockets opened
 * in it, link events from it. An agent running inside its node (a container,
 * or a process started in the namespace) uses it directly (local-io.ts); an
 * agent host serving many nodes enters each node's namespace (netns-io.ts).
 */
export interface NodeIo {
  runner: CommandRunner;
  /** An rtnetlink socket in the node for the agent's own route, rule and neighbour changes; absent: all go to `ip`. */
  netlink?: NetlinkPort;
  sockets: NodeSockets;
  links: LinkEvents;
}
