/**
 * Progress of long work (deploy, image build, runs). The library reports through
 * this interface; the CLI renders it as a live line on a TTY, plain lines
 * otherwise, or JSON events with --json. Tests pass `silentProgress`.
 */
export interface Progress {
  /** A phase begins; `total` units of work if known. */
  phase(label: string, total?: number): void;
  /** `n` more units of the current phase are done. */
  tick(n?: number): void;
  /** Something the user should read (which runtime was picked and why, ...). */
  info(message: string): void;
  warn(message: string): void;
  /** The current phase is over. */
  done(summary?: string): void;
}

export const silentProgress: Progress = {
  phase() {},
  tick() {},
  info() {},
  warn() {},
  done() {},
};

/** Progress that records everything it is told, for tests and reports. */
export function recordingProgress(): Progress & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    phase: (label, total) => void lines.push(`phase ${label}${total === undefined ? '' : ` (${total})`}`),
    tick: () => {},
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    done: (s) => void lines.push(`done${s ? ` ${s}` : ''}`),
  };
}
