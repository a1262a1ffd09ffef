import { monoMs } from '../../shared/clock.js';
import type { CommandRunner, LineProcess } from '../util/process.js';
import { FlowStats, SendMeter } from './flow-stats.js';
import type { FlowEndpoints } from '../../shared/control/flow-report.js';
import type { FlowHooks, FlowRunner } from './flow-runner.js';
import type { NodeSockets } from '../io/node-io.js';

const START_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 2000;

export interface IcmpEchoOptions {
  /** Runs ping in the node. */
  runner: CommandRunner;
  /** Opens the flow's sockets in the node. */
  sockets: NodeSockets;
  destination: string;
  /** Source address (`ping -I`); default: the one the kernel picks now. */
  source?: string;
  /** Echo requests per second (at most 1000: ping's interval has millisecond steps). */
  rate: number;
  /** ICMP payload bytes (`ping -s`). */
  size: number;
}

/** What a line of `ping -D -n -O` says. */
export type PingLine =
  | { type: 'reply'; seq: number; rttMs: number }
  | { type: 'no-answer'; seq: number }
  | { type: 'icmp-error'; seq: number; from: string; what: string }
  | { type: 'summary'; transmitted: number; received: number }
  | { type: 'start' }
  | { type: 'other' };

/** Parses one line of Debian's (iputils) `ping -D -n -O` output. */
export function parsePingLine(line: string): PingLine {
  let m = /bytes from .*icmp_seq=(\d+).*time=([\d.]+) ms/.exec(line);
  if (m) return { type: 'reply', seq: Number(m[1]), rttMs: Number(m[2]) };
  m = /no answer yet for icmp_seq=(\d+)/.exec(line);
  if (m) return { type: 'no-answer', seq: Number(m[1]) };
  m = /From (\S+?):? icmp_seq=(\d+) (.+)$/.exec(line);
  if (m) return { type: 'icmp-error', from: m[1] as string, seq: Number(m[2]), what: (m[3] as string).trim() };
  m = /(\d+) packets transmitted, (\d+) received/.exec(line);
  if (m) return { type: 'summary', transmitted: Number(m[1]), received: Number(m[2]) };
  if (line.startsWith('PING ')) return { type: 'start' };
  return { type: 'other' };
}

/** An errno-like code for ping's complaints on stderr ("ping: sendmsg: Network is unreachable"). */
export function pingErrorCode(line: string): string {
  const codes: [RegExp, string][] = [
    [/Network is unreachable/, 'ENETUNREACH'],
    [/No route to host/, 'EHOSTUNREACH'],
    [/Cannot assign requested address/, 'EADDRNOTAVAIL'],
    [/No buffer space/, 'ENOBUFS'],
    [/Permission denied|Operation not permitted/, 'EPERM'],
  ];
  return codes.find(([re]) => re.test(line))?.[1] ?? line.replace(/^ping:\s*/, '').trim();
}

/**
 * ICMP echo by Debian's ping (`-D -n -O -i <1/rate> -s <size> -I <source>`),
 * whose replies feed the same accounting as the other flows (16-bit sequence
 * numbers, round-trip times). Send errors on stderr are counted; ping dying
 * by itself breaks the flow.
 */
export class IcmpEcho implements FlowRunner {
  readonly meter = new SendMeter(monoMs());
  readonly stats = new FlowStats({ seqBits: 16 }, monoMs());
  readonly latencyKind = 'rtt';
  private proc: LineProcess | undefined;
  private sentSeq = 0;
  private summary: { transmitted: number; received: number } | undefined;
  private stopping = false;
  private started = false;
  private onStart: (() => void) | undefined;

  private constructor(
    private readonly opts: IcmpEchoOptions & { source: string },
    private readonly hooks: FlowHooks,
  ) {}

  static async open(opts: IcmpEchoOptions, hooks: FlowHooks): Promise<IcmpEcho> {
    const source = opts.source ?? (await opts.sockets.kernelSource(opts.destination));
    const echo = new IcmpEcho({ ...opts, source }, hooks);
    await echo.spawn();
    return echo;
  }

  /** The ping command line. */
  argv(): string[] {
    const interval = Math.max(0.001, 1 / this.opts.rate).toFixed(3);
    return ['ping', '-D', '-n', '-O', '-i', interval, '-s', String(this.opts.size), '-I', this.opts.source, this.opts.destination];
  }

  private async spawn(): Promise<void> {
    const proc = this.opts.runner.lines(this.argv(), (line) => this.onLine(line));
    this.proc = proc;
    let errBuf = '';
    proc.child.stderr?.on('data', (d: string) => {
      errBuf += d;
      for (let nl = errBuf.indexOf('\n'); nl >= 0; nl = errBuf.indexOf('\n')) {
        const line = errBuf.slice(0, nl).trim();
        errBuf = errBuf.slice(nl + 1);
        if (line && this.started) this.meter.failed(pingErrorCode(line));
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`ping did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      this.onStart = () => {
        clearTimeout(timer);
        resolve();
      };
      void proc.done.then((r) => {
        clearTimeout(timer);
        if (!this.started) reject(new Error(`${this.argv().join(' ')} exited ${r.exitCode ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join('; ')}`));
        else if (!this.stopping)
          this.hooks.error(new Error(`ping exited by itself (${r.exitCode ?? r.signal}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`), true);
      });
    });
  }

  private onLine(line: string): void {
    const p = parsePingLine(line);
    switch (p.type) {
      case 'start':
        this.started = true;
        this.onStart?.();
        return;
      case 'reply':
        this.sentUpTo(p.seq);
        this.stats.record(p.seq, this.opts.size, p.rttMs);
        return;
      case 'no-answer':
        this.sentUpTo(p.seq);
        return;
      case 'icmp-error':
        this.sentUpTo(p.seq);
        this.meter.notice(`icmp: ${p.what}`);
        return;
      case 'summary':
        this.summary = { transmitted: p.transmitted, received: p.received };
        if (p.transmitted > this.meter.sent) this.meter.sentOne((p.transmitted - this.meter.sent) * this.opts.size, p.transmitted - this.meter.sent);
        return;
      default:
        return;
    }
  }

  /** Counts echo requests up to `seq` (16 bits, wrapping) as sent. */
  private sentUpTo(seq: number): void {
    const ahead = (seq - (this.sentSeq % 65536) + 65536) % 65536;
    if (ahead === 0 || ahead >= 32768) return;
    this.sentSeq += ahead;
    this.meter.sentOne(ahead * this.opts.size, ahead);
  }

  endpoints(): FlowEndpoints {
    return { source: this.opts.source, destination: this.opts.destination, port: null };
  }

  extra(): Record<string, unknown> {
    const c = this.stats.counters();
    return {
      lastSeq: c.lastSeq,
      // Once ping has summed up, every request without a reply is lost (tail included).
      ...(this.summary ? { lost: Math.max(0, this.summary.transmitted - (c.received - c.duplicates - c.stale)), transmitted: this.summary.transmitted } : {}),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    if (!proc || proc.child.exited) return;
    // SIGINT: ping prints its summary (transmitted, received) and exits.
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await proc.done;
    clearTimeout(timer);
  }
}
