import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DmmlabError } from '../../../cli/errors.js';
import { buildNodeImage, nodeImageTagFor } from '../../../cli/image/build-image.js';
import { createDockerClient, pingDocker } from '../../../cli/image/docker-client.js';
import { imageExists } from '../../../cli/image/image-exists.js';
import { run } from '../../../cli/util/exec.js';
import { recordingProgress, silentProgress } from '../../../cli/util/progress.js';

const placeholder = fileURLToPath(new URL('../../fixtures/image/placeholder-agent.mjs', import.meta.url));
const ping = await pingDocker();
const isRoot = process.getuid?.() === 0;
const skip = !ping.ok ? `Docker daemon not reachable: ${ping.reason} (${ping.hint})` : !isRoot ? 'the offline build needs root (debootstrap)' : undefined;
if (skip) console.warn(`skipping the offline image build tests: ${skip}`);

const scratchDirs = () =>
  readdirSync('/var/tmp')
    .filter((n) => n.startsWith('dmmlab-'))
    .sort();

describe.skipIf(skip !== undefined)('buildNodeImage (offline, real dockerd)', () => {
  const docker = createDockerClient();
  const containers: string[] = [];
  const throwaway: string[] = [];
  const scratchBefore = scratchDirs();
  let tag = '';
  const container = () => {
    const name = `dmmlab-imgtest-${process.pid}-${containers.length}`;
    containers.push(name);
    return name;
  };
  const inImage = (script: string) =>
    run(['docker', 'run', '--rm', '--name', container(), '--network', 'none', tag, 'sh', '-c', script], { timeoutMs: 60_000 });

  afterAll(async () => {
    for (const c of containers) await run(['docker', 'rm', '-f', c], { allowFailure: true });
    for (const t of throwaway) await run(['docker', 'rmi', t], { allowFailure: true });
  });

  it('builds the offline image under the tag its inputs give', { timeout: 900_000 }, async () => {
    const progress = recordingProgress();
    const r = await buildNodeImage({ offline: true, agentBundle: placeholder, progress });
    tag = r.tag;
    expect(r.tag).toBe(await nodeImageTagFor({ offline: true, agentBundle: placeholder }));
    expect(r.tag).toMatch(/^dmmlab\/node:[0-9a-f]{12}$/);
    expect(r.base).toMatch(/^dmmlab\/base:[0-9a-f]{12}$/);
    expect(await imageExists(docker, r.tag)).toBe(true);
    expect(await imageExists(docker, r.base)).toBe(true);
    if (r.built) expect(progress.lines).toContain('phase build');
    console.info(`${r.tag} ${r.built ? 'built' : 'cached'} in ${(r.durationMs / 1000).toFixed(1)} s`, r.timings);
  });

  it('a second call finds the tag and builds nothing', async () => {
    const r = await buildNodeImage({ offline: true, agentBundle: placeholder, progress: silentProgress, docker });
    expect(r).toMatchObject({ tag, built: false, baseBuilt: false });
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('runs node, ip, tcpdump, ping and radvd without a network', async () => {
    const r = await inImage('node --version; ip -V; tcpdump --version; ping -V; radvd --version; ss -V; tc -V');
    expect(r.stdout).toMatch(/^v18\./m);
    expect(r.stdout).toMatch(/iproute2-/);
    expect(r.stdout).toMatch(/tcpdump version/);
    expect(r.stdout).toMatch(/ping from iputils/);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/Version: \d/); // radvd
  });

  it('holds the agent bundle at /opt/dmmlab/agent.mjs, valid on its Node 18', async () => {
    const r = await inImage('node --check /opt/dmmlab/agent.mjs && node /opt/dmmlab/agent.mjs --version && cat /opt/dmmlab/agent.mjs');
    expect(r.stdout).toBe(`dmmlab-agent placeholder 0.0.0\n${(await readFile(placeholder, 'utf8')).trimEnd()}`);
  });

  it('keeps running by default and stops at once on SIGTERM', async () => {
    const name = container();
    await run(['docker', 'run', '-d', '--name', name, '--network', 'none', tag]);
    const stop = await run(['docker', 'stop', '-t', '10', name]);
    expect(stop.durationMs).toBeLessThan(5000);
    const code = await run(['docker', 'inspect', '-f', '{{.State.ExitCode}}', name]);
    expect(code.stdout).toBe('0');
    await run(['docker', 'rm', name]);
  });

  it('rebuilds only the node image when the agent bundle changes', { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-agent-'));
    try {
      const bundle = path.join(dir, 'agent.mjs');
      await writeFile(bundle, `${await readFile(placeholder, 'utf8')}// ${process.pid}-${Date.now()}\n`);
      const r = await buildNodeImage({ offline: true, agentBundle: bundle, progress: silentProgress, docker });
      throwaway.push(r.tag);
      expect(r).toMatchObject({ built: true, baseBuilt: false });
      expect(r.tag).not.toBe(tag);
      expect(Object.keys(r.timings)).toEqual(['build']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the online recipe says the registry is unreachable and suggests --offline', { timeout: 600_000 }, async () => {
    try {
      const r = await buildNodeImage({ offline: false, agentBundle: placeholder, progress: silentProgress, docker });
      expect(r.tag).toMatch(/^dmmlab\/node:/); // a registry was reachable after all
    } catch (e) {
      expect(e).toBeInstanceOf(DmmlabError);
      expect((e as DmmlabError).message).toMatch(/registry is unreachable|cannot pull/);
      expect((e as DmmlabError).hint).toMatch(/--offline/);
    }
  });

  it('leaves no scratch dirs and no containers behind', async () => {
    expect(scratchDirs()).toEqual(scratchBefore);
    const ps = await run(['docker', 'ps', '-a', '--filter', `name=dmmlab-imgtest-${process.pid}-`, '--format', '{{.Names}}']);
    expect(ps.stdout).toBe('');
  });
});

describe('Docker daemon unreachable', () => {
  it('names the socket DOCKER_HOST points at', async () => {
    const saved = process.env.DOCKER_HOST;
    const socket = `/tmp/dmmlab-no-such-docker-${process.pid}.sock`;
    process.env.DOCKER_HOST = `unix://${socket}`;
    try {
      const p = await pingDocker({ timeoutMs: 2000 });
      expect(p.ok).toBe(false);
      if (!p.ok) {
        expect(p.reason).toContain(socket);
        expect(p.hint).toMatch(/systemctl start docker|dockerd/);
      }
      const err = await buildNodeImage({ offline: true, agentBundle: placeholder, progress: silentProgress }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DmmlabError);
      expect((err as DmmlabError).code).toBe('E_DOCKER');
      expect((err as DmmlabError).message).toContain(`unix://${socket} (from DOCKER_HOST)`);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
