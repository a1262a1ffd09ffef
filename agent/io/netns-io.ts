import dgram from 'node:dgram';
import { closeSync } from 'node:fs';
import net from 'node:net';
import { commandRunner } from '../util/process.js';
import { sourceTowards } from './local-io.js';
import { linksIn, namespaceSpawner, netnsHelper } from './netns-helper.js';
import type { NodeIo, NodeSockets } from './node-io.js';
import type { NetlinkPort } from '../kernel/kernel.js';
import type { SharedLinkEvents } from './shared-link-events.js';

const UDP = 0;
const TCP = 1;
const NETLINK = 2;

/**
 * A node an agent host serves from outside: its namespace is a named one on
 * this host (`/run/netns/<name>`). Programs are started in it and sockets
 * opened in it by the native helper (native/netns-helper.c), and link events
 * come from the host's one shared monitor.
 */
export function netnsIo(name: string, links: SharedLinkEvents): NodeIo {
  const path = `/run/netns/${name}`;
  const runner = commandRunner(namespaceSpawner(path));
  const netlink = process.env.DMMLAB_KERNEL_NETLINK === 'off' ? undefined : namespaceNetlink(path);
  return { runner, sockets: namespaceSockets(path), links: links.node(name, () => linksIn(path)), ...(netlink ? { netlink } : {}) };
}

/** An rtnetlink socket opened in the namespace at `path` (on first use) and its interface indexes, read when asked for. */
export function namespaceNetlink(path: string): NetlinkPort {
  let fd: number | undefined;
  let indexes: Map<string, number> | undefined;
  const read = () => new Map(linksIn(path).map((l) => [l.ifname, l.ifindex]));
  return {
    talk(request) {
      fd ??= netnsHelper().socketIn(path, NETLINK, null, 0, null);
      return netnsHelper().netlinkTalk(fd, request);
    },
    errnoText: (errno) => netnsHelper().errnoText(errno),
    ifindex(name) {
      indexes ??= read();
      if (!indexes.has(name)) indexes = read();
      return indexes.get(name);
    },
    refresh() {
      indexes = undefined;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function namespaceSockets(path: string): NodeSockets {
  const open = (kind: 0 | 1, address: string | null, port: number): number => {
    const [bare, scope] = (address ?? '').split('%') as [string, string | undefined];
    return netnsHelper().socketIn(path, kind, address === null ? null : bare, port, scope ?? null);
  };
  return {
    async udp(address, port) {
      let fd: number;
      try {
        fd = open(UDP, address, port);
      } catch (e) {
        throw new Error(`cannot bind [${address}]:${port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const sock = dgram.createSocket('udp6');
      await new Promise<void>((resolve) => sock.bind({ fd }, () => resolve()));
      return sock;
    },
    udpDescriptor(address, port) {
      try {
        return open(UDP, address, port);
      } catch (e) {
        throw new Error(`cannot bind [${address}]:${port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
    async tcpListen(address, port) {
      let fd: number;
      try {
        fd = open(TCP, address, port);
      } catch (e) {
        throw new Error(`cannot listen on [${address}]:${port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new Error(`cannot listen on [${address}]:${port}: ${e.message}`)));
        server.listen({ fd }, () => resolve());
      });
      server.removeAllListeners('error');
      return server;
    },
    tcpConnect(host, port, source) {
      const sock = new net.Socket({ fd: open(TCP, source ?? null, 0) });
      return sock.connect(port, host);
    },
    async kernelSource(destination, port = 9) {
      const sock = dgram.createSocket('udp6');
      await new Promise<void>((resolve) => sock.bind({ fd: open(UDP, null, 0) }, () => resolve()));
      return sourceTowards(sock, destination, port);
    },
  };
}
