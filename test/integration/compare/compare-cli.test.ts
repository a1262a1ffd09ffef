import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReportSchema, sweepReportSchema } from '../../../cli/compare/schema.js';
import { probeKernel } from '../../../cli/runtime/host-namespace/kernel-probe.js';
import { runReportSchema, type RunReport } from '../../../cli/report/report-schema.js';
import { summarize } from '../../../cli/report/stats.js';
import { ensureBuilt } from '../../support/build.js';
import { BIN, ROOT } from '../../support/cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function runReports(dir: string): Promise<RunReport[]> {
  const out: RunReport[] = [];
  for (const d of (await readdir(dir)).filter((x) => x.startsWith('run-')).sort())
    out.push(runReportSchema.parse(JSON.parse(await readFile(path.join(dir, d, 'report.json'), 'utf8'))));
  return out;
}

describe('dmmlab compare', () => {
  it("runs the shipped pattern on three placements twice each, and its figures are the runs' own", { timeout: 600_000 }, async () => {
    await ensureBuilt();
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-compare-'));
    dirs.push(out);
    const r = await execa(
      'node',
      [
        BIN,
        'compare',
        path.join(ROOT, 'compare/one-move.yaml'),
        '--placements',
        'flat-network,hierarchical,pmipv6',
        '--repeat',
        '2',
        '--runtime',
        'netns',
        '--out',
        out,
        '--json',
      ],
      { reject: false },
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const report = compareReportSchema.parse(JSON.parse(await readFile(path.join(out, 'compare.json'), 'utf8')));
    expect(report.placements.map((p) => [p.name, p.runs, p.passed])).toEqual([
      ['flat-network', 2, 2],
      ['hierarchical', 2, 2],
      ['pmipv6', 2, 2],
    ]);
    for (const p of report.placements) {
      const runs = await runReports(p.outDir);
      expect(runs).toHaveLength(2);
      // Two handovers per run, two flows: every interruption the runs measured, and nothing else.
      const theirs = runs.flatMap((x) => x.flows.flatMap((f) => f.handovers.flatMap((h) => (h.interruptionMs === undefined ? [] : [h.interruptionMs]))));
      expect(p.interruptions).toEqual([...theirs].sort((a, b) => a - b));
      expect(p.interruptions.length).toBeGreaterThanOrEqual(6);
      expect(p.interruptionMs?.median).toBe(summarize(theirs)?.median);
      expect(p.lossPercent?.median).toBe(summarize(runs.flatMap((x) => x.flows.map((f) => f.lossPercent)))?.median);
      expect(p.flows.find((f) => f.id === 'down')?.settledPath).toEqual(runs.at(-1)?.flows.find((f) => f.id === 'down')?.settledMobilityPath);
      expect(Object.keys(p.signallingPerHandover)).toContain('HI');
      // State held at the end: the runs' own per-node figures, summed (median over runs).
      const bindings = runs.map((x) => Object.values(x.stateHeld ?? {}).reduce((n, s) => n + (s.bindings ?? 0), 0));
      expect(p.stateHeld?.total.bindings, p.name).toBe(summarize(bindings)?.median);
      expect(p.stateHeld?.total.bindings, p.name).toBeGreaterThan(0);
    }
    // PMIPv6: every packet of both flows crosses the LMA, none is routed around it; flat DMM's go straight.
    const [flat, , pmip] = report.placements;
    const all = (p: typeof pmip) => Math.max(...Object.values(p!.packetsThroughMr));
    expect(pmip!.packetsThroughMr.lma).toBe(all(pmip));
    expect(pmip!.flows.find((f) => f.id === 'down')!.pathStretch).toBeGreaterThan(1);
    expect(flat!.flows.find((f) => f.id === 'down')!.pathStretch).toBe(1);
    // PMIPv6's LMA anchors the node's prefix and serves it through a MAG: that entry is on the LMA.
    expect(pmip!.stateHeld?.maxPerNode.anchored).toBeGreaterThanOrEqual(1);
    const md = await readFile(path.join(out, 'compare.md'), 'utf8');
    expect(md).toMatch(/\|\s+\| flat-network \| hierarchical \| pmipv6 \|/);
    expect(await readFile(path.join(out, 'interruption-cdf.svg'), 'utf8')).toMatch(/^<svg[\s\S]*hierarchical[\s\S]*<\/svg>\n?$/);
  });

  it('refuses a placement that cannot play the pattern before deploying anything, naming the file, placement and part', async () => {
    await ensureBuilt();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-compare-bad-'));
    dirs.push(dir);
    const text = (await readFile(path.join(ROOT, 'compare/one-move.yaml'), 'utf8'))
      .replaceAll('../topologies/', `${ROOT}/topologies/`)
      .replace('map: { mn: mn11, cn: mn21, home-cell: mr1, away-cell: mr31 }', 'map: { mn: mn11, cn: mn21, home-cell: mr1, away-cell: lm3 }');
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, text);
    const before = (await execa('ip', ['netns', 'list'])).stdout;
    const r = await execa('node', [BIN, 'compare', file, '--out', path.join(dir, 'out')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/placements\[hierarchical\].*handover\.to/);
    expect(r.stderr).toMatch(/"lm3".*one of mn11's access routers/);
    expect((await execa('ip', ['netns', 'list'])).stdout).toBe(before);
  });
});

describe('dmmlab compare --sweep', () => {
  it('runs the pattern with one and two copies of the mobile node on two placements: a line per placement', { timeout: 600_000 }, async () => {
    await ensureBuilt();
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-sweep-'));
    dirs.push(out);
    const r = await execa(
      'node',
      [
        BIN,
        'compare',
        path.join(ROOT, 'compare/one-move.yaml'),
        '--placements',
        'flat-network,pmipv6',
        '--sweep',
        'mns=1,2',
        '--runtime',
        'netns',
        '--out',
        out,
        '--json',
      ],
      { reject: false, timeout: 580_000 },
    );
    // Progress lines (JSON under CI) would hide the error: show what is not progress.
    const said = r.stderr
      .split('\n')
      .filter((l) => !l.startsWith('{"t":'))
      .join('\n');
    expect(r.exitCode, `${said.slice(-3000)}\n${r.stdout.slice(-2000)}`).toBe(0);
    const sweep = sweepReportSchema.parse(JSON.parse(await readFile(path.join(out, 'sweep.json'), 'utf8')));
    expect(sweep.values).toEqual([1, 2]);
    for (const placement of ['flat-network', 'pmipv6']) {
      const at = (v: number) => sweep.points.find((p) => p.value === v)!.report.placements.find((p) => p.name === placement)!;
      // Two mobile nodes each move twice: twice the handovers measured, each with its signalling.
      expect(at(2).interruptions.length, placement).toBe(2 * at(1).interruptions.length);
      expect(at(2).passed).toBe(1);
      expect(Object.keys(at(2).signallingPerHandover), placement).toContain('PBU');
    }
    // PMIPv6's LMA carries every node's packets: twice the nodes, about twice its load (the closed form).
    const lma = (v: number) => sweep.points.find((p) => p.value === v)!.report.placements.find((p) => p.name === 'pmipv6')!.packetsThroughMr['lma']!;
    expect(lma(2) / lma(1)).toBeGreaterThan(1.7);
    expect(lma(2) / lma(1)).toBeLessThan(2.3);
    const md = await readFile(path.join(out, 'sweep.md'), 'utf8');
    expect(md).toMatch(/\| flat-network \| [\d.]+ \| [\d.]+ \|/);
    expect(md).toContain('## Closed form: signalling per handover does not depend on the number of nodes');
    expect(md).toMatch(/\| pmipv6 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| \d+ % \|/);
    expect(await readFile(path.join(out, 'sweep-busiest-mr.svg'), 'utf8')).toMatch(/data-series="pmipv6: closed form"[^>]*stroke-dasharray/);
    const svg = await readFile(path.join(out, 'sweep-interruption.svg'), 'utf8');
    expect(svg).toContain('flat-network');
    expect(svg).toContain('pmipv6');
    // The second point's topology has the copy, next to its generated scenario.
    expect(await readFile(path.join(out, 'mns-2', 'pmipv6', 'topology.yaml'), 'utf8')).toMatch(/mnc2:/);
  });

  it('runs the pattern at two handover rates: the waits after the handovers follow the rate', { timeout: 300_000 }, async () => {
    await ensureBuilt();
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-rate-'));
    dirs.push(out);
    const r = await execa(
      'node',
      [BIN, 'compare', path.join(ROOT, 'compare/one-move.yaml'), '--placements', 'mipv6', '--sweep', 'rate=1,4', '--runtime', 'netns', '--out', out, '--json'],
      { reject: false, timeout: 280_000 },
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const sweep = sweepReportSchema.parse(JSON.parse(await readFile(path.join(out, 'sweep.json'), 'utf8')));
    expect(sweep.param).toBe('rate');
    expect(sweep.closedForm).toBeUndefined();
    for (const v of [1, 4]) {
      const p = sweep.points.find((x) => x.value === v)!.report.placements[0]!;
      expect(p.passed).toBe(1);
      // Two moves, two flows: every handover measured at either rate.
      expect(p.interruptions.length).toBe(4);
      // One run: its report is in the placement's runs directory itself.
      const run = runReportSchema.parse(JSON.parse(await readFile(path.join(p.outDir, 'report.json'), 'utf8')));
      const [away, home] = run.handovers;
      // The moves are 1/rate s apart: the next does not wait for the previous one to complete.
      expect(home!.atMs - away!.atMs).toBeGreaterThanOrEqual(1000 / v);
      expect(home!.atMs - away!.atMs).toBeLessThan(1000 / v + 100);
    }
    expect(await readFile(path.join(out, 'rate-4', 'mipv6', 'scenario.yaml'), 'utf8')).toMatch(/wait: 250ms/);
    expect(await readFile(path.join(out, 'sweep.md'), 'utf8')).toContain('## Closed form: interruption does not depend on the handover rate');
  });

  it('refuses a sweep it cannot run before deploying anything', async () => {
    const r = await execa('node', [BIN, 'compare', path.join(ROOT, 'compare/one-move.yaml'), '--sweep', 'latency=1,2'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--sweep: found "latency=1,2"; expected mns=/);
    // A delay sweep needs netem: on a kernel without it, the command says so before any lab exists (exit 3).
    if (!(await probeKernel()).netem) {
      for (const sweep of ['delay=0,5', 'wan=0,20']) {
        const d = await execa(
          'node',
          [BIN, 'compare', path.join(ROOT, 'compare/one-move.yaml'), '--sweep', sweep, '--out', path.join(os.tmpdir(), 'dmmlab-nonetem')],
          {
            reject: false,
          },
        );
        expect(d.exitCode, sweep).toBe(3);
        expect(d.stderr).toMatch(/sch_netem/);
        expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/dmm-one-move/);
        await rm(path.join(os.tmpdir(), 'dmmlab-nonetem'), { recursive: true, force: true });
      }
    }
  });
});
