import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { monoMs } from '../../shared/clock.js';
import type { AgentEvent } from '../../shared/control/messages.js';
import { CaptureSession, exportPcapng } from '../capture/capture-session.js';
import { startUnderlayCapture } from '../capture/underlay-capture.js';
import { clockBounds } from '../analyze/clock-bounds.js';
import { heldState, type HeldState } from '../lab/held-state.js';
import { errorText } from '../errors.js';
import { deploy } from '../lab/deploy.js';
import { destroy } from '../lab/destroy.js';
import { LabSession } from '../lab/session.js';
import { Journal } from '../state/journal.js';
import { labDir } from '../state/paths.js';
import type { Progress } from '../util/progress.js';
import { analyzeRun, emptyAnalysis } from '../analyze/analyze-run.js';
import type { Analysis } from '../analyze/types.js';
import { evaluateState, evaluateTraffic, isStateExpectation } from '../verify/expectations.js';
import { buildRunReport } from '../report/build-run-report.js';
import type { ExpectationResult } from '../scenario/results.js';
import { runSteps } from './run-steps.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { RunReport } from '../report/report-schema.js';
import type { CaptureFileRef } from '../capture/capture-file.js';
import { newRunLog } from '../scenario/run-log.js';
import type { RuntimeName } from '../topology/runtime-names.js';
import { waitForHomeAddresses } from '../lab/mn-addresses.js';
import { recordKernelBaseline } from '../lab/kernel-baseline.js';
import type { Expectation, Step } from '../scenario/schema.js';

export interface RunOnceOptions {
  loaded: LoadedScenario;
  outDir: string;
  runtime?: RuntimeName | 'auto';
  /** Split the lab over this many emulated hosts (`--hosts N`). */
  hosts?: number;
  /** Run against this already deployed lab instead of deploying one. */
  lab?: string;
  /** Keep the lab the run deployed. */
  keep?: boolean;
  progress: Progress;
  signal?: AbortSignal;
  /** Every event as it happens (plain output, --json lines). */
  onEvent?: (e: AgentEvent) => void;
}

/**
 * One run of a scenario: deploy (or use a running lab), capture every
 * interface, play the steps while traffic flows, check the live state, stop,
 * verify from the capture, and write the report and the pcaps. The lab it
 * deployed is removed whatever happens (unless --keep).
 */
