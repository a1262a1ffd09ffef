import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderRunMarkdown } from './report-md.js';
import type { RunReport } from './report-schema.js';
import { PALETTE, renderSvgPlot, type PlotMarker, type PlotSeries } from './svg-plot.js';
import type { Analysis, FlowAnalysis } from '../analyze/types.js';
import type { ExpectationResult } from '../scenario/results.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { CaptureFileRef } from '../capture/capture-file.js';
import type { RunLog } from '../scenario/run-log.js';
import type { ClockBound } from '../analyze/clock-bounds.js';

export interface BuildReportInput {
  loaded: LoadedScenario;
  lab: string;
  runtime: string;
  tunnelDriver: string;
  startedAt: string;
  durationMs: number;
  /** Monotonic ms the timeline started (times in the report are relative to it). */
  runStart: number;
  log: RunLog;
  analysis: Analysis;
  expectations: ExpectationResult[];
  captures: CaptureFileRef[];
  /** What each node held when the timeline ended (cli/lab/held-state.ts). */
  stateHeld?: Record<string, Record<string, number>>;
  /** Labs that span hosts: the hosts' capture clocks bracketed from their underlay captures. */
  clock?: ClockBound[];
  outDir: string;
  pcapng?: string;
}

/** Writes report.json, report.md and one SVG plot per flow into the run directory, and returns the report. */
export async function buildRunReport(i: BuildReportInput): Promise<RunReport> {
  const rel = (t: number) => round(t - i.runStart);
  const m = i.loaded.plan.mobility;
  const plan = i.loaded.plan;
  const flows = await Promise.all(
    i.analysis.flows.map(async (f) => {
      const plot = `flow-${f.id}.svg`;
      await writeFile(path.join(i.outDir, plot), flowPlot(f, i));
      const handoverPlots: string[] = [];
      for (const h of f.handovers) {
        const svg = handoverPlot(f, h.handover, i);
        if (!svg) continue;
        const name = `flow-${f.id}-handover-${h.handover}.svg`;
        await writeFile(path.join(i.outDir, name), svg);
        handoverPlots.push(name);
      }
      const rec = i.log.flows.get(f.id);
      return {
        id: f.id,
        kind: f.kind,
        from: f.from,
        to: f.to,
        source: rec?.source ?? f.sources[0]?.address ?? '',
        destination: rec?.destination ?? '',
        sent: f.sent,
        received: f.received,
        lost: f.lost,
        lossPercent: round(f.lossPercent, 3),
        duplicates: f.duplicates,
        reordered: f.reordered,
        keepsSource: f.keepsSource,
        sources: f.sources.map((s) => ({ address: s.address, packets: s.packets })),
        ...(f.latencyMs
          ? { latencyMs: { p50: round(f.latencyMs.p50, 3), p95: round(f.latencyMs.p95, 3), offsetRemovedMs: round(f.latencyMs.offsetRemovedMs, 3) } }
          : {}),
        ...(f.settledPath ? { settledPath: f.settledPath.nodes, settledMobilityPath: f.settledPath.mobilityNodes } : {}),
        shortestPath: f.shortestPath,
        ...(f.pathStretch !== undefined ? { pathStretch: round(f.pathStretch, 3) } : {}),
        paths: f.paths.map((p) => ({ nodes: p.nodes, packets: p.packets, fromMs: rel(p.firstT), toMs: rel(p.lastT), tunnels: p.tunnels })),
        handovers: f.handovers.map((h) => ({
          handover: h.handover,
          ...(h.interruptionMs !== undefined ? { interruptionMs: round(h.interruptionMs, 3) } : {}),
          ...(h.attachToFirstPacketMs !== undefined ? { attachToFirstPacketMs: round(h.attachToFirstPacketMs, 3) } : {}),
          lostDuring: h.lostDuring,
        })),
        plot,
        ...(handoverPlots.length ? { handoverPlots } : {}),
      };
    }),
  );
  const report: RunReport = {
    version: 1,
    kind: 'run',
    scenario: {
      name: i.loaded.scenario.name,
      file: i.loaded.file,
      ...(i.loaded.scenario.description ? { description: i.loaded.scenario.description } : {}),
      topology: i.loaded.topologyFile,
    },
    lab: {
      name: i.lab,
      runtime: i.runtime,
      tunnelDriver: i.tunnelDriver,
      routeOptimization: m.routeOptimization,
      mnMode: m.mnMode,
      newPrefixOnHandover: m.newPrefixOnHandover,
    },
    startedAt: i.startedAt,
    durationMs: round(i.durationMs),
    ok: i.expectations.every((e) => e.ok) && i.log.steps.every((s) => s.ok),
    steps: i.log.steps.map((s) => ({
      index: s.index,
      path: s.path,
      text: s.text,
      kind: s.kind,
      atMs: rel(s.startedAt),
      durationMs: round(s.endedAt - s.startedAt),
      ok: s.ok,
      ...(s.error ? { error: s.error } : {}),
    })),
    handovers: i.log.handovers.map((h) => {
      const by = i.analysis.signalling.byHandover.find((b) => b.handover === h.index);
      return {
        index: h.index,
        mn: h.mn,
        from: h.from,
        to: h.to,
        atMs: rel(h.at),
        ...(h.completedAt !== undefined ? { completedAfterMs: round(h.completedAt - h.at, 3) } : {}),
        signalling: by?.counts ?? {},
        signallingBytes: by?.bytes ?? 0,
        ...(by?.sync ? { synchronisation: { messages: by.sync.count, bytes: by.sync.bytes } } : {}),
        ...(by?.firstSend ? { firstSignal: by.firstSend } : {}),
        signallingSteps: i.analysis.signalling.messages
          .filter((m) => m.handover === h.index && m.part === undefined)
          .map((m) => ({
            msg: m.name,
            from: m.from,
            to: m.to,
            ...(m.sentT !== undefined ? { sentAfterMs: round(m.sentT - h.at, 3) } : {}),
            ...(m.transitMs !== undefined ? { transitMs: m.transitMs } : {}),
            ...(m.nextSend ? { nextSend: m.nextSend } : {}),
          })),
      };
    }),
    flows,
    signalling: {
      totals: i.analysis.signalling.totals,
      releases: i.analysis.signalling.releases,
      refreshes: i.analysis.signalling.refreshes,
      undecodable: i.analysis.signalling.undecodable,
    },
    sourceValidation: {
      checked: i.analysis.sourceValidation.checked,
      violations: i.analysis.sourceValidation.violations,
      forwarded: i.analysis.sourceValidation.forwarded,
      examples: i.analysis.sourceValidation.examples.map(({ t, ...e }) => ({ atMs: rel(t), ...e })),
      forwardedExamples: i.analysis.sourceValidation.forwardedExamples.map(({ t, ...e }) => ({ atMs: rel(t), ...e })),
    },
    expectations: i.expectations,
    ...(i.stateHeld ? { stateHeld: i.stateHeld } : {}),
    ...(plan.hosts
      ? {
          hosts: {
            list: plan.hosts.list.map((h) => ({ name: h.name, address: h.address, nodes: h.nodes })),
            vxlanLinks: plan.links.filter((l) => l.vxlan).length,
            clock: (i.clock ?? []).map((c) => ({
              ...c,
              ...(c.minMs === undefined ? {} : { minMs: round(c.minMs, 4) }),
              ...(c.maxMs === undefined ? {} : { maxMs: round(c.maxMs, 4) }),
            })),
          },
        }
      : {}),
    artifacts: {
      ...(i.pcapng ? { pcapng: i.pcapng } : {}),
      captures: i.captures.map((c) => ({ node: c.node, iface: c.iface, file: path.relative(i.outDir, c.path) })),
      events: 'events.jsonl',
      logs: [],
      markdown: 'report.md',
    },
    warnings: [...i.analysis.warnings, ...i.log.steps.filter((s) => !s.ok).map((s) => `step ${s.path} failed: ${s.error ?? ''}`)],
  };
  await writeFile(path.join(i.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(path.join(i.outDir, 'report.md'), renderRunMarkdown(report));
  return report;
}

/** Colour of lost packets in the plots. */
const LOST_COLOUR = '#d62728';

/**
 * The receiver's points split by the path each packet took (a series per
 * path, coloured by the path's index so the run plot and the zooms agree,
 * named as the drafts draw it: mobility nodes, tunnelled or direct), and the
 * lost packets at their send time. `x` maps monotonic ms to the plot's axis;
 * only points with `keep(t)` are drawn.
 */
function pathSeries(f: FlowAnalysis, x: (t: number) => number, keep: (t: number) => boolean = () => true): PlotSeries[] {
  const byPath = new Map<number, [number, number][]>();
  f.receiverSeries.forEach(([t, seq], k) => {
    if (!keep(t)) return;
    const p = f.receiverPaths?.[k] ?? -1;
    (byPath.get(p) ?? byPath.set(p, []).get(p)!).push([x(t), seq]);
  });
  const series: PlotSeries[] = [...byPath]
    .sort(([a], [b]) => a - b)
    .map(([p, points]) => {
      const path_ = f.paths[p];
      const name = path_ ? `via ${path_.mobilityNodes.join(' → ')}${path_.tunnels.length ? ' (tunnelled)' : ' (direct)'}` : 'path not seen';
      return { name, points, style: 'dots', color: p < 0 ? '#7f7f7f' : (PALETTE[p % PALETTE.length] as string) };
    });
  const lost = (f.lostSeries ?? []).filter(([t]) => keep(t)).map(([t, seq]) => [x(t), seq] as [number, number]);
  if (lost.length) series.push({ name: `lost (${lost.length}, at send time)`, points: lost, style: 'dots', color: LOST_COLOUR });
  return series;
}

/** Sequence number against time at the receiver over the whole run, coloured by path, handovers marked. */
function flowPlot(f: FlowAnalysis, i: BuildReportInput): string {
  const x = (t: number) => (t - i.runStart) / 1000;
  const markers: PlotMarker[] = [];
  for (const h of i.log.handovers) {
    if (h.mn !== f.from && h.mn !== f.to) continue;
    markers.push({
      x: x(h.at),
      label: `${h.from.length ? 'handover' : 'attach'} ${h.mn} ${h.from.join(',')}${h.from.length ? '→' : ''}${h.to}`,
      kind: 'handover',
    });
  }
  return renderSvgPlot({
    title: `${f.id}: ${f.kind} ${f.from} → ${f.to}, sequence number at the receiver`,
    xLabel: 'time since the start of the run (s)',
    yLabel: 'sequence number',
    series: pathSeries(f, x),
    markers,
  });
}

/** The same zoomed on one handover (milliseconds from the radio change), every signalling message marked. */
function handoverPlot(f: FlowAnalysis, index: number, i: BuildReportInput): string | undefined {
  const h = i.log.handovers[index];
  const fh = f.handovers.find((x) => x.handover === index);
  if (!h || !fh) return undefined;
  // Wide enough for every message of this handover's own exchange (up to the redirect or the query it causes), at most 3 s on.
  const own = i.analysis.signalling.messages.filter((m) => m.handover === index && m.part === undefined && m.t <= h.at + ZOOM_MAX_MS);
  const end = Math.max(fh.firstNewT ?? h.at, h.completedAt ?? h.at, ...own.map((m) => m.t)) + 40;
  const start = Math.min(fh.lastOldT ?? h.at, h.at) - 30;
  const inWindow = (t: number) => t >= start && t <= end;
  if (!f.receiverSeries.some(([t]) => inWindow(t))) return undefined;
  const markers: PlotMarker[] = [{ x: 0, label: `radio change ${h.from.join(',')}→${h.to}`, kind: 'handover' }];
  if (fh.lastOldT !== undefined) markers.push({ x: fh.lastOldT - h.at, label: 'last packet via the previous MR', kind: 'step' });
  if (fh.firstNewT !== undefined) markers.push({ x: fh.firstNewT - h.at, label: 'first packet via the new MR', kind: 'step' });
  for (const m of i.analysis.signalling.messages.filter((msg) => msg.t >= start && msg.t <= end))
    markers.push({ x: m.t - h.at, label: `${m.name} ${m.from}→${m.to}`, kind: 'signalling' });
  return renderSvgPlot({
    title: `${f.id} around handover ${index} of ${h.mn} (${h.from.join(',')} → ${h.to})${fh.interruptionMs !== undefined ? `: interruption ${fh.interruptionMs.toFixed(1)} ms` : ''}`,
    xLabel: 'milliseconds from the radio change',
    yLabel: 'sequence number',
    series: pathSeries(f, (t) => t - h.at, inWindow),
    markers,
  });
}

/** The longest a handover zoom reaches after the radio change to take in the handover's own messages. */
const ZOOM_MAX_MS = 3000;

function round(v: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
