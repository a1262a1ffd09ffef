import { DmmlabError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { requireRoot } from '../util/root.js';
import type { Command } from './command.js';
import { usageError } from './usage-error.js';

export const execCommand: Command = {
  name: 'exec',
  summary: 'run a command inside a node (a shell when no command is given)',
  usage: 'exec <lab> <node> [-- command...]',
  help: 'Interactive when stdin is a terminal. The exit code is the command’s.',
  options: {},
  async run({ positionals, rest }, io) {
    const { getRuntime } = await import('../runtime/registry.js');
    const { readState } = await import('../state/journal.js');
    const { findProgram } = await import('../util/exec.js');
    if (positionals.length !== 2) throw usageError(this, 'expected a lab and a node');
    const [lab, nodeName] = positionals as [string, string];
    requireRoot('entering a node');
    const state = await readState(lab);
    const plan = state.plan as Plan;
    const node = plan.nodes.find((n) => n.name === nodeName);
    if (!node) throw new DmmlabError('E_NODE_NOT_FOUND', `lab ${lab} has no node ${nodeName}`, { hint: `nodes: ${plan.nodes.map((n) => n.name).join(', ')}` });
    const interactive = Boolean(process.stdin.isTTY);
    const command = rest.length > 0 ? rest : [findProgram('bash') ? 'bash' : 'sh'];
    const runtime = await getRuntime(state.runtime);
    const [file, ...args] = runtime.access(lab, node).shellArgv(command, { interactive });
    const { execa } = await import('execa');
    const child = execa(file as string, args, {
      stdio: 'inherit',
      reject: false,
      env: { DMMLAB_LAB: lab, DMMLAB_NODE: nodeName },
      cancelSignal: io.signal,
    });
    const r = await child;
    return r.exitCode ?? (r.signal ? 128 : 1);
  },
};
