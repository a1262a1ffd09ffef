/**
 * Domain errors with a stable `code` and the process exit code the CLI uses for them.
 * Messages name the file, node, interface or value concerned.
 *
 * Exit codes: 0 success, 1 an expectation or a command failed, 2 bad input (usage,
 * topology or scenario file), 3 the environment lacks something (root, a kernel
 * module, a Docker daemon, a tool), 4 a runtime operation failed part-way.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_INPUT'
  | 'E_ENV'
  | 'E_NOT_ROOT'
  | 'E_LAB_EXISTS'
  | 'E_LAB_NOT_FOUND'
  | 'E_NODE_NOT_FOUND'
  | 'E_RUNTIME'
  | 'E_DOCKER'
  | 'E_AGENT'
  | 'E_TIMEOUT'
  | 'E_ABORTED'
  | 'E_EXPECTATION';

const exitCodes: Record<ErrorCode, number> = {
  E_USAGE: 2,
  E_INPUT: 2,
  E_ENV: 3,
  E_NOT_ROOT: 3,
  E_LAB_EXISTS: 2,
  E_LAB_NOT_FOUND: 2,
  E_NODE_NOT_FOUND: 2,
  E_RUNTIME: 4,
  E_DOCKER: 3,
  E_AGENT: 4,
  E_TIMEOUT: 4,
  E_ABORTED: 130,
  E_EXPECTATION: 1,
};

export interface DmmlabErrorOptions {
  cause?: unknown;
  /** One line telling the user what to do about it. */
  hint?: string;
}

export class DmmlabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, options: DmmlabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DmmlabError';
    this.code = code;
    this.hint = options.hint;
  }
  get exitCode(): number {
    return exitCodes[this.code];
  }
}

/** One problem found in an input file, located as precisely as the file allows. */
export interface InputIssue {
  file: string;
  line?: number;
  column?: number;
  /** Field path, e.g. `links[2].endpoints[1]`. */
  path: string;
  found: string;
  expected: string;
}

export function formatIssue(i: InputIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}:${i.column ?? 1}`;
  return `${where}: ${i.path || '(top level)'}: found ${i.found}; expected ${i.expected}`;
}

/** Bad input file: every issue found, nothing created. Exit code 2. */
export class InputError extends DmmlabError {
  readonly issues: InputIssue[];
  /** Problems found beyond those listed (only counted). */
  readonly more: number;
  constructor(issues: InputIssue[], more = 0) {
    const shown = issues.slice(0, MAX_LISTED_ISSUES);
    const left = more + issues.length - shown.length;
    super('E_INPUT', [...shown.map(formatIssue), ...(left > 0 ? [`… and ${left} more problem${left === 1 ? '' : 's'}`] : [])].join('\n'));
    this.name = 'InputError';
    this.issues = shown;
    this.more = left;
  }
}

/** Problems an InputError lists; the rest are counted (a broken generator can produce tens of thousands). */
export const MAX_LISTED_ISSUES = 50;

/** Several independent failures collected while carrying on (destroy, cleanup). */
export class AggregateFailure extends DmmlabError {
  readonly failures: { what: string; error: unknown }[];
  constructor(summary: string, failures: { what: string; error: unknown }[]) {
    super('E_RUNTIME', `${summary}:\n` + failures.map((f) => `  - ${f.what}: ${errorText(f.error)}`).join('\n'));
    this.name = 'AggregateFailure';
    this.failures = failures;
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** One thing that could not be done; destroy and cleanup collect these and carry on. */
export interface Failure {
  what: string;
  error: unknown;
}
