import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { DmmlabError } from '../errors.js';
import { run } from '../util/exec.js';
import type { Progress } from '../util/progress.js';
import { dockerFailure } from './docker-errors.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import { followDockerStream, streamError } from './docker-stream.js';

export interface ImportRootfsOptions {
  /** Client to import with. */
  docker: Dockerode;
  /** Where that client points, for error messages. */
  endpoint: DockerEndpoint;
  /** The root filesystem directory. */
  rootfs: string;
  /** Where to write the tar stream first (a file in the scratch dir). */
  tarFile: string;
  /** `repo:tag` to give the imported image. */
  tag: string;
  /** Dockerfile-style changes applied on import (ENV, CMD, LABEL). */
  changes: string[];
  /** Receives the `import` phase. */
  progress: Progress;
}

/**
 * Packs `rootfs` with tar (numeric owners, file capabilities kept) and imports it
 * as a one-layer image, like `tar -C rootfs -c . | docker import - tag`.
 */
export async function importRootfs(opts: ImportRootfsOptions): Promise<{ imageId: string | undefined; bytes: number; durationMs: number }> {
  const { docker, progress, tag } = opts;
  const started = performance.now();
  progress.phase('import');
  await run(['tar', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '-C', opts.rootfs, '-cf', opts.tarFile, '.'], {
    timeoutMs: 10 * 60_000,
  });
  const bytes = (await stat(opts.tarFile)).size;
  progress.info(`importing ${(bytes / 1e6).toFixed(0)} MB rootfs as ${tag}`);
  const [repo, version] = splitTag(tag);
  let events;
  try {
    const stream = await docker.importImage(createReadStream(opts.tarFile), {
      repo,
      tag: version,
      changes: opts.changes,
      message: 'dmmlab offline base (debootstrap)',
    });
    events = await followDockerStream(stream);
  } catch (e) {
    throw dockerFailure(e, opts.endpoint, `import of ${tag}`);
  }
  const err = streamError(events);
  if (err) throw new DmmlabError('E_DOCKER', `docker import of ${tag} failed: ${err}`);
  const id = events.map((e) => e.status).find((s) => s?.startsWith('sha256:'));
  const durationMs = performance.now() - started;
  progress.done(`imported ${tag} in ${(durationMs / 1000).toFixed(1)} s`);
  return { imageId: id, bytes, durationMs };
}

/** `dmmlab/base:abc` → [`dmmlab/base`, `abc`] (a registry port's colon is not a tag). */
export function splitTag(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  if (i < 0 || ref.slice(i).includes('/')) return [ref, 'latest'];
  return [ref.slice(0, i), ref.slice(i + 1)];
}
