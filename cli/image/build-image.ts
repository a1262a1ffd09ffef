import type Dockerode from 'dockerode';
import { DmmlabError } from '../errors.js';
import type { Progress } from '../util/progress.js';
import { ensureBaseImage } from './build-base-image.js';
import { createDockerClient, pingDocker } from './docker-client.js';
import { dockerBuild } from './docker-build.js';
import { dockerEndpoint, type DockerEndpoint } from './docker-endpoint.js';
import { defaultBaseArg, readNodeImageFiles, type NodeImageFiles } from './image-files.js';
import { localImageId, removeStaleImage } from './image-exists.js';
import { baseImageTag, debianArch, nodeImageTag, sha256, type BaseSpec } from './image-tag.js';
import { packagesFor } from './package-list.js';
import { ensurePulled } from './pull-image.js';
import { withScratchDir } from './temp-dir.js';

/** Debian suite of the offline base (the one node:20-bookworm-slim is built on). */
export const OFFLINE_SUITE = 'bookworm';

export interface BuildNodeImageOptions {
  /** Build the base from Debian packages with debootstrap instead of pulling the online base. */
  offline: boolean;
  /** Path of the agent bundle copied to /opt/dmmlab/agent.mjs (dist/agent/agent.mjs). */
  agentBundle: string;
  /** Receives the phases check, debootstrap, import, pull and build. */
  progress: Progress;
  /** Rebuild even if the tags exist (the offline base too, without the layer cache). */
  force?: boolean;
  /** Client to use; default one for DOCKER_HOST or /var/run/docker.sock. */
  docker?: Dockerode;
  /** Debian mirror for debootstrap; default DMMLAB_DEBIAN_MIRROR, then apt's configured mirror. */
  mirror?: string;
  /** Directory with the Dockerfile and packages.txt; default images/node of this checkout. */
  imageDir?: string;
  /** Stops debootstrap and the build when aborted. */
  signal?: AbortSignal;
}

export interface BuildNodeImageResult {
  /** `dmmlab/node:<12 hex>`, a hash of every build input. */
  tag: string;
  /** False when the tag already existed and nothing was done. */
  built: boolean;
  /** Wall time of the whole call. */
  durationMs: number;
  /** The base image the node image is built FROM. */
  base: string;
  /** Whether the offline base was (re)built by this call. */
  baseBuilt: boolean;
  /** Milliseconds per phase that ran: debootstrap, import, build. */
  timings: Record<string, number>;
}

/** The offline base's recipe for the package list of packages.txt. */
export function offlineBaseSpec(files: NodeImageFiles): BaseSpec {
  return { suite: OFFLINE_SUITE, variant: 'minbase', arch: debianArch(), packages: packagesFor(files.packages, 'offline') };
}

/** BASE and INSTALL_PACKAGES for a recipe: they are part of the node tag. */
export function nodeBuildArgs(files: NodeImageFiles, offline: boolean): Record<string, string> {
  if (offline) return { BASE: baseImageTag(offlineBaseSpec(files)), INSTALL_PACKAGES: '0' };
  return { BASE: defaultBaseArg(files.dockerfile.toString('utf8')), INSTALL_PACKAGES: '1' };
}

/** The tag buildNodeImage would produce, without touching Docker. */
export async function nodeImageTagFor(opts: Pick<BuildNodeImageOptions, 'offline' | 'agentBundle' | 'imageDir'>): Promise<string> {
  const files = await readNodeImageFiles(opts.agentBundle, opts.imageDir);
  return nodeImageTag({ ...files, buildArgs: nodeBuildArgs(files, opts.offline) });
}

async function requireDaemon(docker: Dockerode, endpoint: DockerEndpoint): Promise<void> {
  const ping = await pingDocker({ docker, endpoint, timeoutMs: 5000 });
  if (!ping.ok) throw new DmmlabError('E_DOCKER', ping.reason, { hint: ping.hint });
}

/**
 * Builds `dmmlab/node:<hash>` unless it exists. Offline: debootstrap base →
 * import as `dmmlab/base:<hash>` (kept as a cache) → build FROM it without apt.
 * Online: pull node:20-bookworm-slim if missing → build with apt. Nothing is pulled
 * by the build itself.
 */
export async function buildNodeImage(opts: BuildNodeImageOptions): Promise<BuildNodeImageResult> {
  const started = performance.now();
  const { progress } = opts;
  const endpoint = dockerEndpoint();
  const docker = opts.docker ?? createDockerClient(endpoint);
  progress.phase('check');
  await requireDaemon(docker, endpoint);
  const files = await readNodeImageFiles(opts.agentBundle, opts.imageDir);
  const buildArgs = nodeBuildArgs(files, opts.offline);
  const tag = nodeImageTag({ ...files, buildArgs });
  const base = buildArgs.BASE as string;
  const previous = await localImageId(docker, tag, endpoint);
  const elapsed = () => performance.now() - started;
  if (previous && !opts.force) {
    progress.done(`${tag} is up to date`);
    return { tag, built: false, durationMs: elapsed(), base, baseBuilt: false, timings: {} };
  }
  progress.done(previous ? `rebuilding ${tag} (forced)` : `${tag} must be built`);

  let baseBuilt = false;
  const timings: Record<string, number> = {};
  if (opts.offline) {
    const b = await ensureBaseImage({
      docker,
      endpoint,
      spec: offlineBaseSpec(files),
      progress,
      ...(opts.force ? { force: true } : {}),
      ...(opts.mirror ? { mirror: opts.mirror } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    baseBuilt = b.built;
    Object.assign(timings, b.timings);
  } else {
    await ensurePulled(docker, endpoint, base, progress);
  }

  const built = await withScratchDir('dmmlab-build', progress, (contextDir) =>
    dockerBuild({
      docker,
      endpoint,
      contextDir,
      files: { Dockerfile: files.dockerfile, 'packages.txt': files.packagesTxt, 'agent.mjs': files.agentBundle },
      tag,
      buildArgs,
      labels: { 'org.dmmlab.recipe': opts.offline ? 'offline' : 'online', 'org.dmmlab.agent-sha256': sha256(files.agentBundle) },
      noCache: opts.force ?? false,
      progress,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
  );
  timings.build = built.durationMs;
  if (previous && previous !== built.imageId) await removeStaleImage(docker, previous);
  return { tag, built: true, durationMs: elapsed(), base, baseBuilt, timings };
}
