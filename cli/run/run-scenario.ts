import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AgentEvent } from '../../shared/control/messages.js';
import { renderJunit } from '../report/junit.js';
import { renderRepeatMarkdown } from '../report/report-md.js';
import type { RepeatReport, RunReport } from '../report/report-schema.js';
import { summarize } from '../report/stats.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { requireRoot } from '../util/root.js';
import { runOnce } from './run-once.js';
import { loadScenario } from '../scenario/load.js';
import type { MobilitySettings } from '../topology/schema.js';
import type { RuntimeName } from '../topology/runtime-names.js';

export interface RunScenarioOptions {
  /** Scenario file. */
  scenario: string;
  /** Output directory (default runs/<lab>-<timestamp>/). */
  out?: string;
  runtime?: RuntimeName | 'auto';
  /** Use this running lab instead of deploying one. */
  lab?: string;
  keep?: boolean;
  /** Runs the scenario N times (fresh lab each time) and reports median and p95. */
  repeat?: number;
  /** Also write JUnit XML here. */
  junit?: string;
  /** Mobility settings overriding the scenario's (e.g. a benchmark sweeping route optimisation modes). */
  mobility?: Partial<MobilitySettings>;
  /** Split the lab over this many (emulated) hosts, links between them VXLAN (`--hosts N`). */
  hosts?: number;
  progress?: Progress;
  signal?: AbortSignal;
  onEvent?: (e: AgentEvent) => void;
}

export interface RunScenarioResult {
  ok: boolean;
  outDir: string;
  reports: RunReport[];
  summary?: RepeatReport;
}

/**
 * `dmmlab run`: checks the scenario, runs it (N times with --repeat), writes
 * reports and captures under the output directory, and says whether every
 * expectation held.
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunScenarioResult> {
  requireRoot('running a scenario');
  const progress = opts.progress ?? silentProgress;
  const overrides = { ...(opts.mobility ? { mobility: opts.mobility } : {}), ...(opts.hosts === undefined ? {} : { hosts: opts.hosts }) };
  const probe = await loadScenario(opts.scenario, overrides);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = path.resolve(opts.out ?? path.join('runs', `${opts.lab ?? probe.scenario.name}-${stamp}`));
  await mkdir(outDir, { recursive: true });
  const repeat = opts.repeat ?? 1;
  const reports: RunReport[] = [];
  for (let k = 1; k <= repeat; k++) {
    const dir = repeat > 1 ? path.join(outDir, `run-${String(k).padStart(2, '0')}`) : outDir;
    const lab = opts.lab ?? labName(probe.scenario.name);
    const loaded = opts.lab ? probe : await loadScenario(opts.scenario, { lab, ...overrides });
    if (repeat > 1) progress.info(`run ${k}/${repeat}`);
    reports.push(
      await runOnce({
        loaded,
        outDir: dir,
        ...(opts.runtime ? { runtime: opts.runtime } : {}),
        ...(opts.lab ? { lab: opts.lab } : {}),
        ...(opts.hosts === undefined ? {} : { hosts: opts.hosts }),
        ...(opts.keep && k === repeat ? { keep: true } : {}),
        progress,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      }),
    );
  }
  let summary: RepeatReport | undefined;
  if (repeat > 1) {
    summary = repeatSummary(probe.scenario.name, probe.file, reports, outDir);
    await writeFile(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    await writeFile(path.join(outDir, 'summary.md'), renderRepeatMarkdown(summary));
  }
  if (opts.junit) await writeFile(path.resolve(opts.junit), renderJunit(reports));
  return { ok: reports.every((r) => r.ok), outDir, reports, ...(summary ? { summary } : {}) };
}

/** A fresh lab name for a run: the scenario's name and a short random suffix. */
function labName(scenario: string): string {
  return `${scenario.slice(0, 18)}-${randomBytes(3).toString('hex').slice(0, 5)}`.replace(/-+$/, '');
}

function repeatSummary(name: string, file: string, reports: RunReport[], outDir: string): RepeatReport {
  const flows: RepeatReport['flows'] = {};
  const ids = [...new Set(reports.flatMap((r) => r.flows.map((f) => f.id)))];
  for (const id of ids) {
    const per = reports.map((r) => r.flows.find((f) => f.id === id)).filter((f): f is RunReport['flows'][number] => f !== undefined);
    const worst = (xs: (number | undefined)[]) => {
      const d = xs.filter((x): x is number => x !== undefined);
      return d.length ? Math.max(...d) : undefined;
    };
    const interruption = summarize(per.map((f) => worst(f.handovers.map((h) => h.interruptionMs))).filter((x): x is number => x !== undefined));
    const attach = summarize(per.map((f) => worst(f.handovers.map((h) => h.attachToFirstPacketMs))).filter((x): x is number => x !== undefined));
    flows[id] = {
      ...(interruption ? { interruptionMs: interruption } : {}),
      lost: summarize(per.map((f) => f.lost)) ?? { n: 0, min: 0, median: 0, p95: 0, max: 0 },
      lossPercent: summarize(per.map((f) => f.lossPercent)) ?? { n: 0, min: 0, median: 0, p95: 0, max: 0 },
      ...(attach ? { attachToFirstPacketMs: attach } : {}),
    };
  }
  return {
    version: 1,
    kind: 'repeat',
    scenario: { name, file },
    runs: reports.map((r, k) => ({
      index: k + 1,
      dir: path.relative(outDir, path.join(outDir, `run-${String(k + 1).padStart(2, '0')}`)),
      ok: r.ok,
      durationMs: r.durationMs,
      failed: r.expectations.filter((e) => !e.ok).map((e) => e.name),
    })),
    flows,
    ok: reports.every((r) => r.ok),
  };
}
