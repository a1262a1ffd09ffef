import { run } from '../util/exec.js';

export interface BatchFailure {
  /** 1-based line of the batch that failed. */
  line: number;
  command: string;
  message: string;
}

/**
 * Runs an `ip -batch -` script (optionally inside a named namespace with
 * `ip -n`), carrying on past failing lines with -force. Returns the lines that
 * failed, each with ip's message. Throws only if ip could not run at all.
 */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; signal?: AbortSignal } = {}): Promise<BatchFailure[]> {
  if (lines.length === 0) return [];
  const argv = ['ip', ...(opts.netns ? ['-n', opts.netns] : []), '-force', '-batch', '-'];
  const r = await run(argv, { input: lines.join('\n') + '\n', allowFailure: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.exitCode === 0) return [];
  return parseBatchErrors(r.stderr, lines);
}

/** ip prints an error line, then `Command failed -:N`; pair them up. */
export function parseBatchErrors(stderr: string, lines: readonly string[]): BatchFailure[] {
  const out: BatchFailure[] = [];
  const pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(raw.trim());
    if (m) {
      const line = Number(m[1]);
      out.push({ line, command: lines[line - 1] ?? '?', message: pending.join(' ').trim() || 'failed' });
      pending.length = 0;
    } else if (raw.trim()) pending.push(raw.trim());
  }
  if (out.length === 0 && pending.length > 0) out.push({ line: 0, command: '(batch)', message: pending.join(' ') });
  return out;
}
