/**
 * `dmmlab compare --sweep delay` needs netem, which the VM's stock kernel has:
 * one Proxy Mobile IPv6 comparison at 0 and 5 ms of one-way delay on every
 * infrastructure link, for correctness (the delay is on the links and in the
 * measured latency, the closed form is drawn), not timing: qemu TCG makes the
 * interruption figures meaningless. Runs only inside the VM: `npm run test:vm`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepReportSchema } from '../../cli/compare/schema.js';
import { BIN, ROOT } from '../support/cli.js';

const inVm = process.env.DMMLAB_IN_VM === '1';
const dirs: string[] = [];
afterAll(async () => {
  await execa('node', [BIN, 'cleanup', '--all'], { reject: false });
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.skipIf(!inVm)('compare --sweep delay (stock kernel, netem)', () => {
  it('delays every infrastructure link, the latency shows it, and the closed form is drawn', { timeout: 900_000 }, async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmvm-sweep-'));
    dirs.push(out);
    const r = await execa(
      'node',
      [
        BIN,
        'compare',
        path.join(ROOT, 'compare/one-move.yaml'),
        '--placements',
        'pmipv6',
        '--sweep',
        'delay=0,5',
        '--runtime',
        'netns',
        '--out',
        out,
        '--json',
      ],
      { reject: false },
    );
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const sweep = sweepReportSchema.parse(JSON.parse(await readFile(path.join(out, 'sweep.json'), 'utf8')));
    expect(sweep.param).toBe('delay');
    expect(sweep.closedForm).toEqual([{ placement: 'pmipv6', anchor: 'lma', from: 'mag2', hops: 2, slope: 4 }]);
    expect(await readFile(path.join(out, 'delay-5', 'pmipv6', 'topology.yaml'), 'utf8')).toMatch(/delay: 5ms/);
    const at = (v: number) => sweep.points.find((p) => p.value === v)!.report.placements[0]!;
    expect(at(0).passed).toBe(1);
    expect(at(5).passed).toBe(1);
    // The downlink crosses four delayed links on its way through the LMA (cn–core, core–lma, lma–core, core–MAG).
    const down = (v: number) => at(v).flows.find((f) => f.id === 'down')!.latencyMs!.median;
    expect(down(5)).toBeGreaterThanOrEqual(19.5);
    expect(down(5) - down(0)).toBeGreaterThanOrEqual(19.5);
    const svg = await readFile(path.join(out, 'sweep-interruption.svg'), 'utf8');
    expect(svg).toMatch(/data-series="pmipv6: closed form"[^>]*stroke-dasharray/);
    expect(await readFile(path.join(out, 'sweep.md'), 'utf8')).toContain('## Closed form: one round trip to the anchor');
  });
});
