import { AggregateFailure, errorText } from '../errors.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const destroyCommand: Command = {
  name: 'destroy',
  summary: 'remove a lab (its nodes, links, agents, captures and state)',
  usage: 'destroy <lab>... | --all [--json]',
  options: { all: { type: 'boolean', description: 'every lab on this machine' }, ...jsonOption },
  async run({ values, positionals }, io) {
    const { destroy } = await import('../lab/destroy.js');
    const { listLabs } = await import('../state/journal.js');
    const labs = values.all ? await listLabs() : positionals;
    if (!values.all && positionals.length === 0) throw usageError(this, 'name a lab, or --all');
    const results: { lab: string; ok: boolean; error?: string }[] = [];
    for (const lab of labs) {
      try {
        await destroy(lab, { progress: io.progress });
        results.push({ lab, ok: true });
      } catch (e) {
        results.push({ lab, ok: false, error: errorText(e) });
        if (!(e instanceof AggregateFailure) && labs.length === 1) throw e;
      }
    }
    emit(io, results, () => (results.length === 0 ? 'no labs' : results.map((r) => (r.ok ? `destroyed ${r.lab}` : `FAILED ${r.lab}: ${r.error}`)).join('\n')));
    return results.every((r) => r.ok) ? 0 : 4;
  },
};
