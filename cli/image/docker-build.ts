import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { DmmlabError } from '../errors.js';
import type { Progress } from '../util/progress.js';
import { BuildTranscript } from './build-transcript.js';
import { dockerFailure } from './docker-errors.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import { followDockerStream } from './docker-stream.js';

export interface DockerBuildOptions {
  /** Client to build with. */
  docker: Dockerode;
  /** Where that client points, for error messages. */
  endpoint: DockerEndpoint;
  /** Empty scratch directory to assemble the build context in. */
  contextDir: string;
  /** Files of the context by name (Dockerfile first), written exactly as hashed. */
  files: Record<string, Uint8Array>;
  /** `repo:tag` of the result. */
  tag: string;
  /** --build-arg values (BASE, INSTALL_PACKAGES). */
  buildArgs: Record<string, string>;
  /** Labels added to the image. */
  labels: Record<string, string>;
  /** Ignore the layer cache (forced rebuilds). */
  noCache?: boolean;
  /** Receives the `build` phase and one info line per step. */
  progress: Progress;
  /** Aborts the build request. */
  signal?: AbortSignal;
}

/**
 * Builds with the classic builder through the API, never pulling (the base must
 * be local), removing intermediate containers even on failure. Reports each
 * step; a failure names the step and shows its output.
 */
export async function dockerBuild(opts: DockerBuildOptions): Promise<{ imageId: string | undefined; steps: number; durationMs: number }> {
  const { progress, tag } = opts;
  const started = performance.now();
  for (const [name, bytes] of Object.entries(opts.files)) await writeFile(path.join(opts.contextDir, name), bytes);
  progress.phase('build');
  progress.info(`building ${tag} FROM ${opts.buildArgs.BASE ?? '(Dockerfile default)'}`);
  const transcript = new BuildTranscript();
  try {
    const stream = await opts.docker.buildImage(
      { context: opts.contextDir, src: Object.keys(opts.files) },
      {
        t: tag,
        buildargs: opts.buildArgs,
        labels: opts.labels,
        pull: false,
        rm: true,
        forcerm: true,
        nocache: opts.noCache ?? false,
        ...(opts.signal ? { abortSignal: opts.signal } : {}),
      },
    );
    await followDockerStream(stream, (ev) => {
      const step = transcript.add(ev);
      if (step) {
        progress.info(`step ${step.index}/${step.total}: ${step.instruction.slice(0, 100)}`);
        progress.tick();
      }
    });
  } catch (e) {
    throw dockerFailure(e, opts.endpoint, `build of ${tag}`);
  }
  if (transcript.error !== undefined) {
    throw new DmmlabError('E_DOCKER', `image build of ${tag} failed: ${transcript.failureText()}`, {
      hint: 'fix the failing step in images/node/Dockerfile or packages.txt, then build again',
    });
  }
  const durationMs = performance.now() - started;
  progress.done(`built ${tag} in ${(durationMs / 1000).toFixed(1)} s`);
  return { imageId: transcript.imageId, steps: transcript.steps.length, durationMs };
}
