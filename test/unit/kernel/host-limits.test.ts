import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { raiseNeighbourLimits } from '../../../cli/kernel/host-limits.js';
import type { Plan } from '../../../cli/plan/types.js';
import { recordingProgress } from '../../../cli/util/progress.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake /proc/sys/net/ipv6/neigh/default with the kernel's defaults. */
function procDir(t1 = 128, t2 = 512, t3 = 1024): string {
  const d = mkdtempSync(path.join(tmpdir(), 'dmmlab-neigh-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'gc_thresh1'), `${t1}\n`);
  writeFileSync(path.join(d, 'gc_thresh2'), `${t2}\n`);
  writeFileSync(path.join(d, 'gc_thresh3'), `${t3}\n`);
  return d;
}

/** A plan of `nodes` nodes with `perNode` interfaces each (only the counts matter). */
function plan(nodes: number, perNode: number): Plan {
  return { nodes: Array.from({ length: nodes }, () => ({ interfaces: Array.from({ length: perNode }, () => ({})) })) } as unknown as Plan;
}

const value = (d: string, n: string) => Number(readFileSync(path.join(d, n), 'utf8'));

describe('the host neighbour table limits', () => {
  it('leave a host alone when the lab fits', async () => {
    const d = procDir();
    const progress = recordingProgress();
    expect(await raiseNeighbourLimits(plan(50, 4), progress, d)).toBe(1024);
    expect([value(d, 'gc_thresh1'), value(d, 'gc_thresh2'), value(d, 'gc_thresh3')]).toEqual([128, 512, 1024]);
    expect(progress.lines).toEqual([]);
  });

  it('are raised to a power of two above four entries per interface for a large lab, and said so', async () => {
    const d = procDir();
    const progress = recordingProgress();
    // 1,000 nodes of 4 interfaces: 16,000 entries wanted.
    expect(await raiseNeighbourLimits(plan(1000, 4), progress, d)).toBe(16384);
    expect([value(d, 'gc_thresh1'), value(d, 'gc_thresh2'), value(d, 'gc_thresh3')]).toEqual([2048, 8192, 16384]);
    expect(progress.lines.join('\n')).toContain('from 1024 to 16384 entries for 4000 interfaces');
  });

  it('are never lowered', async () => {
    const d = procDir(4096, 8192, 8192);
    await raiseNeighbourLimits(plan(1000, 4), recordingProgress(), d);
    expect([value(d, 'gc_thresh1'), value(d, 'gc_thresh2'), value(d, 'gc_thresh3')]).toEqual([4096, 8192, 16384]);
  });
});
