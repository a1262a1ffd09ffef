import { renderSvgPlot } from '../report/svg-plot.js';
import type { Stat } from '../report/report-schema.js';
import type { CompareReport } from './schema.js';

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
const row = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
const num = (x: number | undefined, digits = 2, unit = '') => (x === undefined ? '–' : `${x.toFixed(digits)}${unit}`);
const med = (s: Stat | undefined, digits = 2, unit = '') => (s ? `${s.median.toFixed(digits)}${unit} (p95 ${s.p95.toFixed(digits)}${unit})` : '–');

/** Every handover's interruption as an empirical CDF, one line per placement. */
export function renderInterruptionCdf(r: CompareReport): string {
  return renderSvgPlot({
    title: `${r.name}: handover interruption by placement (${r.repeat} run${r.repeat === 1 ? '' : 's'} each)`,
    xLabel: 'interruption (ms)',
    yLabel: 'share of handovers (%)',
    series: r.placements.map((p) => ({
      name: p.name,
      style: 'line' as const,
      // A step line: each value raises the share by 1/n.
      points: p.interruptions.flatMap((x, i, all) => [[x, (100 * i) / all.length] as const, [x, (100 * (i + 1)) / all.length] as const]),
    })),
  });
}

const HELD_NAMES: Record<string, string> = {
  bindings: 'LM bindings',
  leases: 'HAA leases',
  anchored: 'MR entries anchored here, served elsewhere',
  attached: 'MR entries of attached nodes',
  cached: 'MR location caches',
  contexts: 'MR handover contexts',
  intercepted: 'MR anycast prefixes of other anchors',
  reverseRules: 'reverse-tunnel rules',
  tunnels: 'tunnel peers',
  proxyEntries: 'LM proxy entries',
};

/** compare.md: the placements side by side, one column each. */
export function renderCompareMarkdown(r: CompareReport, cdf: string): string {
  const ps = r.placements;
  const out: string[] = [`# Comparison ${r.name}`, '', `${r.file}, ${r.repeat} run${r.repeat === 1 ? '' : 's'} per placement on ${r.runtime}.`, ''];
  for (const p of ps) out.push(`- **${p.name}**: ${p.description ?? p.topology} (scenario ${p.scenario}, runs in ${p.outDir})`);
  out.push('', row(['', ...ps.map((p) => p.name)]), row(['---', ...ps.map(() => '---')]));
  const line = (label: string, cell: (p: (typeof ps)[number]) => string) => out.push(row([label, ...ps.map(cell)]));
  line('runs passed', (p) => `${p.passed} of ${p.runs}`);
  line('interruption median (p95)', (p) => med(p.interruptionMs, 2, ' ms'));
  line('handovers measured', (p) => String(p.interruptions.length));
  line('loss per flow, median (p95)', (p) => med(p.lossPercent, 2, ' %'));
  const flowIds = [...new Set(ps.flatMap((p) => p.flows.map((f) => f.id)))];
  for (const id of flowIds) {
    const f = (p: (typeof ps)[number]) => p.flows.find((x) => x.id === id);
    line(`${id}: settled path`, (p) => f(p)?.settledPath.join(' → ') ?? '–');
    line(`${id}: hops (shortest)`, (p) => (f(p) ? `${num(f(p)?.hops, 0)} (${f(p)?.shortestHops})` : '–'));
    line(`${id}: path stretch`, (p) => num(f(p)?.pathStretch));
    line(`${id}: one-way latency median (p95 of runs)`, (p) => med(f(p)?.latencyMs, 3, ' ms'));
    line(`${id}: tunnelled packets`, (p) => med(f(p)?.tunnelledPercent, 1, ' %'));
    line(`${id}: tunnel overhead per run`, (p) => med(f(p)?.tunnelOverheadBytes, 0, ' B'));
  }
  const types = [...new Set(ps.flatMap((p) => Object.keys(p.signallingPerHandover)))].sort();
  for (const t of types) line(`${t} per handover (median)`, (p) => num(p.signallingPerHandover[t], 1));
  line('signalling bytes per handover', (p) => med(p.signallingBytesPerHandover, 0, ' B'));
  if (ps.some((p) => p.synchronisationPerHandover))
    line('of which LM replica / home agent synchronisation (messages, bytes)', (p) =>
      p.synchronisationPerHandover ? `${num(p.synchronisationPerHandover.messages, 1)}, ${num(p.synchronisationPerHandover.bytes, 0)} B` : '–',
    );
  const mrs = [...new Set(ps.flatMap((p) => Object.keys(p.packetsThroughMr)))].sort();
  for (const mr of mrs) line(`packets through ${mr} (median per run)`, (p) => num(p.packetsThroughMr[mr], 0));
  // What the placement leaves in the nodes once the pattern ends: summed over nodes (the most one node held).
  const kinds = [...new Set(ps.flatMap((p) => Object.keys(p.stateHeld?.total ?? {})))];
  for (const k of kinds)
    line(`state held at the end: ${HELD_NAMES[k] ?? k} (most on one node)`, (p) =>
      p.stateHeld ? `${num(p.stateHeld.total[k], 0)} (${num(p.stateHeld.maxPerNode[k], 0)})` : '–',
    );
  out.push(
    '',
    `![interruption CDF](${cdf})`,
    '',
    "Figures come from each run's own report.json (docs/compare.md defines them): interruption is every handover of every flow; the settled path is the last run's, without plain routers; tunnel overhead counts the 40-byte outer header of every tunnelled hop of every packet; \"packets through\" counts the pattern's flow packets whose path crossed the MR.",
    '',
  );
  return out.join('\n');
}
