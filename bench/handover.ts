/**
 * bench/handover: the figure-5 scenario (scenarios/fig5-handover.yaml: MN1
 * moves from MR11 to MR2 while MN2 sends it UDP at 1000 packets/s) repeated
 * N times (default 20) for each route optimisation mode, on the netns runtime
 * with no link delay. Records median and p95 of the handover interruption
 * (last packet through the previous MR to first through the new one, at MN1)
 * and of the packets lost, from the captures. Writes the "handover" section of
 * BENCHMARKS.md. Goal (issue 5): median interruption under 10 ms with no loss
 * beyond the interruption window.
 *
 * In the same run, the physical limit (lib/bare-handover.ts): the same lab,
 * traffic and verifier with the handover done by a bare shell script that
 * makes the final kernel changes directly, no signalling; each mode's median
 * is given as a ratio to it.
 *
 *   npx tsx bench/handover.ts [--repeat 20] [--modes query,redirect,off] [--runtime netns]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pickTunnelDriver } from '../cli/lab/deploy.js';
import { probeKernel } from '../cli/runtime/host-namespace/kernel-probe.js';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../cli/run/run-scenario.js';
import { summarize } from '../cli/report/stats.js';
import type { FlowAnalysis } from '../cli/analyze/types.js';
import { bareHandover } from './lib/bare-handover.js';
import { machineLine, mdTable, writeSection } from './lib/benchmarks-md.js';
import type { RuntimeName } from '../cli/topology/runtime-names.js';
import type { RunReport } from '../cli/report/report-schema.js';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '20' },
    modes: { type: 'string', default: 'query,redirect,off' },
    runtime: { type: 'string', default: 'netns' },
  },
});
const repeat = Number(values.repeat);
const modes = String(values.modes).split(',') as ('query' | 'redirect' | 'off')[];
const scenarios = [
  { name: 'reactive (figure 5 as drawn)', file: fileURLToPath(new URL('../scenarios/fig5-handover.yaml', import.meta.url)) },
  { name: 'predictive (RFC 5949)', file: fileURLToPath(new URL('../scenarios/fig5-predictive.yaml', import.meta.url)) },
];
// The tunnel driver the scenarios get here (they ask for auto), and the kernel it runs on.
const driver = pickTunnelDriver('auto', await probeKernel());
const kernelRelease = release();
const out = await mkdtemp(path.join(tmpdir(), 'dmmlab-bench-handover-'));
const rows: (string | number)[][] = [];
/** Per-hop signalling times from the captures (each run's handover 0), per scenario and mode. */
const hopRows: (string | number)[][] = [];
/** What the issue-12 goals are checked against: per scenario and mode, the interruption and per-hop medians. */
const verdicts: {
  scenario: string;
  mode: string;
  median?: number;
  p95?: number;
  foreign: number;
  forwarded: number;
  outsideMax: number;
  wire: number[];
  receiver: number[];
}[] = [];
/** Messages sent within this long of the radio change are the handover's own signalling. */
const HANDOVER_SIGNALLING_MS = 200;
const fmt = (s: ReturnType<typeof summarize>, unit: string) => (s ? `${s.median.toFixed(2)} ${unit}` : '–');
const fmt95 = (s: ReturnType<typeof summarize>, unit: string) => (s ? `${s.p95.toFixed(2)} ${unit}` : '–');

// The physical limit first: the bare script's handovers.
const bare: FlowAnalysis[] = [];
for (let i = 0; i < repeat; i++) {
  bare.push(
    await bareHandover({
      topology: fileURLToPath(new URL('../topologies/fig1.yaml', import.meta.url)),
      out: path.join(out, `bare-${i}`),
      runtime: values.runtime as RuntimeName,
      lab: `bench-bare-${process.pid}-${i}`,
    }),
  );
  process.stderr.write(`bare script ${i + 1}/${repeat}: interruption ${bare.at(-1)?.handovers[0]?.interruptionMs?.toFixed(2) ?? '–'} ms\n`);
}
const bareInterruption = summarize(bare.map((f) => f.handovers[0]?.interruptionMs).filter((x): x is number => x !== undefined));
const ratio = (s: ReturnType<typeof summarize>) =>
  s && bareInterruption && bareInterruption.median > 0 ? `${(s.median / bareInterruption.median).toFixed(1)}×` : '–';
{
  const lost = summarize(bare.map((f) => f.lost));
  const lostDuring = summarize(bare.map((f) => f.handovers[0]?.lostDuring).filter((x): x is number => x !== undefined));
  const outside = summarize(bare.map((f) => f.lost - (f.handovers[0]?.lostDuring ?? 0)));
  rows.push([
    'bare script (physical limit)',
    '–',
    `${bare.length}`,
    fmt(bareInterruption, 'ms'),
    fmt95(bareInterruption, 'ms'),
    '1.0×',
    fmt(lost, ''),
    fmt95(lost, ''),
    fmt(outside, ''),
    fmt(lostDuring, ''),
    '–',
    '–',
  ]);
}

