import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Child, ChildExit, Spawner } from '../util/process.js';

/** native/netns-helper.c, as Node sees it. */
interface NetnsHelper {
  /** Opens a socket in the namespace at `nsPath`: kind 0 UDP, 1 TCP, 2 rtnetlink; binds (UDP, TCP) when `address` is given. */
  socketIn(nsPath: string, kind: 0 | 1 | 2, address: string | null, port: number, ifname: string | null): number;
  /** Sends one rtnetlink request (with NLM_F_ACK) on `fd`: the errno of its acknowledgement (0: done) and the kernel's message, if any. */
  netlinkTalk(fd: number, request: Uint8Array): [number, string | null];
  /** strerror(errno). */
  errnoText(errno: number): string;
  /** Starts argv inside the namespace; [pid, stdin, stdout, stderr] (fds, -1 where not piped). */
  spawnIn(nsPath: string, argv: string[], stdin: boolean, stdout: boolean, stderr: boolean): [number, number, number, number];
  /** null while `pid` runs; [0, code], [1, signal] once it ended; [-1, errno] if it is not our child. */
  reap(pid: number): [number, number] | null;
  /** The namespace's interfaces: [name, ifindex, flags]. */
  linksIn(nsPath: string): [string, number, number][];
}

/** IFF_LOWER_UP: the interface has carrier. */
const IFF_LOWER_UP = 1 << 16;

/** The interfaces of the namespace at `nsPath` and their carrier, read without starting a program. */
export function linksIn(nsPath: string): { ifname: string; ifindex: number; carrier: boolean }[] {
  return netnsHelper()
    .linksIn(nsPath)
    .map(([ifname, ifindex, flags]) => ({ ifname, ifindex, carrier: (flags & IFF_LOWER_UP) !== 0 }));
}

let loaded: NetnsHelper | undefined;

/** The compiled helper: next to the agent bundle, or in dist/ when running from source (tests). */
export function netnsHelperPath(): string | undefined {
  const candidates = [new URL('./netns-helper.node', import.meta.url), new URL('../../dist/agent/netns-helper.node', import.meta.url)];
  return candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
}

/** The native helper, loaded once; throws naming what is missing when it was not built. */
export function netnsHelper(): NetnsHelper {
  if (loaded) return loaded;
  const file = netnsHelperPath();
  if (!file) throw new Error('netns-helper.node is missing (npm run build compiles it with cc and Node’s headers)');
  loaded = createRequire(import.meta.url)(file) as NetnsHelper;
  return loaded;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/**
 * Programs started inside the namespace at `nsPath` by the native helper
 * (posix_spawn: the agent process is not forked). The helper's children are
 * reaped here once their pipes close, polling waitpid for the last moments.
 */
export function namespaceSpawner(nsPath: string): Spawner {
  return (argv, pipes): Child => {
    let ids: [number, number, number, number];
    try {
      ids = netnsHelper().spawnIn(nsPath, [...argv], pipes.stdin, pipes.stdout, pipes.stderr);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return {
        pid: undefined,
        stdin: null,
        stdout: null,
        stderr: null,
        exit: Promise.resolve({ exitCode: null, signal: null, error }),
        exited: true,
        kill: () => undefined,
      };
    }
    const [pid, inFd, outFd, errFd] = ids;
    const stdin = inFd >= 0 ? new net.Socket({ fd: inFd, readable: false, writable: true }) : null;
    const stdout = outFd >= 0 ? new net.Socket({ fd: outFd, readable: true, writable: false }) : null;
    const stderr = errFd >= 0 ? new net.Socket({ fd: errFd, readable: true, writable: false }) : null;
    let exited = false;
    const exit = new Promise<ChildExit>((resolve) => {
      const poll = (delay: number) => {
        const r = netnsHelper().reap(pid);
        if (!r) {
          setTimeout(() => poll(Math.min(delay * 2, 100)), delay);
          return;
        }
        exited = true;
        stdin?.destroy();
        const [kind, value] = r;
        resolve(
          kind === 0
            ? { exitCode: value, signal: null }
            : kind === 1
              ? { exitCode: null, signal: SIGNAL_NAMES.get(value) ?? null }
              : { exitCode: null, signal: null },
        );
      };
      // A program's output pipes close when it ends: reap then. One with none is polled from the start.
      const outputs = [stdout, stderr].filter((s): s is net.Socket => s !== null);
      let open = outputs.length;
      if (open === 0) poll(5);
      for (const s of outputs) {
        s.on('error', () => undefined);
        s.once('close', () => {
          if (--open === 0) poll(1);
        });
      }
    });
    stdin?.on('error', () => undefined);
    return {
      pid,
      stdin,
      stdout,
      stderr,
      exit,
      get exited() {
        return exited;
      },
      kill: (signal = 'SIGTERM') => {
        if (exited) return;
        try {
          process.kill(pid, signal);
        } catch {
          // gone already
        }
      },
    };
  };
}
