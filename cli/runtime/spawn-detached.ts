import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DmmlabError } from '../errors.js';

/**
 * Starts argv in a new session (so Ctrl-C of the CLI does not reach it), with
 * stdin closed and output appended to `logFile`, and returns its PID without
 * waiting for it.
 */
export async function spawnDetachedProcess(argv: readonly string[], logFile: string): Promise<number> {
  const [file, ...args] = argv;
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file as string, args, { detached: true, stdio: ['ignore', fd, fd] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new DmmlabError('E_ENV', `could not start ${file}: ${e.message}`)));
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * V8 settings for agents: a small young generation and a capped old one keep
 * an agent's resident memory within its 50 MB budget over hours (the
 * defaults let the heap grow lazily towards far larger limits).
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64'];

/** The agent bundle on the host (built by `npm run build`). */
export function hostAgentBundle(): string {
  const candidates = [new URL('../../agent/agent.mjs', import.meta.url), new URL('../../dist/agent/agent.mjs', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new DmmlabError('E_ENV', 'the agent bundle dist/agent/agent.mjs is missing', { hint: 'run npm run build (npm ci does it)' });
}
