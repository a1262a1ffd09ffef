import type { CommandRunner, LineProcess } from '../util/process.js';
import { parsePrefix } from '../../shared/ipv6.js';
import type { EventBus } from '../events.js';

/**
 * Filter changes wait this long: restarting tcpdump costs a few milliseconds
 * of the agent's time, which must not fall on the critical path of a handover
 * (route optimisation can wait a moment; forwarding cannot).
 */
const OBSERVER_DEBOUNCE_MS = 100;

/**
 * The capture buffer of an observer (KiB). It needs the first few packets of
 * a flow its filter has not excluded yet, not a burst: tcpdump's default of
 * 2 MiB per MR is kernel memory a lab of hundreds of MRs would pin for nothing.
 */
const OBSERVER_BUFFER_KIB = 64;

/** What the observer should watch for (all prefixes as text, /64 or shorter). */
export interface ObserverSpec {
  /** Native packets from these prefixes (mobile nodes attached here; `::/0`: from anywhere)... */
  from: string[];
  /** ...towards these (the domain's home-prefix pools)... */
  towards: string[];
  /** ...except towards these (already handled: attached, cached, anchored here, known to have no binding). */
  except: string[];
  /** Native packets towards these prefixes (anchored here, their node elsewhere) from home addresses in `towards`. */
  anchoredAway: string[];
  /** Encapsulated packets whose inner destination is in these /64s (handover contexts of a previous MR). */
  forwarded: string[];
}

/** A packet the observer saw (addresses without ports). */
export interface Sighting {
  src: string;
  dst: string;
  /** Outer source when the packet arrived encapsulated (another MR). */
  outerSrc?: string;
}

/** How long the NFLOG reader may take to start listening before the observer goes on without it. */
const READER_START_TIMEOUT_MS = 10_000;

/** Resolves true once `proc` has said "listening on" on stderr, false if it ends or `timeoutMs` passes first. */
function saysListening(proc: LineProcess, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let said = '';
    const stderr = proc.child.stderr;
    const onData = (d: string | Buffer) => {
      said = (said + String(d)).slice(-500);
      if (said.includes('listening on')) finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      stderr?.off('data', onData);
      resolve(ok);
    };
    if (!stderr) return finish(false);
    stderr.on('data', onData);
    void proc.done.then(() => finish(false));
  });
}

/** The netlink log group the observer's rules log to (one per namespace, so one number serves every MR). */
export const OBSERVER_NFLOG_GROUP = 5436;
/** How long a (source, destination) pair stays quiet after the kernel logged it once. */
const SEEN_TIMEOUT = '1s';

/**
 * Watches packets arriving at an MR, without touching them, and tells the MR
 * about the first of each (source, destination) pair its state says to look
 * at: that is how route optimisation is triggered by traffic as the drafts
 * describe ("upon receiving the first few packets") while the kernel keeps
 * forwarding every packet.
 *
 * The kernel does the filtering and the counting (nftables, when the node has
 * `nft`): a prerouting chain matches what the MR's state asks for, a dynamic
 * set remembers each pair for a second, and only a pair's first packet is
 * logged to an NFLOG group, which one long-lived tcpdump (`-i nflog:N`)
 * prints. A 1000-packet/s flow costs the agent one line, not a thousand, and
 * a change of state is one `nft -f` transaction, not a restarted tcpdump.
 * Without nftables the observer falls back to tcpdump with a BPF filter of
 * the same shape (a line per matching packet, restarted on every change).
 */
export class TrafficObserver {
  private proc: LineProcess | undefined;
  private filter = '';
  private pendingSpec: ObserverSpec | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** nft once it worked, bpf once it did not; undefined until the first change. */
  private kernel: 'nft' | 'bpf' | undefined;
  private reader: LineProcess | undefined;
  private applying: Promise<void> = Promise.resolve();
  /** Lines tcpdump printed (each a packet the MR looked at), for state and tests. */
  lines = 0;

  constructor(
    private readonly events: EventBus,
    private readonly runner: CommandRunner,
    private readonly onSighting: (s: Sighting) => void,
  ) {}

