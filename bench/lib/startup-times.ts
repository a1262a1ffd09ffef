import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { generateTopology } from '../../test/support/generate-topology.js';
import { median } from './benchmarks-md.js';
import { sampleHighWater } from './lab-cost.js';

const BIN = new URL('../../bin/dmmlab.js', import.meta.url).pathname;

/** Median wall time of a CLI command from spawn to exit, over `runs`. */
export async function commandMs(args: string[], runs = 10): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await execa('node', [BIN, ...args], { reject: false });
    times.push(performance.now() - t);
  }
  return median(times);
}

export interface ValidateTime {
  nodes: number;
  links: number;
  ms: number;
  peakBytes: number;
}

/** `dmmlab validate` of generated labs of each size: wall time and the process's peak resident memory. */
export async function validateTimes(dir: string, sizes: number[]): Promise<ValidateTime[]> {
  const out: ValidateTime[] = [];
  for (const size of sizes) {
    const file = path.join(dir, `validate-${size}.yaml`);
    await writeFile(file, generateTopology({ name: `v${size}`, size, mnsPerNetwork: 4 }));
    const t = performance.now();
    const child = execa('node', [BIN, 'validate', file, '--json'], { reject: false });
    const hw = sampleHighWater(child.pid!);
    const r = await child;
    const ms = performance.now() - t;
    const peakBytes = hw.stop();
    if (r.exitCode !== 0) throw new Error(`validate of ${size} nodes failed: ${r.stderr}`);
    const v = JSON.parse(r.stdout) as { nodes?: number; links?: number; summary?: { nodes: number; links: number } };
    out.push({ nodes: v.summary?.nodes ?? v.nodes ?? size, links: v.summary?.links ?? v.links ?? NaN, ms, peakBytes });
  }
  return out;
}
