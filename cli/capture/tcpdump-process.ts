import { spawn, type ChildProcess } from 'node:child_process';
import { DmmlabError } from '../errors.js';

/** How a tcpdump ended. */
export interface TcpdumpExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether `stop()` asked for it (as opposed to -c, an error or a closed pipe). */
  stopped: boolean;
}

/** tcpdump did not start: names the capture (`node:iface`) and carries tcpdump's own words. */
export class TcpdumpStartError extends DmmlabError {
  /** What tcpdump wrote on stderr. */
  readonly stderr: string;
  constructor(label: string, problem: string, stderr: string) {
    const said = stderr.trim();
    super(
      problem === 'timeout' ? 'E_TIMEOUT' : 'E_RUNTIME',
      `tcpdump on ${label} ${problem === 'timeout' ? 'did not report "listening on" in time' : problem}${said ? `: ${said.split('\n').slice(-4).join(' / ')}` : ''}`,
    );
    this.name = 'TcpdumpStartError';
    this.stderr = stderr;
  }
  /** tcpdump refused because the device is administratively down. */
  get deviceDown(): boolean {
    return /not up/i.test(this.stderr);
  }
}

export interface TcpdumpSpawnOptions {
  /** `node:iface` (or `node`), for messages. */
  label: string;
  /** Where tcpdump's stdout goes: nowhere (writing a file) or our own stdout (`-w -`, text decode). */
  stdout: 'ignore' | 'inherit';
  /** How long to wait for "listening on" (default 10 s). */
  readyTimeoutMs?: number;
  /** Called with the PID once the process exists, before waiting for it to listen (journal records). */
  onSpawn?: (pid: number) => Promise<void>;
  /** Every chunk tcpdump writes on stderr (the CLI forwards them). */
  onStderr?: (text: string) => void;
}

const STDERR_KEEP = 4096;

/**
 * One running tcpdump. `start` resolves once libpcap has opened the device and
 * tcpdump has said "listening on", i.e. once packets are being captured.
 * The process gets its own process group, so a Ctrl-C at the terminal reaches
 * the CLI (which stops captures in order) and not tcpdump directly.
 */
export class TcpdumpProcess {
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<TcpdumpExit>;
  private stderrText = '';
  private stopping = false;
  private done = false;

  private constructor(
    private readonly child: ChildProcess,
    /** `node:iface`. */
    readonly label: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.done = true;
        resolve({ code, signal, stopped: this.stopping });
      });
    });
  }

  /** Spawns argv (a full argv, namespace prefix included) and waits until tcpdump listens. */
  static async start(argv: readonly string[], opts: TcpdumpSpawnOptions): Promise<TcpdumpProcess> {
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { detached: true, stdio: ['ignore', opts.stdout, 'pipe'] });
    const proc = new TcpdumpProcess(child, opts.label);
    const listening = new Promise<void>((resolve, reject) => {
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        proc.stderrText = (proc.stderrText + text).slice(-STDERR_KEEP);
        opts.onStderr?.(text);
        if (proc.stderrText.includes('listening on')) resolve();
      });
      void proc.exited.then((x) => reject(new TcpdumpStartError(opts.label, `exited (${x.signal ?? `code ${x.code}`}) before listening`, proc.stderrText)));
    });
    listening.catch(() => undefined);
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) =>
        reject(
          new DmmlabError('E_ENV', `could not start ${file} for ${opts.label}: ${e.message}`, {
            hint: 'tcpdump, nsenter and setpriv (util-linux) must be installed',
          }),
        ),
      );
      child.once('spawn', () => resolve(child.pid as number));
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await opts.onSpawn?.(pid);
      const timeoutMs = opts.readyTimeoutMs ?? 10_000;
      await Promise.race([
        listening,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TcpdumpStartError(opts.label, 'timeout', proc.stderrText)), timeoutMs))),
      ]);
      return proc;
    } catch (e) {
      await proc.stop(1000);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** PID of tcpdump itself (setpriv and nsenter exec it). */
  get pid(): number {
    return this.child.pid as number;
  }

  /** Still running. */
  get running(): boolean {
    return !this.done;
  }

  /** The last few KB tcpdump wrote on stderr. */
  get stderr(): string {
    return this.stderrText;
  }

  /** SIGTERM (tcpdump flushes and closes its file), SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(graceMs = 5000): Promise<TcpdumpExit> {
    if (this.done) return this.exited;
    this.stopping = true;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      this.child.kill(sig);
    } catch {
      // gone already
    }
  }
}
