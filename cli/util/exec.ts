import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { DmmlabError } from '../errors.js';

/** Result of one command: what a caller needs to report it (execa's result shape). */
export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  /** Text written to the command's stdin (e.g. an `ip -batch -` script). */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Runs argv (never a shell string) and returns its output. Throws a DmmlabError
 * naming the command and its stderr when it fails, unless `allowFailure`.
 */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new DmmlabError('E_RUNTIME', 'run: empty command');
  const started = performance.now();
  const options: Options = {
    reject: false,
    stripFinalNewline: true,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  };
  const r = await execa(file, args, options);
  const result: CommandResult = {
    command: argv.join(' '),
    exitCode: r.exitCode ?? (r.failed ? 1 : 0),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  if (r.isCanceled) throw new DmmlabError('E_ABORTED', `${brief(argv)}: cancelled`);
  if (r.timedOut) throw new DmmlabError('E_TIMEOUT', `${result.command}: timed out after ${opts.timeoutMs} ms`);
  if (r.failed && r.exitCode === undefined) {
    throw new DmmlabError('E_ENV', `${file}: could not start (${r.shortMessage})`, { cause: r.cause });
  }
  if (result.exitCode !== 0 && !opts.allowFailure) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n');
    throw new DmmlabError('E_RUNTIME', `${result.command} exited ${result.exitCode}: ${detail}`);
  }
  return result;
}

/** The absolute path of a program found on PATH, or undefined. */
export function findProgram(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir || '.', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `tasks` with at most `limit` in flight; keeps order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A command line short enough for a message: its first words (sysctl lists and scripts elided). */
function brief(argv: readonly string[]): string {
  const text = argv.map((a) => (a.includes('\n') ? '<script>' : a)).join(' ');
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
