import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { DmmlabError, InputError, type InputIssue } from '../errors.js';
import { loadYamlFile } from '../input/load-yaml.js';
import { runScenario } from '../run/run-scenario.js';
import { loadScenario } from '../scenario/load.js';
import type { RuntimeName } from '../topology/runtime-names.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { requireRoot } from '../util/root.js';
import { probeKernel } from '../runtime/host-namespace/kernel-probe.js';
import { renderCompareMarkdown, renderInterruptionCdf } from './compare-md.js';
import { generateScenario, type GeneratedScenario } from './generate.js';
import { compareSchema, type CompareFile, type CompareReport, type Placement, type PlacementReport, type SweepParam, type SweepReport } from './schema.js';
import { anchorRoundTrip, type ClosedForm } from './closed-form.js';
import { PARAM_LABEL, delaysLinks, hasWaitAfterHandover, pointSteps, pointTopology, type SweepPoint } from './sweep-points.js';
import { renderSweepMarkdown, renderSweepPlots } from './sweep-md.js';
import { summarizePlacement } from './summarize.js';

export interface CompareOptions {
  file: string;
  out?: string;
  repeat?: number;
  runtime?: RuntimeName | 'auto';
  /** Only these placements (by name). */
  only?: string[];
  /** Run the comparison at each value of a parameter (`--sweep mns=1,2,4`, `delay=0,5,10`, `rate=0.5,1,2`). */
  sweep?: { param: SweepParam; values: number[] };
  progress?: Progress;
  signal?: AbortSignal;
}

export interface CompareResult {
  ok: boolean;
  outDir: string;
  /** The comparison (with a sweep: at its last point). */
  report: CompareReport;
  sweep?: SweepReport;
}

/**
 * `dmmlab compare`: maps one mobility pattern onto every placement, checks
 * that each can play it before anything is deployed (problems name the
 * comparison file, the placement and the part), runs each (N times) as an
 * ordinary scenario and writes compare.json, compare.md and an interruption
 * CDF side by side. Each placement's runs and generated scenario stay in
 * its own directory.
 */
