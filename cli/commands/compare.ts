import path from 'node:path';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';
import { oneOf, RUNTIME_CHOICES, RUNTIME_USAGE } from './choices.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'run one mobility pattern on several placements of the mobility functions and report them side by side',
  usage: `compare <compare.yaml> [--repeat N] [--placements a,b,...] [--sweep mns=1,2,4] [--out DIR] [--runtime ${RUNTIME_USAGE}] [--json]`,
  help: [
    'The file names a pattern (parts: mobile nodes, correspondents, cells; steps over them) and the placements',
    '(a topology each, and which node plays which part). Every placement is checked before anything is',
    'deployed; then each runs N times as an ordinary scenario. Writes compare.md, compare.json and',
    "interruption-cdf.svg into --out (default runs/compare-<name>-<timestamp>/), each placement's runs in its",
    'own directory. Exit code 1 when a run of a placement failed a step. Example: dmmlab compare compare/one-move.yaml',
    '--sweep mns=1,2,4 runs the comparison with 1, 2 and 4 copies of each mobile node of the pattern and writes',
    'sweep.md, sweep.json and one plot per metric with a line per placement (each point in its own directory).',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', description: 'output directory' },
    runtime: { type: 'string', description: 'netns, docker or auto (default: the file’s, else auto)' },
    repeat: { type: 'string', description: 'runs per placement (default 1)' },
    placements: { type: 'string', description: 'only these placements (comma-separated names)' },
    sweep: { type: 'string', description: 'PARAM=v1,v2,...: the comparison at each value (mns: copies of each mobile node)' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { runCompare } = await import('../compare/run-compare.js');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one comparison file');
    const runtime = oneOf(values.runtime, RUNTIME_CHOICES, '--runtime');
    const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000)
      throw usageError(this, `--repeat: found ${JSON.stringify(values.repeat)}; expected a whole number from 1 to 1000`);
    const only =
      typeof values.placements === 'string'
        ? values.placements
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    let sweep: { param: 'mns'; values: number[] } | undefined;
    if (typeof values.sweep === 'string') {
      const m = /^([a-z]+)=(.+)$/.exec(values.sweep);
      const list = m ? (m[2] as string).split(',').map((v) => Number(v.trim())) : [];
      if (!m || m[1] !== 'mns' || list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 1 || v > 50) || new Set(list).size !== list.length)
        throw usageError(
          this,
          `--sweep: found ${JSON.stringify(values.sweep)}; expected mns=N1,N2,... (distinct whole numbers from 1 to 50 of copies of each mobile node)`,
        );
      sweep = { param: 'mns', values: list };
    }
    const result = await runCompare({
      ...(sweep ? { sweep } : {}),
      file: path.resolve(file),
      ...(typeof values.out === 'string' ? { out: values.out } : {}),
      ...(runtime ? { runtime } : {}),
      repeat,
      ...(only ? { only } : {}),
      progress: io.progress,
      signal: io.signal,
    });
    emit(io, { ok: result.ok, outDir: result.outDir, report: result.report, ...(result.sweep ? { sweep: result.sweep } : {}) }, () =>
      [
        ...(result.sweep ? [`${result.sweep.param} = ${result.sweep.values.at(-1)} (the sweep's last point; sweep.md has every point):`] : []),
        ...result.report.placements.map(
          (p) =>
            `${p.name.padEnd(16)} runs ${p.passed}/${p.runs} passed  interruption ${p.interruptionMs ? `${p.interruptionMs.median.toFixed(2)} ms (p95 ${p.interruptionMs.p95.toFixed(2)})` : '–'}  loss ${p.lossPercent ? `${p.lossPercent.median.toFixed(2)} %` : '–'}  signalling ${p.signallingBytesPerHandover ? `${p.signallingBytesPerHandover.median.toFixed(0)} B` : '–'}/handover`,
        ),
        '',
        `${result.ok ? 'PASSED' : 'FAILED'} — ${path.join(result.outDir, result.sweep ? 'sweep.md' : 'compare.md')}`,
      ].join('\n'),
    );
    return result.ok ? 0 : 1;
  },
};
