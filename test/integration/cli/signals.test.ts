import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../support/build.js';
import { ROOT, dmmlab, dmmlabSpawn } from '../../support/cli.js';
import { generateTopology } from '../../support/generate-topology.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

/**
 * Every long-running command stops on SIGINT or SIGTERM within a second and
 * leaves nothing behind: validate (which changes nothing) ends at once,
 * deploy and run roll back what they half made.
 */
let dir = '';
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-signals-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await dmmlab(['cleanup']);
});

/** Starts a command, sends `signal` once `ready` matches its output (or after `afterMs`), and times how long it takes to end. */
async function interrupt(args: string[], signal: NodeJS.Signals, when: { afterMs?: number; ready?: RegExp }) {
  const child = dmmlabSpawn(args);
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  if (when.ready) while (!when.ready.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (when.afterMs) await new Promise((r) => setTimeout(r, when.afterMs));
  const sentAt = performance.now();
  child.kill(signal);
  const r = await child;
  return { r, stoppedMs: performance.now() - sentAt, out };
}

describe('stopping on a signal', () => {
  it('validate of a 50,000-node topology ends within a second of SIGTERM', async () => {
    const file = path.join(dir, 'huge.yaml');
    await writeFile(file, generateTopology({ name: 'huge', size: 50_000, mnsPerNetwork: 4 }));
    const { r, stoppedMs } = await interrupt(['validate', file], 'SIGTERM', { afterMs: 400 });
    expect(r.exitCode ?? 128 + 15).not.toBe(0);
    expect(stoppedMs).toBeLessThan(1000);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('deploy of a 200-node lab rolls back on %s: exit 128+signal, nothing left', async (signal) => {
    const lab = uniqueLab('sig');
    const file = path.join(dir, `${lab}.yaml`);
    await writeFile(file, generateTopology({ name: lab, size: 200, mnsPerNetwork: 4 }));
    const { r, stoppedMs, out } = await interrupt(['deploy', file, '--runtime', 'netns'], signal, { ready: /links|configure/ });
    expect(out).toMatch(/interrupted; rolled back/);
    expect(r.exitCode).toBe(signal === 'SIGTERM' ? 143 : 130);
    expect(stoppedMs).toBeLessThan(3000);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('a scenario run stopped mid-timeline removes its lab', async () => {
    const out = path.join(dir, 'run');
    const { r, out: text } = await interrupt(['run', path.join(ROOT, 'scenarios/fig5-handover.yaml'), '--runtime', 'netns', '--out', out], 'SIGTERM', {
      ready: /steps\[1\]/,
    });
    expect(r.exitCode).not.toBe(0);
    const lab = /lab (fig5-handover-[0-9a-f]+)/.exec(text)?.[1] ?? /(fig5-handover-[0-9a-f]{5})/.exec(text)?.[1];
    expect(lab, text).toBeDefined();
    expect(await leftovers(lab!)).toEqual([]);
  });
});
