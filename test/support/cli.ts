import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/dmmlab.js`;

/** Runs the built dmmlab CLI and returns its result (never throws on exit codes). */
export async function dmmlab(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}) {
  return execa('node', [BIN, ...args], {
    reject: false,
    cwd: ROOT,
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

/** Starts the CLI in the background (for kill and Ctrl-C tests). */
export function dmmlabSpawn(args: string[], opts: { env?: Record<string, string> } = {}): ResultPromise<{ reject: false; cwd: string }> {
  return execa('node', [BIN, ...args], { reject: false, cwd: ROOT, ...(opts.env ? { env: opts.env } : {}) });
}

/** A command's JSON output (`--json`), as the type the test expects of it. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
