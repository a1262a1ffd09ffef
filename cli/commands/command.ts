import type { Progress } from '../util/progress.js';

/** What a command gets besides its arguments. */
export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** --json: one JSON document on stdout, progress as JSON lines on stderr. */
  json: boolean;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
  progress: Progress;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Words after a literal `--` (the command of `exec`). */
  rest: string[];
}

/** A flag: parseArgs' shape plus the line `--help` prints. */
export interface CommandOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
}

/** One CLI verb: a thin layer that parses flags and calls the library (cli/api.ts lists it). */
export interface Command {
  name: string;
  summary: string;
  /** Usage line without the program name, e.g. `deploy <topology> [--name NAME]`. */
  usage: string;
  /** Longer help: options, examples. */
  help?: string;
  options: Record<string, CommandOption>;
  /**
   * What Ctrl-C and SIGTERM do: `rollback` (default) aborts the command's
   * signal so it undoes what it half made and ends; `exit` ends the process at
   * once, for commands that change nothing (a long validate must not keep
   * running after it is told to stop).
   */
  interrupt?: 'rollback' | 'exit';
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

/** Prints a JSON document or text, as --json asks. */
export function emit(io: CommandIo, json: unknown, text: () => string): void {
  if (io.json) io.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else {
    const t = text();
    if (t) io.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  }
}

export const jsonOption = { json: { type: 'boolean' as const, description: 'machine-readable output' } };
