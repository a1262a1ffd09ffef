import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
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

/**
 * How an agent runs programs in its node: to completion, line by line, or
 * as a long-lived child with pipes. The agent of a node that is its own
 * process (a container, a namespace it was started in) runs them as they
 * are; an agent serving a node from outside runs them entered into it
 * (`prefix`, e.g. nsenter). Roles and services take one of these, never
 * child_process itself, so tests give them a fake.
 */
export interface CommandRunner {
  /** Runs argv to completion (never throws); optional stdin text and timeout. */
  run(argv: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<CommandOutput>;
  /** A long-running command whose stdout is delivered line by line. */
  lines(argv: readonly string[], onLine: (line: string) => void): LineProcess;
  /** A long-running command with stdin and stderr piped (`ip -batch -`). */
  pipe(argv: readonly string[]): ChildProcessByStdio<Writable, null, Readable>;
}

/** Runs commands directly, or behind `prefix` (an nsenter into another node's namespace). */
export function commandRunner(prefix: readonly string[] = []): CommandRunner {
  return {
    run: (argv, opts) => runCommand([...prefix, ...argv], opts),
    lines: (argv, onLine) => spawnLines([...prefix, ...argv], onLine),
    pipe: (argv) => {
      const [file, ...args] = [...prefix, ...argv];
      return spawn(file as string, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    },
  };
}

/** Runs argv to completion (never throws); optional stdin text and timeout. */
export function runCommand(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandOutput> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGTERM')), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: null, signal: null, stdout, stderr: stderr + e.message, timedOut });
    });
    child.on('close', (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A long-running command whose stdout is delivered line by line. */
export interface LineProcess {
  child: ChildProcess;
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

export function spawnLines(argv: readonly string[], onLine: (line: string) => void): LineProcess {
  const [file, ...args] = argv;
  const child = spawn(file as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('error', (e) => resolve({ exitCode: null, signal: null, stderr: stderr + e.message }));
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stderr }));
  });
  return { child, done, kill: (s: NodeJS.Signals = 'SIGTERM') => void child.kill(s) };
}
