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
  /** Native packets from these prefixes (mobile nodes attached here)... */
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

/**
 * Watches packets arriving at an MR, without touching them: a tcpdump (the
 * same Debian tcpdump every node has) with a filter built from the MR's
 * state, whose text output is parsed. It is how route optimisation is
 * triggered by traffic as the drafts describe ("upon receiving the first few
 * packets") while the kernel keeps forwarding every packet. The filter
 * excludes everything already handled, so a steady flow goes quiet.
 */
export class TrafficObserver {
  private proc: LineProcess | undefined;
  private filter = '';
  private pendingSpec: ObserverSpec | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: EventBus,
    private readonly runner: CommandRunner,
    private readonly onSighting: (s: Sighting) => void,
  ) {}

  /** Updates what to watch; restarts tcpdump (debounced) when the filter changes. */
  update(spec: ObserverSpec): void {
    this.pendingSpec = spec;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const s = this.pendingSpec;
      if (s) this.apply(buildFilter(s));
    }, OBSERVER_DEBOUNCE_MS);
  }

  private apply(filter: string): void {
    if (filter === this.filter) return;
    this.filter = filter;
    const old = this.proc;
    this.proc = undefined;
    if (filter) {
      const proc = this.runner.lines(
        ['tcpdump', '-l', '-nn', '-tt', '-q', '-B', String(OBSERVER_BUFFER_KIB), '-i', 'any', '-Q', 'in', '--immediate-mode', filter],
        (line) => {
          const s = parseSighting(line);
          if (s) this.onSighting(s);
        },
      );
      this.proc = proc;
      void proc.done.then((r) => {
        if (this.proc === proc && r.exitCode !== 0 && r.signal === null)
          this.events.log('warn', `observer tcpdump exited ${r.exitCode}: ${r.stderr.slice(-200)}`);
      });
    }
    // Keep the old one a moment so nothing slips between the two.
    if (old) setTimeout(() => old.kill(), 50).unref?.();
    this.events.emit('observer.filter', { filter: filter || '(off)' });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.proc?.kill();
    this.proc = undefined;
  }
}

const any = (field: string, prefixes: string[]) => (prefixes.length === 0 ? '' : `(${prefixes.map((p) => `${field} net ${p}`).join(' or ')})`);

/** The tcpdump filter for a spec ('' when there is nothing to watch). */
export function buildFilter(s: ObserverSpec): string {
  const parts: string[] = [];
  if (s.from.length && s.towards.length) {
    const except = s.except.length ? ` and not ${any('dst', s.except)}` : '';
    parts.push(`(not ip6[6] == 41 and ${any('src', s.from)} and ${any('dst', s.towards)}${except})`);
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