for (const sc of scenarios)
  for (const mode of modes) {
    const r = await runScenario({
      scenario: sc.file,
      out: path.join(out, `${path.basename(sc.file, '.yaml')}-${mode}`),
      runtime: values.runtime as RuntimeName,
      repeat,
      mobility: { routeOptimization: mode },
      progress: { phase() {}, tick() {}, info() {}, warn: (m) => void process.stderr.write(`warning: ${m}\n`), done() {} },
    });
    const flows = r.reports.map((x) => x.flows.find((f) => f.id === 'f1'));
    // What failed, so that a failed run can be looked into (the run directories are removed at the end).
    r.reports.forEach((x, i) => {
      // Foreign-source packets an MR decapsulated or routed on (the known gap in docs/protocol.md): where they were.
      for (const e of x.sourceValidation.forwardedExamples ?? [])
        process.stderr.write(
          `${sc.name} ${mode} run ${i + 1}: forwarded at ${e.atMs} ms: ${e.node} sent ${e.src} → ${e.dst} out of ${e.iface} (anchored at ${e.anchor})\n`,
        );
      for (const e of x.expectations.filter((e) => !e.ok))
        process.stderr.write(
          `${sc.name} ${mode} run ${i + 1}: ✘ ${e.name}: ${e.checks
            .filter((c) => !c.ok)
            .map((c) => `${c.what} expected ${c.expected}, measured ${c.measured}`)
            .join('; ')}\n`,
        );
    });
    const interruption = summarize(flows.map((f) => f?.handovers[0]?.interruptionMs).filter((x): x is number => x !== undefined));
    const lost = summarize(flows.map((f) => f?.lost).filter((x): x is number => x !== undefined));
    const lostDuring = summarize(flows.map((f) => f?.handovers[0]?.lostDuring).filter((x): x is number => x !== undefined));
    const outside = summarize(flows.map((f) => (f ? f.lost - (f.handovers[0]?.lostDuring ?? 0) : undefined)).filter((x): x is number => x !== undefined));
    const complete = summarize(r.reports.map((x) => x.handovers[0]?.completedAfterMs).filter((x): x is number => x !== undefined));
    const foreign = r.reports.reduce((n, x) => n + x.sourceValidation.violations, 0);
    const forwarded = r.reports.reduce((n, x) => n + x.sourceValidation.forwarded, 0);
    hopRows.push(...hopTimes(sc.name, mode, r.reports));
    verdicts.push({
      scenario: sc.name,
      mode,
      ...(interruption ? { median: interruption.median, p95: interruption.p95 } : {}),
      foreign,
      forwarded,
      outsideMax: Math.max(0, ...flows.map((f) => (f ? f.lost - (f.handovers[0]?.lostDuring ?? 0) : 0))),
      ...hopMedians(r.reports),
    });
    rows.push([
      sc.name,
      mode,
      `${r.reports.length} (${r.reports.filter((x) => x.ok).length} passed)`,
      fmt(interruption, 'ms'),
      fmt95(interruption, 'ms'),
      ratio(interruption),
      fmt(lost, ''),
      fmt95(lost, ''),
      fmt(outside, ''),
      fmt(lostDuring, ''),
      fmt(complete, 'ms'),
      String(foreign),
      String(forwarded),
    ]);
    process.stderr.write(`${mode}: ${rows.at(-1)?.join(' | ')}\n`);
  }
await rm(out, { recursive: true, force: true });

