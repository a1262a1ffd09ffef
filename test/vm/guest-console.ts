import { END_MARKER, FAIL_MARKER, START_MARKER } from './init-script.js';

/** What the guest console has said so far. */
export interface ConsoleState {
  /** Host time (performance.now()) and guest uptime when the command started. */
  started?: { atMs: number; uptimeS: number };
  /** Host time, guest uptime and exit code when the command ended. */
  ended?: { atMs: number; uptimeS: number; exitCode: number };
  /** /init gave up before the command (a module or a mount failed). */
  failed: boolean;
}

/**
 * Splits the serial console into lines, finds the start/end markers (which carry the run's
 * nonce), and decides what reaches our stdout: the command's output live, boot noise only with
 * --verbose (it is kept, to print when the boot fails), and /init's warnings always.
 */
export class GuestConsole {
  readonly state: ConsoleState = { failed: false };
  /** Lines printed before the command started, kept for diagnosing a failed boot. */
  readonly bootLog: string[] = [];
  private pending = '';
  private midLine = false;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly nonce: string,
    private readonly verbose: boolean,
    private readonly out: (text: string) => void,
  ) {}

  /** Feeds bytes read from qemu's serial stdout. */
  write(chunk: Uint8Array): void {
    this.pending = (this.pending + this.decoder.decode(chunk, { stream: true })).replace(/\r\n/g, '\n');
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (this.midLine) {
        this.midLine = false;
        this.out(`${line.replace(/\r$/, '')}\n`);
      } else {
        this.line(line);
      }
    }
    this.flushPartial();
  }

  /** Prints what is left at the end (a last line without a newline). */
  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  /** Streams a partial line of the command's output unless it may be the start of a marker. */
  private flushPartial(): void {
    if (!this.state.started || this.state.ended || !this.pending) return;
    const text = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
    if (!this.midLine && END_MARKER.startsWith(text.slice(0, END_MARKER.length))) return;
    this.out(text);
    this.pending = this.pending.slice(text.length);
    this.midLine = true;
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    const words = line.split(' ');
    if (words[0] === START_MARKER && words[1] === this.nonce && !this.state.started) {
      this.state.started = { atMs: performance.now(), uptimeS: Number(words[2]) };
      return;
    }
    if (words[0] === END_MARKER && words[1] === this.nonce && this.state.started && !this.state.ended) {
      this.state.ended = { atMs: performance.now(), exitCode: Number(words[2]), uptimeS: Number(words[3]) };
      return;
    }
    if (!this.state.started) {
      if (line === FAIL_MARKER) this.state.failed = true;
      this.bootLog.push(line);
      if (this.verbose || line.startsWith('dmmlab-vm: warning')) this.out(`${line}\n`);
      return;
    }
    if (this.state.ended && !this.verbose) return;
    this.out(`${line}\n`);
  }
}
