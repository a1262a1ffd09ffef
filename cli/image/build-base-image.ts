import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Progress } from '../util/progress.js';
import { debianMirror } from './apt-mirror.js';
import { runDebootstrap } from './debootstrap.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import { localImageId, removeStaleImage } from './image-exists.js';
import { baseImageTag, type BaseSpec } from './image-tag.js';
import { importRootfs } from './import-rootfs.js';
import { trimRootfs } from './rootfs-trim.js';
import { withScratchDir } from './temp-dir.js';

export interface BaseImageOptions {
  /** Client to import with. */
  docker: Dockerode;
  /** Where that client points, for error messages. */
  endpoint: DockerEndpoint;
  /** Suite, variant, architecture and packages; they make the tag. */
  spec: BaseSpec;
  /** Debian mirror; default DMMLAB_DEBIAN_MIRROR, then apt's configured mirror. */
  mirror?: string;
  /** Rebuild even if the tag exists. */
  force?: boolean;
  /** Receives the `debootstrap` and `import` phases. */
  progress: Progress;
  /** Stops debootstrap when aborted. */
  signal?: AbortSignal;
}

export interface BaseImageResult {
  /** `dmmlab/base:<12 hex>`. */
  tag: string;
  /** False when the tag already existed. */
  built: boolean;
  /** Milliseconds per phase that ran (debootstrap, import). */
  timings: Record<string, number>;
}

/**
 * The offline recipe's base: debootstrap a Debian rootfs with every package
 * into a scratch dir under /var/tmp (always removed), trim it, import it.
 */
export async function ensureBaseImage(opts: BaseImageOptions): Promise<BaseImageResult> {
  const { docker, endpoint, spec, progress } = opts;
  const tag = baseImageTag(spec);
  const previous = await localImageId(docker, tag, endpoint);
  if (previous && !opts.force) return { tag, built: false, timings: {} };
  const mirror = opts.mirror ?? (await debianMirror(spec.suite));
  const timings: Record<string, number> = {};
  await withScratchDir('dmmlab-base', progress, async (dir) => {
    const rootfs = path.join(dir, 'rootfs');
    const d = await runDebootstrap({ target: rootfs, spec, mirror, progress, ...(opts.signal ? { signal: opts.signal } : {}) });
    timings.debootstrap = d.durationMs;
    await trimRootfs(rootfs);
    const imp = await importRootfs({
      docker,
      endpoint,
      rootfs,
      tarFile: path.join(dir, 'rootfs.tar'),
      tag,
      progress,
      changes: [
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'CMD ["bash"]',
        `LABEL org.dmmlab.image=base org.dmmlab.suite=${spec.suite} org.dmmlab.packages=${[...spec.packages].sort().join(',')}`,
      ],
    });
    timings.import = imp.durationMs;
  });
  if (previous) await removeStaleImage(docker, previous);
  return { tag, built: true, timings };
}
