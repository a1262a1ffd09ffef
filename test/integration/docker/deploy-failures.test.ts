import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeImage } from '../../../cli/image/build-image.js';
import { hostAgentBundle } from '../../../cli/runtime/spawn-detached.js';
import { silentProgress } from '../../../cli/util/progress.js';
import { ROOT, BIN, dmmlab, parseJson } from '../../support/cli.js';
import { labNamespaces, leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const skip = !(await testRuntimes()).includes('docker');
const smoke = path.join(ROOT, 'topologies/smoke.yaml');
const boomImage = `dmmlab-test/boom:${process.pid}`;
const foreign: string[] = [];
const labs: string[] = [];
let dir = '';
let nodeImage = '';

/** smoke.yaml under another name, with `image:` on one node. */
async function smokeWithImage(lab: string, node: string, image: string): Promise<string> {
  const text = (await readFile(smoke, 'utf8'))
    .replace(/^name: .*$/m, `name: ${lab}`)
    .replace(new RegExp(`^  ${node}: \\{ `, 'm'), `  ${node}: { image: "${image}", `);
  const file = path.join(dir, `${lab}.yaml`);
  await writeFile(file, text);
  return file;
}

describe.skipIf(skip)('Docker deploy failures: a clear message, exit code, and no half-deployed lab', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-docker-'));
    nodeImage = (await buildNodeImage({ offline: true, agentBundle: hostAgentBundle(), progress: silentProgress })).tag;
    // A node image whose command dies at once, built offline on top of the node image.
    const b = await execa('docker', ['build', '-t', boomImage, '-'], {
      input: `FROM ${nodeImage}\nCMD ["sh", "-c", "echo boom; echo the end >&2; exit 3"]\n`,
      env: { DOCKER_BUILDKIT: '0' },
      reject: false,
    });
    expect(b.exitCode, b.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    for (const lab of labs) await dmmlab(['destroy', lab]);
    for (const c of foreign) await execa('docker', ['rm', '-f', c], { reject: false });
    await execa('docker', ['rmi', boomImage], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it('a container that dies during deploy fails it with its last log lines, and everything is rolled back', async () => {
    const lab = uniqueLab('dkb');
    labs.push(lab);
    const r = await dmmlab(['deploy', await smokeWithImage(lab, 'cn1', boomImage), '--runtime', 'docker']);
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`container dmm-${lab}-cn1 \\(node cn1\\) exited with code 3 during deploy`));
    expect(r.stderr).toMatch(/\| boom/);
    expect(r.stderr).toMatch(/\| the end/);
    expect(r.stderr).toMatch(/rolling back/);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('refuses a name held by a container that is not the lab’s, without touching it', async () => {
    const lab = uniqueLab('dkc');
    labs.push(lab);
    const name = `dmm-${lab}-cn1`;
    foreign.push(name);
    const started = await execa('docker', ['run', '-d', '--name', name, '--network', 'none', nodeImage]);
    const id = started.stdout.trim();
    const r = await dmmlab(['deploy', smoke, '--name', lab, '--runtime', 'docker']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`container ${name} exists and is not this lab's`);
    const after = await execa('docker', ['inspect', '--format', '{{.Id}} {{.State.Running}}', name]);
    expect(after.stdout).toBe(`${id} true`);
    expect(await leftovers(lab)).toEqual([]);
    // Nor does cleanup touch it: it carries no dmmlab label.
    expect((await dmmlab(['cleanup'])).exitCode).toBe(0);
    expect((await execa('docker', ['inspect', '--format', '{{.Id}}', name])).stdout).toBe(id);
  });

  it('calls a labelled container of the same lab a leftover, and cleanup removes it', async () => {
    const lab = uniqueLab('dkl');
    labs.push(lab);
    const name = `dmm-${lab}-mr1`;
    foreign.push(name);
    await execa('docker', ['create', '--name', name, '--network', 'none', '--label', `dmmlab.lab=${lab}`, '--label', 'dmmlab.node=mr1', nodeImage]);
    const r = await dmmlab(['deploy', smoke, '--name', lab, '--runtime', 'docker']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`container ${name} is a leftover of an earlier lab ${lab}`);
    expect(r.stderr).toMatch(/dmmlab cleanup/);
    const c = await dmmlab(['cleanup', '--json']);
    expect(c.exitCode, c.stdout + c.stderr).toBe(0);
    expect(parseJson<{ orphans: string[] }>(c.stdout).orphans).toContain(`container ${name}`);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('names a node image override that is not present, before creating anything', async () => {
    const lab = uniqueLab('dkm');
    labs.push(lab);
    const r = await dmmlab(['deploy', await smokeWithImage(lab, 'mn1', 'dmmlab-test/absent:nope'), '--runtime', 'docker']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/image dmmlab-test\/absent:nope of node mn1 is not present locally/);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('an unreachable daemon: exit 3, naming the socket and how to start dockerd; auto falls back to netns and says why', async () => {
    const lab = uniqueLab('dku');
    labs.push(lab);
    const env = { DOCKER_HOST: 'unix:///nonexistent.sock' };
    const r = await dmmlab(['deploy', smoke, '--name', lab, '--runtime', 'docker'], { env });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Docker daemon not reachable at unix:\/\/\/nonexistent\.sock \(from DOCKER_HOST\): the socket does not exist/);
    expect(r.stderr).toMatch(/start the Docker daemon/);
    expect(existsSync(`/run/dmmlab/${lab}`)).toBe(false);

    const auto = await dmmlab(['deploy', smoke, '--name', lab, '--json'], { env });
    expect(auto.exitCode, auto.stderr).toBe(0);
    expect(parseJson<{ runtime: string }>(auto.stdout).runtime).toBe('netns');
    expect(auto.stderr).toMatch(/runtime netns \(no Docker daemon: Docker daemon not reachable at unix:\/\/\/nonexistent\.sock/);
    expect(await labNamespaces(lab)).toHaveLength(3);
    expect((await dmmlab(['destroy', lab])).exitCode).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('auto picks Docker when the daemon answers and the node image is there, and says why', async () => {
    const lab = uniqueLab('dka');
    labs.push(lab);
    const r = await dmmlab(['deploy', smoke, '--name', lab, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson<{ runtime: string }>(r.stdout).runtime).toBe('docker');
    expect(r.stderr).toMatch(
      /runtime docker \(dockerd \S+ answers on unix:\/\/\/var\/run\/docker\.sock and image dmmlab\/node:[0-9a-f]{12} (\(online recipe\) )?is present\)/,
    );
    expect((await dmmlab(['destroy', lab])).exitCode).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  });

  it('permission denied on the socket says so and what to do', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', BIN, 'image', 'build', '--offline'], {
      reject: false,
      cwd: '/tmp',
    });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock/);
    expect(r.stderr).toMatch(/docker group/);
  });
});
