import type { RunReport } from '../report/report-schema.js';
import { summarize } from '../report/stats.js';
import type { PlacementReport } from './schema.js';

/** Bytes of the outer IPv6 header of every tunnel (ip6ip6 or seg6 encap.red with one segment). */
export const OUTER_HEADER_BYTES = 40;

const median = (xs: number[]): number => summarize(xs)?.median ?? 0;

/**
 * One placement's figures over its runs, taken from the runs' own reports
 * (nothing is measured twice, so the comparison agrees with each run's
 * report.json by construction; docs/compare.md defines each figure).
 */
export function summarizePlacement(
  head: Pick<PlacementReport, 'name' | 'topology' | 'scenario' | 'outDir'> & { description?: string | undefined },
  reports: readonly RunReport[],
  mrs: readonly string[],
): PlacementReport {
  const flows = reports.flatMap((r) => r.flows);
  const interruptions = flows.flatMap((f) => f.handovers.flatMap((h) => (h.interruptionMs === undefined ? [] : [h.interruptionMs])));
  const ids = [...new Set(flows.map((f) => f.id))];
  const handovers = reports.flatMap((r) => r.handovers.filter((h) => h.from.length > 0));
  const types = [...new Set(handovers.flatMap((h) => Object.keys(h.signalling)))].sort();
  const interruption = summarize(interruptions);
  const loss = summarize(flows.map((f) => f.lossPercent));
  const lost = summarize(flows.map((f) => f.lost));
  const sigBytes = summarize(handovers.map((h) => h.signallingBytes));
  return {
    ...head,
    ...(head.description === undefined ? {} : { description: head.description }),
    runs: reports.length,
    passed: reports.filter((r) => r.ok).length,
    ...(interruption ? { interruptionMs: interruption } : {}),
    interruptions: [...interruptions].sort((a, b) => a - b),
    ...(loss ? { lossPercent: loss } : {}),
    ...(lost ? { lost } : {}),
    flows: ids.map((id) => {
      const runs = flows.filter((f) => f.id === id);
      const last = runs.at(-1);
      const settled = last?.settledMobilityPath ?? last?.settledPath ?? [];
      const hops = summarize(runs.flatMap((f) => (f.settledPath ? [f.settledPath.length - 1] : [])));
      const stretch = summarize(runs.flatMap((f) => (f.pathStretch === undefined ? [] : [f.pathStretch])));
      const latency = summarize(runs.flatMap((f) => (f.latencyMs ? [f.latencyMs.p50] : [])));
      const overhead = summarize(runs.map((f) => f.paths.reduce((n, p) => n + p.packets * p.tunnels.length * OUTER_HEADER_BYTES, 0)));
      const tunnelled = summarize(
        runs.map((f) => {
          const all = f.paths.reduce((n, p) => n + p.packets, 0);
          return all ? (100 * f.paths.reduce((n, p) => n + (p.tunnels.length ? p.packets : 0), 0)) / all : 0;
        }),
      );
      return {
        id,
        settledPath: settled,
        ...(hops ? { hops: hops.median } : {}),
        shortestHops: Math.max(0, (last?.shortestPath.length ?? 1) - 1),
        ...(stretch ? { pathStretch: stretch.median } : {}),
        ...(latency ? { latencyMs: latency } : {}),
        ...(overhead ? { tunnelOverheadBytes: overhead } : {}),
        ...(tunnelled ? { tunnelledPercent: tunnelled } : {}),
      };
    }),
    signallingPerHandover: Object.fromEntries(types.map((t) => [t, median(handovers.map((h) => h.signalling[t] ?? 0))])),
    ...(sigBytes ? { signallingBytesPerHandover: sigBytes } : {}),
    ...(handovers.some((h) => h.synchronisation)
      ? {
          synchronisationPerHandover: {
            messages: median(handovers.map((h) => h.synchronisation?.messages ?? 0)),
            bytes: median(handovers.map((h) => h.synchronisation?.bytes ?? 0)),
          },
        }
      : {}),
    ...heldSummary(reports),
    packetsThroughMr: Object.fromEntries(
      mrs.map((mr) => [
        mr,
        median(reports.map((r) => r.flows.reduce((n, f) => n + f.paths.reduce((m, p) => m + (p.nodes.includes(mr) ? p.packets : 0), 0), 0))),
      ]),
    ),
  };
}

/** State held at the end of each run, by kind: the sum over nodes and the most one node held, medians over runs. */
function heldSummary(reports: readonly RunReport[]): Pick<PlacementReport, 'stateHeld'> {
  const held = reports.flatMap((r) => (r.stateHeld ? [r.stateHeld] : []));
  if (held.length === 0) return {};
  const kinds = [...new Set(held.flatMap((h) => Object.values(h).flatMap((k) => Object.keys(k))))];
  const total = Object.fromEntries(kinds.map((k) => [k, median(held.map((h) => Object.values(h).reduce((n, s) => n + (s[k] ?? 0), 0)))]));
  const maxPerNode = Object.fromEntries(kinds.map((k) => [k, median(held.map((h) => Math.max(0, ...Object.values(h).map((s) => s[k] ?? 0))))]));
  return { stateHeld: { total, maxPerNode } };
}
