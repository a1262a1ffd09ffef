import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmmlabError } from '../errors.js';

/**
 * Starts argv in a new session (so Ctrl-C of the CLI does not reach it), with
 * stdin closed and output appended to `logFile`, and returns its PID without
 * waiting for it.
 */
export async function spawnDetachedProcess(argv: readonly string[], logFile: string, env?: Record<string, string>): Promise<number> {
  const [file, ...args] = argv;
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file as string, args, { detached: true, stdio: ['ignore', fd, fd], ...(env ? { env: { ...process.env, ...env } } : {}) });
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

/** The `node` an agent host's journal entry names: it belongs to no node. */
export const AGENT_HOST_NODE = '(agent host)';

/**
 * V8 settings for an agent host: one process for hundreds of nodes needs a
 * heap of hundreds of megabytes, and a larger young generation collects less
 * often under a burst of signalling. `--no-lazy` compiles every function of
 * the agent when the host starts: a handover runs code paths that run once
 * per handover, and compiling each on its first call put V8's parser on the
 * signalling path (about 15 % of the host's CPU between the radio change and
 * the previous MR's tunnel, in a perf profile). Measured on figure 5, three
 * interleaved pairs of 8 runs: previous MR's tunnel 4.4/4.4/3.9 → 3.7/3.1/2.5
 * ms after the radio change, interruption 7.4/6.3/6.2 → 5.3/5.2/4.8 ms; the
 * price is about 40 ms more start-up and 8.5 MB more resident, once per lab.
 */
export const AGENT_HOST_NODE_FLAGS = ['--max-semi-space-size=16', '--max-old-space-size=4096', '--no-lazy'];

/** The agent bundle on the host (built by `npm run build`). */
export function hostAgentBundle(): string {
  const candidates = [new URL('../../agent/agent.mjs', import.meta.url), new URL('../../dist/agent/agent.mjs', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new DmmlabError('E_ENV', 'the agent bundle dist/agent/agent.mjs is missing', { hint: 'run npm run build (npm ci does it)' });
}

/**
 * The native helpers an agent host needs, if they were built (scripts/build-native.js): the addon
 * that opens sockets and starts programs in nodes' namespaces, and the shim preloaded so that it
 * can receive from link-local senders (native/netns-helper.c, native/ifname-shim.c).
 */
export function agentHostHelpers(): { addon: string; shim: string } | undefined {
  const dir = path.dirname(hostAgentBundle());
  const addon = path.join(dir, 'netns-helper.node');
  const shim = path.join(dir, 'ifname-shim.so');
  return existsSync(addon) && existsSync(shim) ? { addon, shim } : undefined;
}
