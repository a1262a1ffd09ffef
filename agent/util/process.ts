import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';

/**
 * Commands for the agent, on node:child_process directly. The orchestrator
 * uses execa; the agent does not, because importing execa alone adds about
 * 14 MB of resident memory to every node (the budget is 50 MB per agent).
 */

export interface CommandOutput {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A started program as the agent holds it, however it was started. */
export interface Child {
  readonly pid: number | undefined;
  /** Its stdin, stdout and stderr where piped (null where not). */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves once it has ended (a program that could not start ends at once, its error in `error`). */
  readonly exit: Promise<ChildExit>;
  /** Whether it has ended. */
  readonly exited: boolean;
  kill(signal?: NodeJS.Signals): void;
}

export interface ChildExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be started. */
  error?: string;
}

/** Starts argv with the streams asked for piped (the others on /dev/null). */
export type Spawner = (argv: readonly string[], pipes: { stdin: boolean; stdout: boolean; stderr: boolean }) => Child;

/**
 * How an agent runs programs in its node: to completion, line by line, or
 * as a long-lived child with pipes. The agent of a node that is its own
 * process (a container, a namespace it was started in) starts them itself
 * (nodeSpawner); an agent host serving many nodes starts them inside each
 * node's namespace (agent/io/netns-io.ts). Roles and services take one of
 * these, never child_process itself, so tests give them a fake.
 */
export interface CommandRunner {
  /** Runs argv to completion (never throws); optional stdin text and timeout. */
  run(argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<CommandOutput>;
  /** A long-running command whose stdout is delivered line by line. */
  lines(argv: readonly string[], onLine: (line: string) => void): LineProcess;
  /** A long-running command with stdin and stderr piped (`ip -batch -`). */
  pipe(argv: readonly string[]): PipeProcess;
}

/** A long-running command fed on stdin, its stderr read. */
export interface PipeProcess {
  stdin: Writable;
  stderr: Readable;
  exit: Promise<ChildExit>;
  kill(signal?: NodeJS.Signals): void;
}

/** Programs started with node:child_process, behind an optional `prefix` (e.g. nsenter). */
export function nodeSpawner(prefix: readonly string[] = []): Spawner {
  return (argv, pipes) => {
    const [file, ...args] = [...prefix, ...argv];
    const child = spawn(file as string, args, { stdio: [pipes.stdin ? 'pipe' : 'ignore', pipes.stdout ? 'pipe' : 'ignore', pipes.stderr ? 'pipe' : 'ignore'] });
    let exited = false;
    const exit = new Promise<ChildExit>((resolve) => {
      child.once('error', (e) => ((exited = true), resolve({ exitCode: null, signal: null, error: e.message })));
      child.once('close', (exitCode, signal) => ((exited = true), resolve({ exitCode, signal })));
    });
    return {
      pid: child.pid,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exit,
      get exited() {
        return exited;
      },
      kill: (signal = 'SIGTERM') => void child.kill(signal),
    };
  };
}

/** Runs commands with `spawner` (default: node:child_process, as they are). */
export function commandRunner(spawner: Spawner = nodeSpawner()): CommandRunner {
  return {
    run: (argv, opts) => runCommand(spawner, argv, opts),
    lines: (argv, onLine) => spawnLines(spawner, argv, onLine),
    pipe: (argv) => {
      const child = spawner(argv, { stdin: true, stdout: false, stderr: true });
      return { stdin: child.stdin!, stderr: child.stderr!, exit: child.exit, kill: (s) => child.kill(s) };
    },
  };
}

/** Runs argv to completion (never throws); optional stdin text and timeout. */
export function runCommand(spawner: Spawner, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandOutput> {
  const child = spawner(argv, { stdin: opts.input !== undefined, stdout: true, stderr: true });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGTERM')), opts.timeoutMs);
  if (opts.input !== undefined) {
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input);
  }
  return child.exit.then(async (r) => {
    if (timer) clearTimeout(timer);
    // Output still in the pipes arrives before they close.
    await Promise.all([ended(child.stdout), ended(child.stderr)]);
    return { exitCode: r.exitCode, signal: r.signal, stdout, stderr: r.error ? stderr + r.error : stderr, timedOut };
  });
}

/** Resolves when a stream has delivered everything (or at once when there is none). */
function ended(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** A long-running command whose stdout is delivered line by line. */
export interface LineProcess {
  child: Pick<Child, 'pid' | 'stderr' | 'exited'>;
  /** Resolves when the process ends, with its exit code and the tail of its stderr. */
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Resolves once process `pid` has installed a handler for `signal` (the SigCgt
 * mask in /proc/<pid>/status), so that sending it no longer kills the process;
 * false if the process is gone or `timeoutMs` passes first.
 */
export async function catchesSignal(pid: number, signal: number, timeoutMs = 5000): Promise<boolean> {
  const bit = 1n << BigInt(signal - 1);
  const until = Date.now() + timeoutMs;
  for (;;) {
    let status: string;
    try {
      status = await readFile(`/proc/${pid}/status`, 'utf8');
    } catch {
      return false;
    }
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (mask && (BigInt(`0x${mask}`) & bit) !== 0n) return true;
    if (/^State:\s*Z/m.test(status) || Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function spawnLines(spawner: Spawner, argv: readonly string[], onLine: (line: string) => void): LineProcess {
  const child = spawner(argv, { stdin: false, stdout: true, stderr: true });
  let buf = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const done = child.exit.then(async (r) => {
    await Promise.all([ended(child.stdout), ended(child.stderr)]);
    return { exitCode: r.exitCode, signal: r.signal, stderr: r.error ? stderr + r.error : stderr };
  });
  return { child, done, kill: (s: NodeJS.Signals = 'SIGTERM') => child.kill(s) };
}
