import { PALETTE, renderSvgPlot, type PlotSeries } from '../report/svg-plot.js';
import type { PlacementReport, SweepReport } from './schema.js';
import { PARAM_LABEL } from './sweep-points.js';

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

/**
 * The closed-form line of each placement that has one (delay sweeps): the
 * measured median at the first point plus one round trip to the anchor per
 * ms of per-link delay, over the swept range.
 */
export function closedFormLines(s: SweepReport): { name: string; placement: string; points: [number, number][] }[] {
  const measured = lines(s, (p) => p.interruptionMs?.median);
  return (s.closedForm ?? []).flatMap((cf) => {
    const start = measured.find((l) => l.name === cf.placement)?.points[0];
    if (!start) return [];
    const [x0, y0] = start;
    return [{ name: `${cf.placement}: closed form`, placement: cf.placement, points: s.values.map((x): [number, number] => [x, y0 + cf.slope * (x - x0)]) }];
  });
}

/** Least-squares slope of a line's points (undefined with fewer than two distinct x). */
function slopeOf(points: readonly [number, number][]): number | undefined {
  if (points.length < 2) return undefined;
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? undefined : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

/** sweep-<metric>.svg: the figure DMM papers draw, a line per placement against the swept parameter (closed forms dashed). */
export function renderSweepPlots(s: SweepReport): Record<string, string> {
  return Object.fromEntries(
    METRICS.filter((m) => m.key !== 'interruption-p95').map((m) => {
      const measured = lines(s, m.value);
      const colour = (name: string) =>
        PALETTE[
          Math.max(
            0,
            measured.findIndex((l) => l.name === name),
          ) % PALETTE.length
        ] as string;
      const series: PlotSeries[] = measured.map((l) => ({ name: l.name, style: 'line', points: l.points, color: colour(l.name) }));
      if (m.key === 'interruption')
        for (const cf of closedFormLines(s)) series.push({ name: cf.name, style: 'line', points: cf.points, color: colour(cf.placement), dashed: true });
      return [
        `sweep-${m.key}.svg`,
        renderSvgPlot({
          title: `${s.name}: ${m.title} against ${PARAM_LABEL[s.param]}`,
          xLabel: PARAM_LABEL[s.param],
          yLabel: `${m.title} (${m.unit})`,
          series,
        }),
      ];
    }),
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
  if (s.closedForm?.length) {
    const measured = lines(s, (p) => p.interruptionMs?.median);
    out.push(
      '## Closed form: one round trip to the anchor',
      '',
      'The textbook expectation (the registration of Mobile IPv6 and Proxy Mobile IPv6; in flat DMM the context transfer with the MR the node left, its anchor here): each ms of one-way delay on every link adds 2 × hops ms of interruption, hops counted from the access router of the first handover to the node’s anchor. Dashed in sweep-interruption.svg, from each placement’s first point.',
      '',
      '| placement | anchor | from | hops | closed-form slope (ms/ms) | measured slope (ms/ms) |',
      '|---|---|---|---|---|---|',
    );
    for (const cf of s.closedForm) {
      const slope = slopeOf(measured.find((l) => l.name === cf.placement)?.points ?? []);
      out.push(`| ${cf.placement} | ${cf.anchor} | ${cf.from} | ${cf.hops} | ${cf.slope.toFixed(1)} | ${slope === undefined ? '–' : slope.toFixed(2)} |`);
    }
    out.push('');
  }
  for (const pt of s.points) out.push(`- ${s.param} = ${pt.value}: ${pt.dir}/compare.md`);
  return out.join('\n') + '\n';
}
