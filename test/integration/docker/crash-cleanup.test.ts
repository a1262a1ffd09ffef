import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultNodeImage } from '../../../cli/runtime/docker-node-image.js';
import { dmmlab, dmmlabSpawn, parseJson } from '../../support/cli.js';
import { generateTopology } from '../../support/generate-topology.js';
import { labNamespaces, leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const skip = !(await testRuntimes()).includes('docker');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function labContainers(lab: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=dmmlab.lab=${lab}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(skip)('Docker lab killed mid-deploy', () => {
  it('SIGKILL while containers start, then `dmmlab cleanup`: no container, no attached name, no state; a foreign container stays', async () => {
    const lab = uniqueLab('dkk');
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-'));
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => dmmlab(['destroy', lab]),
    );
    // Something that is not dmmlab's, named in dmmlab's style, must survive it all.
    const bystander = `dmm-${lab}x-core`;
    cleanups.push(() => execa('docker', ['rm', '-f', bystander], { reject: false }));
    await execa('docker', ['run', '-d', '--name', bystander, '--network', 'none', await defaultNodeImage()]);

    const file = path.join(dir, 'big.yaml');
    await writeFile(file, generateTopology({ name: lab, size: 50 }));
    const child = dmmlabSpawn(['deploy', file, '--runtime', 'docker']);
    for (let i = 0; i < 1000 && (await labNamespaces(lab)).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await labNamespaces(lab)).length).toBeGreaterThanOrEqual(3);
    child.kill('SIGKILL');
    await child;
    const before = await labContainers(lab);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(51);

    const clean = await dmmlab(['cleanup', '--json']);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    expect(parseJson<{ removed: { lab: string }[] }>(clean.stdout).removed.map((r) => r.lab)).toContain(lab);
    expect(await labContainers(lab)).toEqual([]);
    expect(await labNamespaces(lab)).toEqual([]);
    expect(existsSync(`/run/dmmlab/${lab}`)).toBe(false);
    expect(await leftovers(lab)).toEqual([]);
    expect((await execa('docker', ['inspect', '--format', '{{.State.Running}}', bystander])).stdout).toBe('true');
  });
});
