import { renderSvgPlot } from '../report/svg-plot.js';
import type { PlacementReport, SweepReport } from './schema.js';

/** The figures a sweep draws: one line per placement over the swept parameter. */
const METRICS: { key: string; title: string; unit: string; value: (p: PlacementReport) => number | undefined }[] = [
  { key: 'interruption', title: 'handover interruption, median', unit: 'ms', value: (p) => p.interruptionMs?.median },
  { key: 'interruption-p95', title: 'handover interruption, p95', unit: 'ms', value: (p) => p.interruptionMs?.p95 },
  {
    key: 'signalling',
    title: 'signalling messages per handover',
    unit: 'messages',
    value: (p) => (Object.keys(p.signallingPerHandover).length ? Object.values(p.signallingPerHandover).reduce((a, b) => a + b, 0) : undefined),
  },
  { key: 'signalling-bytes', title: 'signalling bytes per handover, median', unit: 'bytes', value: (p) => p.signallingBytesPerHandover?.median },
  { key: 'loss', title: 'loss per flow, median', unit: '%', value: (p) => p.lossPercent?.median },
];

const PARAM_LABEL: Record<SweepReport['param'], string> = { mns: 'mobile nodes running the pattern' };

/** Per placement, the metric at each point of the sweep. */
function lines(s: SweepReport, value: (p: PlacementReport) => number | undefined): { name: string; points: [number, number][] }[] {
  const names = [...new Set(s.points.flatMap((pt) => pt.report.placements.map((p) => p.name)))];
  return names.map((name) => ({
    name,
    points: s.points.flatMap((pt): [number, number][] => {
      const p = pt.report.placements.find((x) => x.name === name);
      const v = p ? value(p) : undefined;
      return v === undefined ? [] : [[pt.value, v]];
    }),
  }));
}

/** sweep-<metric>.svg: the figure DMM papers draw, a line per placement against the swept parameter. */
export function renderSweepPlots(s: SweepReport): Record<string, string> {
  return Object.fromEntries(
    METRICS.filter((m) => m.key !== 'interruption-p95').map((m) => [
      `sweep-${m.key}.svg`,
      renderSvgPlot({
        title: `${s.name}: ${m.title} against ${PARAM_LABEL[s.param]}`,
        xLabel: PARAM_LABEL[s.param],
        yLabel: `${m.title} (${m.unit})`,
        series: lines(s, m.value).map((l) => ({ name: l.name, style: 'line' as const, points: l.points })),
      }),
    ]),
  );
}

/** sweep.md: a table per metric (placements down, values across) and the plots. */
export function renderSweepMarkdown(s: SweepReport): string {
  const out: string[] = [
    `# Sweep of ${s.name} over ${s.param}`,
    '',
    `${s.file}: the comparison at ${s.param} = ${s.values.join(', ')} (${PARAM_LABEL[s.param]}; each point's compare.md is in its directory).`,
    '',
  ];
  for (const m of METRICS) {
    out.push(
      `## ${m.title} (${m.unit})`,
      '',
      `| placement | ${s.values.map((v) => `${s.param} = ${v}`).join(' | ')} |`,
      `|---|${s.values.map(() => '---').join('|')}|`,
    );
    for (const l of lines(s, m.value)) {
      const at = new Map(l.points);
      out.push(`| ${l.name} | ${s.values.map((v) => (at.has(v) ? (at.get(v) as number).toFixed(2) : '–')).join(' | ')} |`);
    }
    if (m.key !== 'interruption-p95') out.push('', `![${m.title}](sweep-${m.key}.svg)`);
    out.push('');
  }
  for (const pt of s.points) out.push(`- ${s.param} = ${pt.value}: ${pt.dir}/compare.md`);
  return out.join('\n') + '\n';
}
