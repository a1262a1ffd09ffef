import type { CommandRunner, PipeProcess } from '../util/process.js';
import type { EventBus } from '../events.js';
import { netlinkRequest } from './netlink-requests.js';

/** An rtnetlink socket in the node (agent/io/netns-io.ts), for the changes `netlinkRequest` encodes. */
export interface NetlinkPort {
  /** Sends one request; answers the errno of the kernel's acknowledgement (0: done) and its extended-ACK message, if any. */
  talk(request: Uint8Array): [errno: number, message: string | null];
  /** The text `ip` prints for an errno. */
  errnoText(errno: number): string;
  /** Interface index by name in the node (undefined: not there, even after reading the node's interfaces again). */
  ifindex(name: string): number | undefined;
  /** Forgets the interface indexes read so far (an interface was made anew). */
  refresh(): void;
  close(): void;
}

const ENODEV = 19;

export interface KernelFailure {
  command: string;
  message: string;
}

interface Pending {
  lines: string[];
  /** Input line number of the batch's first line and of its sentinel. */
  first: number;
  sentinel: number;
  failures: KernelFailure[];
  resolve: (f: KernelFailure[]) => void;
}

/** A command that always fails with a message on stderr: it marks the end of a batch. */
const SENTINEL = 'link show dev dmm-sentinel-x';

/** What roles need of the node's kernel: batched changes and JSON reads (tests give them a fake). */
export interface KernelPort {
  /** Applies `ip` batch lines (IPv6 family); resolves with the failures not matched by `tolerate` (and reports them). */
  change(lines: readonly string[], tolerate?: RegExp): Promise<KernelFailure[]>;
  /** `ip -j <args>`, parsed (empty on failure). */
  read<T>(args: readonly string[]): Promise<T[]>;
  /** Lines applied so far. */
  readonly applied: number;
  stop(): void;
}

/**
 * The agent's only way to change the datapath: one long-lived
 * `ip -6 -force -batch -` per agent, fed on stdin (a change costs a fraction
 * of a millisecond instead of the several milliseconds of a new process).
 * Each batch ends with a sentinel command that always fails, so that ip's
 * stderr alone tells, in order, which lines failed and when the batch is done.
 * The agent never forwards a packet itself.
 *
 * Given a netlink socket in the node, a batch whose every line is a route,
 * rule or neighbour change of the forms a handover writes (netlink-requests.ts)
 * is made by the agent itself, request by request, when nothing is queued
 * for `ip` (so changes keep their order): no process to wake, a few tens of
 * microseconds a change. Failures read as ip's ("Error: <the kernel's message>."
 * or "RTNETLINK answers: <errno's text>").
 */
export class Kernel implements KernelPort {
  private proc: PipeProcess | undefined;
  private lineNo = 0;
  private pending: Pending[] = [];
  private stderrBuf = '';
  private message: string[] = [];
  private stopped = false;
  /** Lines applied so far (for state and tests). */
  applied = 0;
  /** Of those, lines made over netlink. */
  appliedOverNetlink = 0;

  private seq = 0;

  constructor(
    private readonly events: EventBus,
    private readonly runner: CommandRunner,
    private readonly netlink?: NetlinkPort,
  ) {}

  /** Makes the batch over netlink; undefined when a line is not encodable (all go to ip then). */
  private direct(lines: readonly string[]): KernelFailure[] | undefined {
    const nl = this.netlink;
    if (!nl || this.pending.length > 0) return undefined;
    const ifindex = (name: string) => nl.ifindex(name);
    const requests = lines.map((l) => netlinkRequest(l, ifindex, ++this.seq));
    if (requests.some((r) => r === undefined)) return undefined;
    const failures: KernelFailure[] = [];
    lines.forEach((line, i) => {
      try {
        let [errno, text] = nl.talk(requests[i]!);
        if (errno === ENODEV) {
          // An interface index read before its interface was made anew: read them again, once.
          nl.refresh();
          const again = netlinkRequest(line, ifindex, ++this.seq);
          if (again) [errno, text] = nl.talk(again);
        }
        // What ip prints: the kernel's own message when it gave one, else the errno's text.
        if (errno !== 0)
          failures.push({ command: line, message: text ? `Error: ${text}${text.endsWith('.') ? '' : '.'}` : `RTNETLINK answers: ${nl.errnoText(errno)}` });
      } catch (e) {
        failures.push({ command: line, message: e instanceof Error ? e.message : String(e) });
      }
    });
    this.applied += lines.length;
    this.appliedOverNetlink += lines.length;
    return failures;
  }

