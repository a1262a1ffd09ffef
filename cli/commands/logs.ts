import { readFile } from 'node:fs/promises';
import type { AgentEvent } from '../../shared/control/messages.js';
import { DmmlabError } from '../errors.js';
import { formatEvent } from '../output/format-event.js';
import type { Plan } from '../plan/types.js';
import { nodeLog, nodeOutput } from '../state/paths.js';
import { jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const logsCommand: Command = {
  name: 'logs',
  interrupt: 'exit',
  summary: "show a node agent's log (its events, signalling and errors)",
  usage: 'logs <lab> [node] [--follow] [--kind PREFIX] [--json]',
  help: 'Without a node, merges every agent’s log in time order. --kind mh. shows only signalling, --kind route. only route changes.',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events' },
    kind: { type: 'string', description: 'only events whose kind starts with this' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { LabSession } = await import('../lab/session.js');
    const { readState } = await import('../state/journal.js');
    const [lab, node] = positionals;
    if (!lab || positionals.length > 2) throw usageError(this, 'expected a lab and optionally a node');
    const state = await readState(lab);
    const plan = state.plan as Plan;
    const nodes = node ? [node] : plan.nodes.filter((n) => n.agent).map((n) => n.name);
    if (node && !plan.nodes.some((n) => n.name === node)) throw new DmmlabError('E_NODE_NOT_FOUND', `lab ${lab} has no node ${node}`);
    const kind = typeof values.kind === 'string' ? values.kind : undefined;
    const keep = (e: AgentEvent) => !kind || e.kind.startsWith(kind);
    const print = (e: AgentEvent) => io.stdout.write((io.json ? JSON.stringify(e) : formatEvent(e, state.monoToWallMs)) + '\n');
    const events: AgentEvent[] = [];
    for (const n of nodes) {
      const text = await readFile(nodeLog(lab, n), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line) as AgentEvent);
        } catch {
          // a torn last line while the agent writes
        }
      }
    }
    events.sort((a, b) => a.t - b.t);
    for (const e of events) if (keep(e)) print(e);
    if (node && !io.json) {
      const out = (await readFile(nodeOutput(lab, node), 'utf8').catch(() => '')).trim();
      if (out) io.stdout.write(`--- ${node} process output ---\n${out}\n`);
    }
    if (!values.follow) return 0;
    const session = await LabSession.open(lab);
    session.on('event', (e) => {
      if ((!node || e.node === node) && keep(e)) print(e);
    });
    session.on('agent-down', (d) => io.stderr.write(`agent ${d.node} stopped answering: ${d.why}\n${d.lastLines}\n`));
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
    session.close();
    return 0;
  },
};
