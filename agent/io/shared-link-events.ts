import type { CommandRunner, LineProcess } from '../util/process.js';
import { parseLinkLine } from './local-io.js';
import type { LinkEvents } from './node-io.js';

interface NodeWatch {
  name: string;
  /** ifindex -> interface name, for the interfaces watched. */
  watched: Map<number, string>;
  carrier: Map<string, boolean>;
  onCarrier?: (iface: string, carrier: boolean) => void;
  addressListeners: (() => void)[];
  readLinks: () => { ifname: string; ifindex: number; carrier: boolean }[];
}

/** A monitor that exits is started again after this long (it may have lost events: every node is read again). */
const RESTART_MS = 100;

/**
 * One `ip -o monitor all-nsid link address` in the host's namespace for every
 * node an agent host serves, instead of two monitor processes per node. The
 * kernel tags each event with the namespace's id (nsid, which the netns
 * runtime assigns when it creates the namespace); the interface is told by
 * its index, since ip names interfaces of other namespaces after the host's.
 * The monitor dies with the host (SIGKILL on parent death).
 */
export class SharedLinkEvents {
  private proc: LineProcess | undefined;
  private readonly byNsid = new Map<number, NodeWatch>();
  private readonly byName = new Map<string, NodeWatch>();
  private refreshing: Promise<void> | undefined;
  private readonly pending: string[] = [];
  /** Namespace ids known not to be a node of this host (another lab's), until a node is added. */
  private readonly foreign = new Set<number>();

  private stopped = false;
  /** `host` runs programs in the host's own namespace, where the namespaces' ids are assigned; `onExit` hears of a monitor that died. */
  constructor(
    private readonly host: CommandRunner,
    private readonly onExit?: (why: string) => void,
  ) {}

  /** The link events of the node whose namespace is named `name`; `readLinks` reads its interfaces and their carrier now. */
  node(name: string, readLinks: () => { ifname: string; ifindex: number; carrier: boolean }[]): LinkEvents {
    const w: NodeWatch = { name, watched: new Map(), carrier: new Map(), addressListeners: [], readLinks };
    this.byName.set(name, w);
    this.foreign.clear();
    this.start();
    return {
      watchCarrier: async (ifaces, onChange) => {
        if (ifaces.size === 0) return;
        w.onCarrier = onChange;
        await this.ids();
        // Initial state, read after the monitor is listening so that no change falls in between.
        for (const l of readLinks()) {
          if (!ifaces.has(l.ifname)) continue;
          w.watched.set(l.ifindex, l.ifname);
          if (!w.carrier.has(l.ifname)) this.set(w, l.ifname, l.carrier);
        }
      },
      onAddressChange: (listener) => void w.addressListeners.push(listener),
      stop: () => {
        this.byName.delete(name);
        for (const [id, x] of this.byNsid) if (x === w) this.byNsid.delete(id);
      },
    };
  }

  private start(): void {
    if (this.proc || this.stopped) return;
    const proc = this.host.lines(['setpriv', '--pdeathsig', 'KILL', 'ip', '-o', 'monitor', 'all-nsid', 'link', 'address'], (line) => this.onLine(line));
    this.proc = proc;
    void proc.done.then((r) => {
      if (this.proc !== proc || this.stopped) return;
      this.proc = undefined;
      this.onExit?.(
        `link monitor exited (${r.signal ?? r.exitCode}): ${r.stderr.trim().slice(-300) || 'no message'}; restarting it and reading every node's links again`,
      );
      setTimeout(() => {
        this.start();
        void this.ids().then(() => this.resync());
      }, RESTART_MS);
    });
  }

  /** Reads every watched node's carrier again (after a monitor restart, events may have been lost). */
  private resync(): void {
    for (const w of this.byName.values()) {
      if (!w.onCarrier) continue;
      for (const l of w.readLinks()) if (w.watched.has(l.ifindex)) this.set(w, l.ifname, l.carrier);
      for (const l of w.addressListeners) l();
    }
  }

  private set(w: NodeWatch, iface: string, carrier: boolean): void {
    if (w.carrier.get(iface) === carrier) return;
    w.carrier.set(iface, carrier);
    w.onCarrier?.(iface, carrier);
  }

  private onLine(line: string): void {
    const m = /^\[nsid (\d+)\]/.exec(line);
    if (!m) return;
    const nsid = Number(m[1]);
    const w = this.byNsid.get(nsid);
    if (!w) {
      if (this.foreign.has(nsid)) return;
      // A namespace this host has not matched to a node yet: learn the ids, then deliver.
      this.pending.push(line);
      void this.ids().then(() => this.flush());
      return;
    }
    this.deliver(w, line);
  }

  private flush(): void {
    const lines = this.pending.splice(0);
    for (const line of lines) {
      const w = this.byNsid.get(Number(/^\[nsid (\d+)\]/.exec(line)?.[1]));
      if (w) this.deliver(w, line);
    }
  }

  private deliver(w: NodeWatch, line: string): void {
    const link = parseLinkLine(line);
    if (link) {
      const iface = w.watched.get(link.ifindex);
      if (iface) this.set(w, iface, link.carrier);
      return;
    }
    if (/\binet6\b/.test(line)) for (const l of w.addressListeners) l();
  }

  /**
   * Reads which nsid names which namespace, once at a time. `ip -j netns list`
   * (names with their ids), not `ip netns list-id`: the latter lists only the
   * first hundred-odd ids on a host with a thousand namespaces.
   */
  private ids(): Promise<void> {
    this.refreshing ??= (async () => {
      const r = await this.host.run(['ip', '-j', 'netns', 'list']);
      try {
        for (const { id, name } of JSON.parse(r.stdout || '[]') as { id?: number; name: string }[]) {
          if (id === undefined) continue;
          const w = this.byName.get(name);
          if (w) this.byNsid.set(id, w);
          else this.foreign.add(id);
        }
      } catch {
        // no ids yet
      }
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  stop(): void {
    this.stopped = true;
    this.proc?.kill('SIGKILL');
  }
}