export async function runCompare(opts: CompareOptions): Promise<CompareResult> {
  const progress = opts.progress ?? silentProgress;
  const file = path.resolve(opts.file);
  const { value: c } = await loadYamlFile(file, compareSchema);
  const placements = c.placements.filter((p) => !opts.only || opts.only.includes(p.name));
  for (const name of opts.only ?? [])
    if (!c.placements.some((p) => p.name === name))
      throw new DmmlabError('E_USAGE', `${file} has no placement ${name}`, { hint: `placements: ${c.placements.map((p) => p.name).join(', ')}` });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = path.resolve(opts.out ?? path.join('runs', `compare-${c.name}-${stamp}`));
  await mkdir(outDir, { recursive: true });

  // Every placement (at every point of a sweep) checked first: nothing is deployed while any cannot play the pattern.
  const values = opts.sweep?.values ?? [1];
  const issues: InputIssue[] = [];
  const points: { value: number; dir: string; ready: Ready[] }[] = [];
  for (const value of values) {
    const dir = opts.sweep ? path.join(outDir, `${opts.sweep.param}-${value}`) : outDir;
    const point: SweepPoint = { param: opts.sweep?.param ?? 'mns', value };
    points.push({ value, dir, ready: await preparePoint(c, placements, file, dir, point, issues) });
  }
  if (issues.length) throw new InputError(issues);
  requireRoot('running a comparison');
  if (opts.sweep && delaysLinks(opts.sweep.param) && values.some((v) => v > 0) && !(await probeKernel()).netem)
    throw new DmmlabError('E_ENV', 'a delay sweep needs the sch_netem module, which this kernel does not have (CONFIG_NET_SCH_NETEM)', {
      hint: 'sweep mns or rate instead, or run it in the VM runner (test/vm/README.md), whose Debian kernel has netem',
    });

  const repeat = opts.repeat ?? 1;
  let runtime = opts.runtime ?? c.runtime ?? 'auto';
  const reports: { value: number; dir: string; report: CompareReport }[] = [];
  for (const point of points) {
    if (opts.sweep) progress.info(`${opts.sweep.param} = ${point.value}`);
    const results: PlacementReport[] = [];
    for (const [k, r] of point.ready.entries()) {
      progress.phase(`placement ${k + 1}/${point.ready.length}: ${r.g.placement.name}`);
      const runs = await runScenario({
        scenario: r.file,
        out: path.join(point.dir, r.g.placement.name, 'runs'),
        repeat,
        runtime,
        progress,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      // Every placement on the runtime the first one ran on.
      if (runtime === 'auto' && runs.reports[0]) runtime = runs.reports[0].lab.runtime as RuntimeName;
      results.push(
        summarizePlacement(
          {
            name: r.g.placement.name,
            description: r.g.placement.description,
            topology: path.resolve(path.dirname(file), r.g.placement.topology),
            scenario: r.file,
            outDir: runs.outDir,
          },
          runs.reports,
          r.mrs,
        ),
      );
    }
    const report: CompareReport = { version: 1, kind: 'compare', name: c.name, file, repeat, runtime, placements: results };
    await writeFile(path.join(point.dir, 'compare.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(path.join(point.dir, 'interruption-cdf.svg'), renderInterruptionCdf(report));
    await writeFile(path.join(point.dir, 'compare.md'), renderCompareMarkdown(report, 'interruption-cdf.svg'));
    reports.push({ value: point.value, dir: point.dir, report });
  }
  progress.done();
  const ok = reports.every((x) => x.report.placements.every((p) => p.passed === p.runs));
  if (!opts.sweep) return { ok, outDir, report: reports[0]!.report };
  const closedForm = delaysLinks(opts.sweep.param) ? points[0]!.ready.flatMap((r) => (r.closedForm ? [r.closedForm] : [])) : [];
  const sweep: SweepReport = {
    version: 1,
    kind: 'sweep',
    name: c.name,
    file,
    param: opts.sweep.param,
    values,
    points: reports.map((x) => ({ value: x.value, dir: path.relative(outDir, x.dir), report: x.report })),
    ...(closedForm.length ? { closedForm } : {}),
  };
  await writeFile(path.join(outDir, 'sweep.json'), JSON.stringify(sweep, null, 2) + '\n');
  for (const [name, svg] of Object.entries(renderSweepPlots(sweep))) await writeFile(path.join(outDir, name), svg);
  await writeFile(path.join(outDir, 'sweep.md'), renderSweepMarkdown(sweep));
  return { ok, outDir, report: reports.at(-1)!.report, sweep };
}

interface Ready {
  g: GeneratedScenario;
  file: string;
  mrs: string[];
  /** The placement's closed-form expectation in a delay sweep. */
  closedForm?: ClosedForm;
}

/**
 * Generates and checks every placement's scenario for one point of a sweep
 * (its topology and steps changed for the point: copies of each mobile part,
 * delayed links, the time between handovers), adding what is wrong to `issues`.
 */
async function preparePoint(
  c: CompareFile,
  placements: readonly Placement[],
  file: string,
  dir: string,
  point: SweepPoint,
  issues: InputIssue[],
): Promise<Ready[]> {
  const ready: Ready[] = [];
  const mobileParts = Object.entries(c.pattern.parts)
    .filter(([, kind]) => kind === 'mobile')
    .map(([part]) => part);
  for (const p of placements) {
    let topology = path.resolve(path.dirname(file), p.topology);
    const { generated, problems } = generateScenario(c, p, topology);
    for (const x of problems) issues.push({ file, path: `placements[${p.name}].${x.field}`, found: x.found, expected: x.expected });
    if (!generated) continue;
    const pdir = path.join(dir, p.name);
    await mkdir(pdir, { recursive: true });
    const mns = mobileParts.map((part) => p.map[part] as string);
    if (point.param === 'rate' && !hasWaitAfterHandover(generated.scenario.steps))
      issues.push({
        file,
        path: 'pattern.steps',
        found: 'no wait right after a handover',
        expected: 'a wait after each handover (a rate sweep sets it to 1/rate s)',
      });
    const text = await readFile(topology, 'utf8').catch(() => undefined);
    const changed = text === undefined ? undefined : pointTopology(point, text, mns);
    if (changed !== undefined) {
      topology = path.join(pdir, 'topology.yaml');
      await writeFile(topology, `# ${p.topology} at ${point.param} = ${point.value} (${PARAM_LABEL[point.param]}; dmmlab compare --sweep)\n${changed}`);
    }
    generated.scenario = { ...generated.scenario, topology, steps: pointSteps(point, generated.scenario.steps, mns) };
    const scenarioFile = path.join(pdir, 'scenario.yaml');
    await writeFile(scenarioFile, `# generated by dmmlab compare from ${file}, placement ${p.name}\n${stringify(generated.scenario)}`);
    try {
      const loaded = await loadScenario(scenarioFile);
      const closedForm = delaysLinks(point.param) ? anchorRoundTrip(p.name, loaded.plan, generated.scenario.steps, point.param === 'wan') : undefined;
      ready.push({
        g: generated,
        file: scenarioFile,
        mrs: loaded.plan.nodes.filter((n) => n.roles.includes('mr')).map((n) => n.name),
        ...(closedForm ? { closedForm } : {}),
      });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      for (const i of e.issues)
        issues.push({ file, path: `placements[${p.name}] (as ${path.relative(path.dirname(dir), i.file)}: ${i.path})`, found: i.found, expected: i.expected });
    }
  }
  return ready;
}