const body = [
  '## Handover (`bench/handover`)',
  '',
  await machineLine('npx tsx bench/handover.ts'),
  `scenarios/fig5-handover.yaml (reactive: the new MR learns the previous MR from the LM, then runs the context transfer) and scenarios/fig5-predictive.yaml (predictive: the previous MR prepares the new one before the node moves) run ${repeat} times per route optimisation mode on the ${values.runtime} runtime with the ${driver} tunnel driver (kernel ${kernelRelease}), no link delay: MN2 sends UDP to MN1 at 1000 packets/s of 100 bytes (and MN1 sends 100 packets/s back, the uplink whose source the scenarios check); MN1 moves from MR11 to MR2 (break-before-make, both radio changes in one kernel batch). Figures come from the captures: interruption is the last packet delivered to MN1 through MR11 to the first through MR2; "lost outside the window" counts packets lost other than those sent during the interruption; "network complete" is from the radio change until MR2 reports the handover complete (its signalling done). Goal (issue 5): median interruption under 10 ms, no loss beyond the interruption window. The physical limit, measured in the same run: the same lab, flow, capture and verifier, with the agents frozen and the handover done by a bare shell script: MR2's neighbour entry and on-link route for MN1 written ahead of time, then the radio change and MR11's route into the tunnel to MR2 at once (bench/lib/bare-handover.ts); "× limit" is each median interruption over the bare script's. "Passed" counts runs that met every expectation of the scenario; with route optimisation off no run can, by design: the scenarios expect MR31 to tunnel straight to MR2 after the LRI, which is what "off" turns off (MN2's packets stay on the anchored path through MR11).`,
  '',
  mdTable(
    [
      'handover',
      'route optimisation',
      'runs',
      'interruption median',
      'interruption p95',
      '× limit',
      'lost median',
      'lost p95',
      'lost outside the window (median)',
      'lost in the window (median)',
      'network complete (median)',
      'uplink with a foreign source out of MRs (all runs)',
      'decapsulated or transit with a foreign source (all runs)',
    ],
    rows,
  ),
  '',
  'Signalling hop by hop, from the same captures (capture on every interface, as in a run): for each message of the handover (sent within 200 ms of the radio change), "on the wire" runs from its capture leaving the sender to its capture arriving at the receiver; "receiver" from there to the receiver\'s next message leaving it (the reply or the next request). "radio change → first" is the new MR\'s first message after the radio change. Medians and p95 over the runs in which the hop occurred. Goal (issue 12): on the wire ≤ 0.2 ms, receiver ≤ 0.3 ms (median).',
  '',
  mdTable(['handover', 'route optimisation', 'hop', 'runs', 'on the wire median', 'on the wire p95', 'receiver median', 'receiver p95'], hopRows),
  '',
  goals(),
].join('\n');
await writeSection('handover', body);

/** The medians of each hop's wire and receiver times over the runs of one mode (the handover's own messages, radio change excluded). */
function hopMedians(reports: RunReport[]): { wire: number[]; receiver: number[] } {
  const wire = new Map<string, number[]>();
  const receiver = new Map<string, number[]>();
  for (const rep of reports)
    for (const st of rep.handovers[0]?.signallingSteps ?? []) {
      if (st.sentAfterMs === undefined || st.sentAfterMs > HANDOVER_SIGNALLING_MS) continue;
      const key = `${st.msg} ${st.from} ${st.to}`;
      if (st.transitMs !== undefined) (wire.get(key) ?? wire.set(key, []).get(key)!).push(st.transitMs);
      if (st.nextSend) (receiver.get(key) ?? receiver.set(key, []).get(key)!).push(st.nextSend.afterMs);
    }
  const medians = (m: Map<string, number[]>) => [...m.values()].map((xs) => summarize(xs)?.median ?? 0);
  return { wire: medians(wire), receiver: medians(receiver) };
}

