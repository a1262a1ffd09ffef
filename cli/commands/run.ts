import path from 'node:path';
import { formatEvent } from '../output/format-event.js';
import { renderTable } from '../output/table.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';
import { hostsOption, oneOf, RUNTIME_CHOICES, RUNTIME_USAGE, TUNNEL_CHOICES } from './choices.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a handover scenario: deploy, play the steps under traffic, capture, verify, report',
  usage: `run <scenario.yaml> [--out DIR] [--runtime ${RUNTIME_USAGE}] [--tunnel auto|ip6tnl|seg6|bpf] [--hosts N] [--lab LAB] [--keep] [--repeat N] [--junit FILE] [--verbose] [--json]`,
  help: [
    'Writes report.json, report.md, one SVG plot per flow, capture.pcapng (open it in Wireshark) and the',
    'per-interface pcaps into --out (default runs/<scenario>-<timestamp>/). Exit code 1 when an expectation',
    'fails (each failure is printed with its measured value), 0 when all hold.',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', description: 'output directory' },
    runtime: { type: 'string', description: 'netns, docker or auto (default: the scenario’s, else auto)' },
    hosts: { type: 'string', description: 'split the lab over N hosts (emulated here as namespaces), links between hosts VXLAN' },
    tunnel: { type: 'string', description: 'tunnel driver: auto, ip6tnl, seg6 or bpf (default: the topology’s)' },
    lab: { type: 'string', description: 'run against this deployed lab instead of deploying one' },
    keep: { type: 'boolean', description: 'keep the lab the run deploys' },
    repeat: { type: 'string', description: 'run N times and report median and p95' },
    junit: { type: 'string', description: 'write JUnit XML to this file' },
    verbose: { type: 'boolean', short: 'v', description: 'print every agent event as it happens' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { runScenario } = await import('../run/run-scenario.js');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one scenario file');
    const runtime = oneOf(values.runtime, RUNTIME_CHOICES, '--runtime');
    const tunnel = oneOf(values.tunnel, TUNNEL_CHOICES, '--tunnel');
    const hosts = hostsOption(values.hosts);
    const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000)
      throw usageError(this, `--repeat: found ${JSON.stringify(values.repeat)}; expected a whole number from 1 to 1000`);
    const result = await runScenario({
      scenario: path.resolve(file),
      ...(typeof values.out === 'string' ? { out: values.out } : {}),
      ...(runtime ? { runtime } : {}),
      ...(hosts === undefined ? {} : { hosts }),
      ...(tunnel ? { mobility: { tunnel } } : {}),
      ...(typeof values.lab === 'string' ? { lab: values.lab } : {}),
      keep: values.keep === true,
      repeat,
      ...(typeof values.junit === 'string' ? { junit: values.junit } : {}),
      progress: io.progress,
      signal: io.signal,
      ...(values.verbose ? { onEvent: (e) => io.stderr.write(formatEvent(e, undefined) + '\n') } : {}),
    });
    emit(io, { ok: result.ok, outDir: result.outDir, runs: result.reports, ...(result.summary ? { summary: result.summary } : {}) }, () => {
      const out: string[] = [];
      for (const [k, r] of result.reports.entries()) {
        if (result.reports.length > 1) out.push(`run ${k + 1}: ${r.ok ? 'passed' : 'FAILED'}`);
        out.push(
          renderTable(r.flows, [
            { header: 'flow', cell: (f) => `${f.id} ${f.from}→${f.to}` },
            { header: 'sent', cell: (f) => String(f.sent), align: 'right' },
            { header: 'received', cell: (f) => String(f.received), align: 'right' },
            { header: 'lost', cell: (f) => String(f.lost), align: 'right' },
            {
              header: 'interruption',
              cell: (f) => f.handovers.map((h) => (h.interruptionMs === undefined ? '–' : `${h.interruptionMs.toFixed(1)} ms`)).join(', '),
            },
            { header: 'settled path', cell: (f) => (f.settledMobilityPath ?? []).join(' → ') },
          ]),
        );
        for (const e of r.expectations) {
          out.push(
            `${e.ok ? '✔' : '✘'} ${e.name}${
              e.ok
                ? ''
                : ': ' +
                  e.checks
                    .filter((c) => !c.ok)
                    .map((c) => `${c.what} expected ${c.expected}, measured ${c.measured}`)
                    .join('; ')
            }`,
          );
        }
        for (const s of r.steps.filter((x) => !x.ok)) out.push(`✘ step ${s.path} (${s.text}): ${s.error ?? ''}`);
      }
      if (result.summary) out.push('', `summary: ${path.join(result.outDir, 'summary.md')}`);
      out.push(
        '',
        `${result.ok ? 'PASSED' : 'FAILED'} — report ${path.join(result.outDir, result.summary ? 'summary.md' : 'report.md')}, capture ${path.join(result.outDir, result.summary ? 'run-01/capture.pcapng' : 'capture.pcapng')}`,
      );
      return out.join('\n');
    });
    return result.ok ? 0 : 1;
  },
};
