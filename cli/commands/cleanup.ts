import { errorText } from '../errors.js';
import { emit, jsonOption, type Command } from './command.js';

export const cleanupCommand: Command = {
  name: 'cleanup',
  summary: 'remove leftovers of crashed or killed deploys and runs (--all: every lab)',
  usage: 'cleanup [--all] [--json]',
  options: { all: { type: 'boolean', description: 'also remove running labs' }, ...jsonOption },
  async run({ values }, io) {
    const { cleanup } = await import('../lab/cleanup.js');
    const report = await cleanup({ all: values.all === true, progress: io.progress });
    emit(io, { ...report, failures: report.failures.map((f) => ({ what: f.what, error: errorText(f.error) })) }, () => {
      const lines: string[] = [];
      for (const r of report.removed) lines.push(`removed lab ${r.lab}: ${r.reason}`);
      for (const o of report.orphans) lines.push(`removed ${o}`);
      for (const k of report.kept) lines.push(`kept lab ${k.lab}: ${k.reason} (dmmlab destroy ${k.lab}, or cleanup --all)`);
      for (const f of report.failures) lines.push(`FAILED ${f.what}: ${errorText(f.error)}`);
      return lines.length ? lines.join('\n') : 'nothing to clean up';
    });
    return report.failures.length === 0 ? 0 : 4;
  },
};