/** The issue-12 goals, each met or missed by how much, from this run's figures, and what stands in the way. */
function goals(): string {
  const limit = bareInterruption?.median;
  const x = (v: number | undefined) => (v !== undefined && limit ? v / limit : undefined);
  const verdict = (name: string, value: number | undefined, goal: number, unit: string, digits = 1) =>
    value === undefined
      ? `${name}: not measured`
      : `${name} ${value.toFixed(digits)}${unit} (goal ≤ ${goal}${unit}: ${value <= goal ? 'met' : `missed by ${(value - goal).toFixed(digits)}${unit}`})`;
  const reactive = verdicts.find((v) => v.scenario.startsWith('reactive') && v.mode === 'query');
  const predictive = verdicts.find((v) => v.scenario.startsWith('predictive') && v.mode === 'query');
  const all = verdicts;
  const wire = Math.max(0, ...all.flatMap((v) => v.wire));
  const receiver = Math.max(0, ...all.flatMap((v) => v.receiver));
  const foreign = all.reduce((n, v) => n + v.foreign, 0);
  const forwarded = all.reduce((n, v) => n + v.forwarded, 0);
  const outside = Math.max(0, ...all.map((v) => v.outsideMax));
  return [
    'Goals (issue 12), route optimisation by query for the ratios, every mode for the rest:',
    `${verdict('reactive median', x(reactive?.median), 1.5, '×', 2)}; ${verdict('reactive p95', x(reactive?.p95), 2, '×', 2)}; ${verdict('predictive median', x(predictive?.median), 1.1, '×', 2)};`,
    `slowest hop on the wire ${verdict('(median)', wire, 0.2, ' ms', 2)}; slowest receiver ${verdict('(median)', receiver, 0.3, ' ms', 2)};`,
    `packets with a foreign source out of MRs unencapsulated: ${foreign} uplink and ${forwarded} decapsulated or transit in all runs (goal 0: ${foreign + forwarded === 0 ? 'met' : `missed by ${foreign + forwarded}`}); packets lost outside the interruption window: at most ${outside} in a run (goal 0: ${outside === 0 ? 'met' : 'missed'}).`,
    "What stands in the way where a goal is missed (docs/protocol.md, \"Where a reactive handover's time goes\", with how it was traced): the network is not it (every message crosses in well under 0.2 ms); each receiver's time is the agents' own work on the netns runtime's one agent host thread, where the new MR, the previous MR, the LM and the mobile nodes of the same moment queue, in code that runs once per handover, on two cores shared with the kernel's forwarding, the captures, the flows' own thread and V8's helper threads. Nothing on the path waits for a spawn, a timer, a log write, radvd's file or an `ip` process any more (the handover's kernel changes are rtnetlink requests the host makes itself, the flows run on a thread of their own), and no capture spins. Next step: the handlers of different nodes on worker threads. The bare script's own median moves from one run of this bench to the next: compare ratios within one run.",
  ].join(' ');
}

/** Rows of per-hop times: each message kind of the handover (sender → receiver) and what its receiver sent next. */
function hopTimes(scenario: string, mode: string, reports: RunReport[]): (string | number)[][] {
  const hops = new Map<string, { wire: number[]; receiver: number[]; runs: Set<number> }>();
  const at = (key: string) => hops.get(key) ?? hops.set(key, { wire: [], receiver: [], runs: new Set() }).get(key)!;
  reports.forEach((rep, run) => {
    const h = rep.handovers[0];
    if (!h) return;
    if (h.firstSignal) {
      const e = at(`radio change → first (${h.firstSignal.name} ${h.to} → ${h.firstSignal.to})`);
      e.receiver.push(h.firstSignal.afterMs);
      e.runs.add(run);
    }
    const seen = new Set<string>();
    for (const st of h.signallingSteps ?? []) {
      if (st.sentAfterMs === undefined || st.sentAfterMs > HANDOVER_SIGNALLING_MS) continue;
      // The first of each kind per run (a refresh of the same hop later in the window is not the handover's).
      const key = `${st.msg} ${st.from} → ${st.to}${st.nextSend ? `, then ${st.nextSend.name} → ${st.nextSend.to}` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = at(key);
      if (st.transitMs !== undefined) e.wire.push(st.transitMs);
      if (st.nextSend) e.receiver.push(st.nextSend.afterMs);
      e.runs.add(run);
    }
  });
  const half = Math.max(1, Math.floor(reports.length / 2));
  return [...hops]
    .filter(([, e]) => e.runs.size >= half)
    .map(([key, e]) => {
      const w = summarize(e.wire);
      const r = summarize(e.receiver);
      return [scenario, mode, key, String(e.runs.size), fmt(w, 'ms'), fmt95(w, 'ms'), fmt(r, 'ms'), fmt95(r, 'ms')];
    });
}
process.stdout.write(body + '\n');
