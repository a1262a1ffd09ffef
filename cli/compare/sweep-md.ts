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
  {
    key: 'busiest-mr',
    title: 'packets through the busiest MR, median',
    unit: 'packets',
    value: (p) => (Object.keys(p.packetsThroughMr).length ? Math.max(...Object.values(p.packetsThroughMr)) : undefined),
  },
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
 * A closed-form expectation a sweep draws dashed against a measured metric:
 * from each placement's first measured point (x0, y0), its value at x.
 */
interface ClosedFormModel {
  metric: string;
  heading: string;
  explain: string;
  at: (placement: string, x: number, x0: number, y0: number) => number | undefined;
}

const FLAT = (what: string, why: string): Omit<ClosedFormModel, 'metric'> => ({
  heading: `Closed form: ${what}`,
  explain: why,
  at: (_p, _x, _x0, y0) => y0,
});

/** The closed forms of each swept parameter (docs/compare.md). */
function closedForms(s: SweepReport): ClosedFormModel[] {
  if (s.param === 'delay' || s.param === 'wan')
    return [
      {
        metric: 'interruption',
        heading: 'Closed form: one round trip to the anchor',
        explain:
          'The textbook expectation (the registration of Mobile IPv6 and Proxy Mobile IPv6; in flat DMM the context transfer with the MR the node left, its anchor here): each ms of one-way delay on every delayed link adds 2 × hops ms of interruption, hops counted (over delayed links) from the access router of the first handover to the node’s anchor. Dashed in sweep-interruption.svg, from each placement’s first point.',
        at: (p, x, x0, y0) => {
          const cf = s.closedForm?.find((c) => c.placement === p);
          return cf ? y0 + cf.slope * (x - x0) : undefined;
        },
      },
    ];
  if (s.param === 'mns')
    return [
      {
        metric: 'signalling',
        ...FLAT(
          'signalling per handover does not depend on the number of nodes',
          'Every placement here signals per handover of one node, to the nodes that serve that node: more nodes mean more handovers, not more messages per handover. A measured line that rises means handovers interfere (retransmissions, refreshes in the window). Dashed in sweep-signalling.svg, flat from each placement’s first point.',
        ),
      },
      {
        metric: 'busiest-mr',
        heading: 'Closed form: the busiest MR carries each node’s flows',
        explain:
          'Each copy of a mobile node runs the pattern’s flows through the same cells, so the MR that carries most (the anchor of a central placement) carries them once per node: its packets grow in proportion, N / N0 times the first point. Below the line: some copies’ packets take other MRs (or are lost); above it, packets cross the MR more than once per node. Dashed in sweep-busiest-mr.svg.',
        at: (_p, x, x0, y0) => (x0 > 0 ? (y0 * x) / x0 : undefined),
      },
    ];
  return [
    {
      metric: 'signalling',
      ...FLAT(
        'signalling per handover does not depend on the handover rate',
        'While each handover completes before the next (1/rate above the handover’s duration) it costs the same messages. Where the measured line leaves the dashed one, handovers overlap: a registration is overtaken by the next move (fewer messages), or retried (more).',
      ),
    },
    {
      metric: 'interruption',
      ...FLAT(
        'interruption does not depend on the handover rate',
        'Each handover’s interruption is its own signalling’s, as long as handovers do not overlap; a rise marks the rate at which a move begins before the previous one has settled.',
      ),
    },
  ];
}

/**
 * The closed-form lines of a metric (default: the interruption): per
 * placement, from its first measured point, over the swept range.
 */
export function closedFormLines(s: SweepReport, metric = 'interruption'): { name: string; placement: string; points: [number, number][] }[] {
  const m = METRICS.find((x) => x.key === metric);
  const model = closedForms(s).find((x) => x.metric === metric);
  if (!m || !model) return [];
  return lines(s, m.value).flatMap((l) => {
    const start = l.points[0];
    if (!start) return [];
    const [x0, y0] = start;
    const points = s.values.flatMap((x): [number, number][] => {
      const y = model.at(l.name, x, x0, y0);
      return y === undefined ? [] : [[x, y]];
    });
    return points.length ? [{ name: `${l.name}: closed form`, placement: l.name, points }] : [];
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
      for (const cf of closedFormLines(s, m.key)) series.push({ name: cf.name, style: 'line', points: cf.points, color: colour(cf.placement), dashed: true });
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
  for (const model of closedForms(s)) {
    const m = METRICS.find((x) => x.key === model.metric)!;
    const measured = lines(s, m.value);
    const delays = s.param === 'delay' || s.param === 'wan';
    // A delay sweep where no placement has an anchor to count hops to has no closed form to show.
    if (delays && !s.closedForm?.length) continue;
    out.push(`## ${model.heading}`, '', model.explain, '');
    if (delays) {
      out.push('| placement | anchor | from | hops | closed-form slope (ms/ms) | measured slope (ms/ms) |', '|---|---|---|---|---|---|');
      for (const cf of s.closedForm ?? []) {
        const slope = slopeOf(measured.find((l) => l.name === cf.placement)?.points ?? []);
        out.push(`| ${cf.placement} | ${cf.anchor} | ${cf.from} | ${cf.hops} | ${cf.slope.toFixed(1)} | ${slope === undefined ? '–' : slope.toFixed(2)} |`);
      }
    } else {
      // Measured against expected at each point, and the largest departure.
      const expected = new Map(closedFormLines(s, model.metric).map((l) => [l.placement, new Map(l.points)]));
      out.push(
        `| placement | ${s.values.map((v) => `${s.param} = ${v}: measured / expected`).join(' | ')} | largest departure |`,
        `|---|${s.values.map(() => '---').join('|')}|---|`,
      );
      for (const l of measured) {
        const at = new Map(l.points);
        const exp = expected.get(l.name);
        const cells = s.values.map((v) => (at.has(v) && exp?.has(v) ? `${at.get(v)!.toFixed(1)} / ${exp.get(v)!.toFixed(1)}` : '–'));
        const off = s.values.flatMap((v) => (at.has(v) && exp?.get(v) ? [Math.abs(at.get(v)! / exp.get(v)! - 1)] : []));
        out.push(`| ${l.name} | ${cells.join(' | ')} | ${off.length ? `${(Math.max(...off) * 100).toFixed(0)} %` : '–'} |`);
      }
    }
    out.push('');
  }
  for (const pt of s.points) out.push(`- ${s.param} = ${pt.value}: ${pt.dir}/compare.md`);
  return out.join('\n') + '\n';
}