  private ensure(): PipeProcess {
    if (this.proc) return this.proc;
    const p = this.runner.pipe(['ip', '-6', '-force', '-batch', '-']);
    this.proc = p;
    this.lineNo = 0;
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (chunk: string) => this.onStderr(chunk));
    void p.exit.then(({ exitCode: code }) => {
      if (this.proc !== p) return;
      this.proc = undefined;
      const lost = this.pending;
      this.pending = [];
      for (const b of lost) b.resolve([...b.failures, { command: '(batch)', message: `ip exited (${code}) before finishing` }]);
      if (!this.stopped) this.events.emit('kernel.error', { command: 'ip -batch', message: `exited with ${code}; restarting on next change` });
    });
    p.stdin.on('error', () => undefined);
    return p;
  }

  private onStderr(chunk: string): void {
    this.stderrBuf += chunk;
    for (let nl = this.stderrBuf.indexOf('\n'); nl >= 0; nl = this.stderrBuf.indexOf('\n')) {
      const line = this.stderrBuf.slice(0, nl).trim();
      this.stderrBuf = this.stderrBuf.slice(nl + 1);
      const m = /^Command failed -:(\d+)$/.exec(line);
      if (!m) {
        if (line) this.message.push(line);
        continue;
      }
      const n = Number(m[1]);
      const text = this.message.join(' ');
      this.message = [];
      const b = this.pending[0];
      if (!b) continue;
      if (n === b.sentinel) {
        this.pending.shift();
        this.applied += b.lines.length;
        b.resolve(b.failures);
      } else if (n >= b.first && n < b.sentinel) {
        b.failures.push({ command: b.lines[n - b.first] ?? '?', message: text || 'failed' });
      }
    }
  }

  /** Applies `ip` batch lines (IPv6 family); resolves with the lines that failed. */
  apply(lines: readonly string[]): Promise<KernelFailure[]> {
    if (lines.length === 0) return Promise.resolve([]);
    const direct = this.direct(lines);
    if (direct) return Promise.resolve(direct);
    const p = this.ensure();
    return new Promise((resolve) => {
      const first = this.lineNo + 1;
      this.lineNo += lines.length + 1;
      this.pending.push({ lines: [...lines], first, sentinel: this.lineNo, failures: [], resolve });
      p.stdin.write(lines.join('\n') + '\n' + SENTINEL + '\n');
    });
  }

  /** Applies lines and reports failures that are not expected (`tolerate` matches ip's message). */
  async change(lines: readonly string[], tolerate?: RegExp): Promise<KernelFailure[]> {
    const failures = await this.apply(lines);
    const unexpected = tolerate ? failures.filter((f) => !tolerate.test(f.message)) : failures;
    for (const f of unexpected) this.events.emit('kernel.error', { command: f.command, message: f.message });
    return unexpected;
  }

  /** Runs `ip -j ...` and parses its JSON (empty array on failure). */
  async read<T>(args: readonly string[]): Promise<T[]> {
    const r = await this.runner.run(['ip', '-j', ...args]);
    if (r.exitCode !== 0 || !r.stdout.trim()) return [];
    try {
      return JSON.parse(r.stdout) as T[];
    } catch {
      return [];
    }
  }

  stop(): void {
    this.stopped = true;
    this.netlink?.close();
    this.proc?.stdin.end();
    this.proc?.kill();
    this.proc = undefined;
  }
}