  /** Updates what to watch (debounced; off the path of a handover). */
  update(spec: ObserverSpec): void {
    this.pendingSpec = spec;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const s = this.pendingSpec;
      if (s) this.applying = this.applying.then(() => this.apply(s));
    }, OBSERVER_DEBOUNCE_MS);
  }

  /** How the kernel filters (once known), and how many packets reached the agent. */
  state(): { kernel: 'nft' | 'bpf' | 'none'; filter: string; lines: number } {
    return { kernel: this.kernel ?? 'none', filter: this.filter || '(off)', lines: this.lines };
  }

  private async apply(spec: ObserverSpec): Promise<void> {
    const filter = buildFilter(spec);
    if (filter === this.filter) return;
    this.filter = filter;
    if (this.kernel !== 'bpf') {
      const r = await this.runner.run(['nft', '-f', '-'], { input: buildRuleset(spec).join('\n') + '\n', timeoutMs: 5000 });
      if (r.exitCode === 0) {
        this.kernel = 'nft';
        if (!this.reader) await this.startReader();
        this.events.emit('observer.filter', { filter: filter || '(off)' });
        return;
      }
      if (this.kernel === 'nft') {
        this.events.log('warn', `observer: nft refused a change: ${r.stderr.trim().slice(-200)}`);
        return;
      }
      this.kernel = 'bpf';
      this.events.log('info', `observer: nftables not usable here (${r.stderr.trim().slice(-120) || `exit ${r.exitCode}`}); filtering with tcpdump instead`);
    }
    this.applyBpf(filter);
  }

  /**
   * Starts the NFLOG reader and waits until it listens. The kernel drops a
   * log message nobody listens to while the pair still enters `seen`, so a
   * flow whose first packet came before the reader would stay unseen for
   * the set's timeout: once listening, the set is emptied and the next packet
   * of every pair is logged again.
   */
  private async startReader(): Promise<void> {
    const reader = this.tcpdump(['-i', `nflog:${OBSERVER_NFLOG_GROUP}`]);
    this.reader = reader;
    const listening = await saysListening(reader, READER_START_TIMEOUT_MS);
    if (!listening)
      this.events.log('warn', `observer: tcpdump on nflog:${OBSERVER_NFLOG_GROUP} did not say "listening on" within ${READER_START_TIMEOUT_MS} ms`);
    const r = await this.runner.run(['nft', 'flush', 'set', 'ip6', NFT_TABLE, 'seen'], { timeoutMs: 5000 });
    if (r.exitCode !== 0) this.events.log('warn', `observer: could not empty the set of pairs seen: ${r.stderr.trim().slice(-200)}`);
  }

  private tcpdump(source: string[], filter?: string): LineProcess {
    const proc = this.runner.lines(
      ['tcpdump', '-l', '-nn', '-tt', '-q', '-B', String(OBSERVER_BUFFER_KIB), ...source, '--immediate-mode', ...(filter ? [filter] : [])],
      (line) => {
        const s = parseSighting(line);
        if (!s) return;
        this.lines++;
        this.onSighting(s);
      },
    );
    void proc.done.then((r) => {
      if ((this.proc === proc || this.reader === proc) && r.exitCode !== 0 && r.signal === null)
        this.events.log('warn', `observer tcpdump exited ${r.exitCode}: ${r.stderr.slice(-200)}`);
    });
    return proc;
  }

  private applyBpf(filter: string): void {
    const old = this.proc;
    this.proc = filter ? this.tcpdump(['-i', 'any', '-Q', 'in'], filter) : undefined;
    // Keep the old one a moment so nothing slips between the two.
    if (old) setTimeout(() => old.kill(), 50).unref?.();
    this.events.emit('observer.filter', { filter: filter || '(off)' });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.proc?.kill();
    this.proc = undefined;
    this.reader?.kill();
    this.reader = undefined;
    if (this.kernel === 'nft') void this.runner.run(['nft', 'delete', 'table', 'ip6', NFT_TABLE]);
  }
}

const NFT_TABLE = 'dmmlab_observe';

/**
 * The observer's nftables transaction for a spec: the table, its set of
 * pairs seen and its chain (created if missing), the chain's rules replaced.
 * Each rule logs a pair's first packet only; an empty spec leaves no rule.
 */