export async function runOnce(opts: RunOnceOptions): Promise<RunReport> {
  const { loaded, outDir, progress } = opts;
  const s = loaded.scenario;
  const started = Date.now();
  const t0 = performance.now();
  await mkdir(path.join(outDir, 'captures'), { recursive: true });
  await mkdir(path.join(outDir, 'logs'), { recursive: true });
  const lab = opts.lab ?? loaded.plan.lab;
  let deployed = false;
  let session: LabSession | undefined;
  let capture: CaptureSession | undefined;
  const eventsFile = createWriteStream(path.join(outDir, 'events.jsonl'));
  const log = newRunLog();
  const stateResults: ExpectationResult[] = [];
  let captures: CaptureFileRef[] = [];
  /** The hosts' underlay (labs that span hosts): exported with the rest, not analysed. */
  let underlay: CaptureSession | undefined;
  let underlayFiles: CaptureFileRef[] = [];
  /** What each node held when the timeline ended. */
  let stateHeld: Record<string, HeldState> | undefined;
  let runtime: string;
  let tunnelDriver = 'unknown';
  let monoToWallMs = 0;
  let runStart: number;
  try {
    if (!opts.lab) {
      const d = await deploy({
        topology: loaded.topologyFile,
        name: lab,
        runtime: opts.runtime ?? s.runtime ?? 'auto',
        ...(s.mobility ? { mobility: s.mobility } : {}),
        ...(opts.hosts === undefined ? {} : { hosts: opts.hosts }),
        ephemeral: true,
        progress,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      deployed = true;
      runtime = d.runtime;
      tunnelDriver = d.tunnelDriver;
    }
    session = await LabSession.open(lab);
    runtime = session.state.runtime;
    tunnelDriver = session.state.tunnelDriver ?? tunnelDriver;
    monoToWallMs = session.state.monoToWallMs ?? 0;
    session.on('event', (e) => {
      eventsFile.write(JSON.stringify(e) + '\n');
      opts.onEvent?.(e);
    });
    session.on('agent-down', (d) => progress.warn(`agent ${d.node} stopped answering: ${d.why}`));
    await waitForHomeAddresses(session, progress);
    if (checksClean(s.expect, s.steps)) {
      progress.info("recording every node's kernel state for the stale-state check");
      await recordKernelBaseline(session);
    }
    if (s.capture !== false) {
      const targets = captureTargets(session, s.capture);
      const live = session;
      capture = await CaptureSession.start({
        plan: session.plan,
        access: (n) => live.access(n.name),
        dir: path.join(outDir, 'captures'),
        batched: true,
        ...(targets ? { targets } : {}),
        ...(s.capture?.snaplen ? { snaplen: s.capture.snaplen } : {}),
        journal: await Journal.open(lab),
        progress,
      });
      underlay = await startUnderlayCapture({
        plan: session.plan,
        dir: path.join(outDir, 'captures'),
        batched: true,
        journal: await Journal.open(lab),
        progress,
      });
    }
    runStart = monoMs();
    session.note('run.started', { scenario: s.name });
    await runSteps(s.steps, { session, progress, log, ...(opts.signal ? { signal: opts.signal } : {}) });
    // Flows still running stop at the end of the timeline.
    for (const f of log.flows.values()) {
      if (f.final === undefined && (f.stoppedAt === undefined || f.stoppedAt > monoMs())) {
        f.final = await session.stopFlow({ id: f.id, from: f.from, to: f.to, kind: f.kind }).catch((e: unknown) => ({ error: errorText(e) }));
        f.stoppedAt = monoMs();
      }
    }
    stateHeld = { ...heldState(await session.allStates()) };
    const stateExpectations = s.expect.filter(isStateExpectation);
    if (stateExpectations.some((e) => e.clean)) {
      // Handover contexts live for a while by design; check once they should be gone.
      const lastHandover = log.handovers.at(-1);
      const last = lastHandover ? (lastHandover.completedAt ?? lastHandover.at) : 0;
      const wait = last + (session.state.plan as { mobility: { handoverContextLifetime: number } }).mobility.handoverContextLifetime * 1000 + 500 - monoMs();
      if (wait > 0) {
        progress.info(`waiting ${(wait / 1000).toFixed(1)} s for handover contexts to expire before checking for stale state`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    for (const e of stateExpectations) stateResults.push(await evaluateState(e, session, 'end'));
    session.note('run.finished', {});
  } finally {
    if (capture) captures = await capture.stop().catch(() => capture?.files ?? []);
    if (underlay) underlayFiles = await underlay.stop().catch(() => underlay?.files ?? []);
    session?.close();
    await new Promise<void>((r) => eventsFile.end(r));
    await copyLogs(lab, path.join(outDir, 'logs'));
    if (deployed && !opts.keep) {
      await destroy(lab, { progress }).catch((e: unknown) => progress.warn(`destroying ${lab}: ${errorText(e)} (dmmlab cleanup will remove it)`));
    }
  }
  progress.phase('verify');
  const flows = [...log.flows.values()].map(({ final: _f, ...f }) => f);
  const analysis: Analysis = captures.length
    ? await analyzeRun(
        { plan: loaded.plan.lab === lab ? loaded.plan : { ...loaded.plan, lab }, captures, flows, handovers: log.handovers, monoToWallMs },
        progress,
      )
    : emptyAnalysis(s.capture === false ? ['capture turned off: traffic expectations cannot be checked'] : ['no capture']);
  progress.done();
  const trafficResults = s.expect.filter((e) => !isStateExpectation(e)).map((e) => evaluateTraffic(e, analysis, loaded.plan));
  let pcapng: string | undefined;
  if (captures.length) {
    pcapng = 'capture.pcapng';
    const annotations = [
      ...log.steps.map((st) => ({ t: st.startedAt, text: `step ${st.path}: ${st.text}` })),
      ...log.handovers
        .filter((h) => h.completedAt !== undefined)
        .map((h) => ({ t: h.completedAt as number, text: `${h.to} reports ${h.mn} ${h.from.length ? 'handover' : 'attachment'} complete` })),
    ];
    await exportPcapng(
      [...captures, ...underlayFiles],
      path.join(outDir, pcapng),
      annotations.map((a) => ({ timestampNs: BigInt(Math.round((a.t + monoToWallMs) * 1e6)), text: a.text })),
      progress,
    );
  }
  const clock = session?.plan.hosts && underlayFiles.length ? await clockBounds(session.plan.hosts, underlayFiles) : undefined;
  const report = await buildRunReport({
    loaded,
    lab,
    runtime,
    tunnelDriver,
    startedAt: new Date(started).toISOString(),
    durationMs: performance.now() - t0,
    runStart,
    log,
    analysis,
    expectations: [...log.checks, ...stateResults, ...trafficResults],
    captures: [...captures, ...underlayFiles],
    ...(clock ? { clock } : {}),
    ...(stateHeld ? { stateHeld: stateHeld as unknown as Record<string, Record<string, number>> } : {}),
    outDir,
    ...(pcapng ? { pcapng } : {}),
  });
  return report;
}

/** Whether any expectation of the scenario, at the end or on the way, checks for stale state. */
function checksClean(expect: readonly Expectation[], steps: readonly Step[]): boolean {
  return expect.some((e) => e.clean) || steps.some((st) => checksClean(st.expect ?? [], st.repeat?.steps ?? []));
}

function captureTargets(session: LabSession, c: LoadedScenario['scenario']['capture']): { node: string; iface: string }[] | undefined {
  if (!c) return undefined;
  if (c.interfaces) return c.interfaces.map((x) => ({ node: x.split(':')[0] as string, iface: x.split(':')[1] as string }));
  if (c.nodes) return c.nodes.flatMap((n) => session.node(n).interfaces.map((i) => ({ node: n, iface: i.name })));
  return undefined;
}

async function copyLogs(lab: string, to: string): Promise<void> {
  const from = path.join(labDir(lab), 'logs');
  for (const f of await readdir(from).catch(() => [] as string[])) await copyFile(path.join(from, f), path.join(to, f)).catch(() => undefined);
}

export async function writeText(file: string, text: string): Promise<void> {
  await writeFile(file, text);
}
