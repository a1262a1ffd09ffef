import path from 'node:path';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';
import { oneOf, RUNTIME_CHOICES, RUNTIME_USAGE } from './choices.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'run one mobility pattern on several placements of the mobility functions and report them side by side',
  usage: `compare <compare.yaml> [--repeat N] [--placements a,b,...] [--sweep mns=1,2,4|delay=0,5,10|rate=0.5,1,2] [--out DIR] [--runtime ${RUNTIME_USAGE}] [--json]`,
  help: [
    'The file names a pattern (parts: mobile nodes, correspondents, cells; steps over them) and the placements',
    '(a topology each, and which node plays which part). Every placement is checked before anything is',
    'deployed; then each runs N times as an ordinary scenario. Writes compare.md, compare.json and',
    "interruption-cdf.svg into --out (default runs/compare-<name>-<timestamp>/), each placement's runs in its",
    'own directory. Exit code 1 when a run of a placement failed a step. Example: dmmlab compare compare/one-move.yaml',
    '--sweep mns=1,2,4 runs the comparison with 1, 2 and 4 copies of each mobile node of the pattern and writes',
    'sweep.md, sweep.json and one plot per metric with a line per placement (each point in its own directory).',
    '--sweep delay=0,5,10 puts that many ms of one-way delay on every infrastructure link (netem) and draws each',
    "placement's closed-form expectation (one round trip to the anchor) next to its measured interruption;",
    '--sweep wan=0,20 delays only the links between two networks (the core, not the access networks);',
    '--sweep rate=0.5,1,2 sets the time after each handover of the pattern to 1/rate s.',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', description: 'output directory' },
    runtime: { type: 'string', description: 'netns, docker or auto (default: the file’s, else auto)' },
    repeat: { type: 'string', description: 'runs per placement (default 1)' },
    placements: { type: 'string', description: 'only these placements (comma-separated names)' },
    sweep: {
      type: 'string',
      description:
        'PARAM=v1,v2,...: the comparison at each value (mns: copies of each mobile node; delay: ms of one-way delay on every infrastructure link, needs netem; wan: the same on links between two networks only; rate: handovers per second)',
    },
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
    const sweep = typeof values.sweep === 'string' ? parseSweep(values.sweep, (m) => usageError(this, m)) : undefined;
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

/** The sweeps `--sweep` takes: the parameter, the range of its values, and what they are. */
const SWEEPS = {
  mns: { min: 1, max: 50, whole: true, what: 'distinct whole numbers from 1 to 50 of copies of each mobile node' },
  delay: { min: 0, max: 500, whole: false, what: 'distinct numbers of ms from 0 to 500 of one-way delay per infrastructure link' },
  wan: { min: 0, max: 500, whole: false, what: 'distinct numbers of ms from 0 to 500 of one-way delay per link between two networks' },
  rate: { min: 0.01, max: 20, whole: false, what: 'distinct numbers from 0.01 to 20 of handovers per second' },
} as const;

/** `mns=1,2,4`, `delay=0,5ms,10`, `wan=0,20` or `rate=0.5,1,2`, checked. */
export function parseSweep(text: string, fail: (message: string) => Error): { param: keyof typeof SWEEPS; values: number[] } {
  const m = /^([a-z]+)=(.+)$/.exec(text);
  const param = m?.[1] as keyof typeof SWEEPS | undefined;
  const expected = Object.entries(SWEEPS)
    .map(([p, s]) => `${p}=v1,v2,... (${s.what})`)
    .join(', or ');
  if (!m || !param || !(param in SWEEPS)) throw fail(`--sweep: found ${JSON.stringify(text)}; expected ${expected}`);
  const spec = SWEEPS[param];
  // A delay may say its unit (5ms); an empty item is no number.
  const values = (m[2] as string).split(',').map((v) => {
    const item = param === 'delay' || param === 'wan' ? v.trim().replace(/ms$/, '') : v.trim();
    return item === '' ? NaN : Number(item);
  });
  if (
    values.length === 0 ||
    values.some((v) => !Number.isFinite(v) || v < spec.min || v > spec.max || (spec.whole && !Number.isInteger(v))) ||
    new Set(values).size !== values.length
  )
    throw fail(`--sweep: found ${JSON.stringify(text)}; expected ${param}=v1,v2,... (${spec.what})`);
  return { param, values };
}