export function buildRuleset(s: ObserverSpec, group = OBSERVER_NFLOG_GROUP): string[] {
  const set = (xs: string[]) => `{ ${xs.join(', ')} }`;
  const once = `ip6 saddr . ip6 daddr != @seen add @seen { ip6 saddr . ip6 daddr } log group ${group} queue-threshold 1`;
  const rules: string[] = [];
  if (s.from.length && s.towards.length) {
    const from = anySource(s.from) ? '' : ` ip6 saddr ${set(s.from)}`;
    rules.push(`ip6 nexthdr != 41${from} ip6 daddr ${set(s.towards)}${s.except.length ? ` ip6 daddr != ${set(s.except)}` : ''} ${once}`);
  }
  if (s.anchoredAway.length && s.towards.length) rules.push(`ip6 nexthdr != 41 ip6 daddr ${set(s.anchoredAway)} ip6 saddr ${set(s.towards)} ${once}`);
  for (const p of s.forwarded) {
    const a = parsePrefix(p).addr;
    // The inner destination's upper 64 bits: 24 bytes into the inner header, after the outer 40.
    rules.push(`ip6 nexthdr 41 @nh,512,64 0x${(a >> 64n).toString(16).padStart(16, '0')} ${once}`);
  }
  return [
    `add table ip6 ${NFT_TABLE}`,
    `add set ip6 ${NFT_TABLE} seen { type ipv6_addr . ipv6_addr; flags dynamic,timeout; timeout ${SEEN_TIMEOUT}; size 65535; }`,
    `add chain ip6 ${NFT_TABLE} pre { type filter hook prerouting priority -150; policy accept; }`,
    `flush chain ip6 ${NFT_TABLE} pre`,
    // What the bpf driver decapsulated comes in again through dmm1 (tunnel-driver.ts): it was seen encapsulated.
    ...rules.map((r) => `add rule ip6 ${NFT_TABLE} pre iifname != "dmm1" ${r}`),
  ];
}

/** Whether `from` takes every source (`::/0`: anycast brings correspondents' packets from anywhere). */
const anySource = (from: readonly string[]) => from.some((p) => parsePrefix(p).len === 0);

const any = (field: string, prefixes: string[]) => (prefixes.length === 0 ? '' : `(${prefixes.map((p) => `${field} net ${p}`).join(' or ')})`);

/** The tcpdump filter for a spec ('' when there is nothing to watch). */
export function buildFilter(s: ObserverSpec): string {
  const parts: string[] = [];
  if (s.from.length && s.towards.length) {
    const except = s.except.length ? ` and not ${any('dst', s.except)}` : '';
    parts.push(`(not ip6[6] == 41 and ${anySource(s.from) ? '' : `${any('src', s.from)} and `}${any('dst', s.towards)}${except})`);
  }
  if (s.anchoredAway.length && s.towards.length) parts.push(`(not ip6[6] == 41 and ${any('dst', s.anchoredAway)} and ${any('src', s.towards)})`);
  if (s.forwarded.length) {
    const inner = s.forwarded.map((p) => {
      const a = parsePrefix(p).addr;
      const hi = Number((a >> 96n) & 0xffffffffn);
      const lo = Number((a >> 64n) & 0xffffffffn);
      return `(ip6[64:4] == 0x${hi.toString(16)} and ip6[68:4] == 0x${lo.toString(16)})`;
    });
    parts.push(`(ip6[6] == 41 and (${inner.join(' or ')}))`);
  }
  return parts.length ? `ip6 and (${parts.join(' or ')})` : '';
}

/** Parses a tcpdump -q line ("... IP6 a > b: IP6 c > d: ..."); undefined if it is not IPv6. */
export function parseSighting(line: string): Sighting | undefined {
  const re = /IP6 (\S+) > (\S+): /g;
  const hops: [string, string][] = [];
  for (let m = re.exec(line); m; m = re.exec(line)) hops.push([stripPort(m[1] as string), stripPort(m[2] as string)]);
  if (hops.length === 0) return undefined;
  const inner = hops[hops.length - 1] as [string, string];
  return hops.length > 1 ? { src: inner[0], dst: inner[1], outerSrc: (hops[0] as [string, string])[0] } : { src: inner[0], dst: inner[1] };
}

function stripPort(a: string): string {
  const dot = a.lastIndexOf('.');
  return dot > 0 && /^\d+$/.test(a.slice(dot + 1)) ? a.slice(0, dot) : a;
}
