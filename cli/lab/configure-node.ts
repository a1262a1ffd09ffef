import { DmmlabError } from '../errors.js';
import { parseBatchErrors } from '../kernel/ip-batch.js';
import type { NodeSetup } from '../kernel/node-commands.js';
import type { NodeAccess } from '../runtime/runtime.js';

/**
 * The one process that configures a node: inside it, it writes the sysctls
 * from argv (never interpolated into the script), then execs
 * `ip -force -batch -` on stdin. One process per node keeps a 200-node deploy
 * fast; a fixed script keeps it safe.
 */
const SCRIPT = [
  'while [ $# -gt 1 ]; do',
  '  k=$1',
  // An optional one (a leading "?", cli/kernel/node-commands.ts) the kernel does not have is skipped.
  '  case $k in "?"*) k=${k#?}; if [ ! -e "/proc/sys/$k" ]; then shift 2; continue; fi;; esac',
  '  if ! printf %s "$2" > "/proc/sys/$k" 2>/dev/null; then echo "sysctl $k=$2 failed" >&2; fi',
  '  shift 2',
  'done',
  'exec ip -force -batch -',
].join('\n');

export async function applyNodeSetup(node: NodeAccess, setup: NodeSetup, signal?: AbortSignal): Promise<void> {
  const r = await node.run(['sh', '-c', SCRIPT, 'sh', ...setup.sysctls.flat()], { input: setup.ip.join('\n') + '\n', ...(signal ? { signal } : {}) });
  const sysctlErrors = r.stderr.split('\n').filter((l) => l.startsWith('sysctl '));
  const ipErrors = parseBatchErrors(
    r.stderr
      .split('\n')
      .filter((l) => !l.startsWith('sysctl '))
      .join('\n'),
    setup.ip,
  );
  if (sysctlErrors.length === 0 && ipErrors.length === 0 && r.exitCode === 0) return;
  const lines = [...sysctlErrors, ...ipErrors.map((e) => `ip ${e.command}: ${e.message}`)];
  if (lines.length === 0) lines.push(r.stderr.trim() || `exit ${r.exitCode}`);
  throw new DmmlabError('E_RUNTIME', `configuring node ${node.node.name} failed:\n  ${lines.join('\n  ')}`);
}
