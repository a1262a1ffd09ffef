import type Dockerode from 'dockerode';
import { DmmlabError } from '../errors.js';
import { buildNodeImage, nodeImageTagFor, offlineBaseSpec } from '../image/build-image.js';
import { requireDebootstrap } from '../image/debootstrap.js';
import type { DockerEndpoint } from '../image/docker-endpoint.js';
import { readNodeImageFiles } from '../image/image-files.js';
import { imageExists } from '../image/image-exists.js';
import { baseImageTag } from '../image/image-tag.js';
import type { PlanNode } from '../plan/types.js';
import type { Progress } from '../util/progress.js';
import { hostAgentBundle } from './spawn-detached.js';

/** Whether the default node image is there, and if not whether this machine can build it offline. */
export interface NodeImageStatus {
  /** `dmmlab/node:<hash>` for this checkout's Dockerfile, packages and agent bundle (offline recipe). */
  tag: string;
  present: boolean;
  /** Present, or buildable without a registry. */
  usable: boolean;
  /** Why (for messages): "present", "buildable: ...", or what prevents building. */
  why: string;
}

/** The default node image: the offline recipe's tag for the host's agent bundle. */
export async function defaultNodeImage(): Promise<string> {
  return nodeImageTagFor({ offline: true, agentBundle: hostAgentBundle() });
}

/**
 * Looks at the default node image without building anything: the offline
 * recipe's tag, else the online one (`dmmlab image build` without --offline),
 * else whether the offline recipe can run here.
 */
export async function nodeImageStatus(docker: Dockerode, ep: DockerEndpoint): Promise<NodeImageStatus> {
  const tag = await defaultNodeImage();
  if (await imageExists(docker, tag, ep)) return { tag, present: true, usable: true, why: `image ${tag} is present` };
  const online = await nodeImageTagFor({ offline: false, agentBundle: hostAgentBundle() });
  if (await imageExists(docker, online, ep)) return { tag: online, present: true, usable: true, why: `image ${online} (online recipe) is present` };
  const base = baseImageTag(offlineBaseSpec(await readNodeImageFiles(hostAgentBundle())));
  if (await imageExists(docker, base, ep)) return { tag, present: false, usable: true, why: `image ${tag} can be built on the cached base ${base}` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { tag, present: false, usable: false, why: `image ${tag} is missing and building it offline needs root` };
  }
  try {
    requireDebootstrap();
  } catch {
    return { tag, present: false, usable: false, why: `image ${tag} is missing and debootstrap is not installed to build it offline` };
  }
  return { tag, present: false, usable: true, why: `image ${tag} can be built offline with debootstrap` };
}

/**
 * The image of every node: its own `image`, else the default node image,
 * built (offline recipe, with progress) if it is missing and can be. Fails
 * before anything is created when an image is missing and cannot be made.
 */
export async function ensureNodeImages(
  nodes: readonly PlanNode[],
  docker: Dockerode,
  ep: DockerEndpoint,
  progress: Progress,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const needDefault = nodes.some((n) => !n.image);
  if (needDefault) {
    const status = await nodeImageStatus(docker, ep);
    if (!status.present) {
      if (!status.usable) {
        throw new DmmlabError('E_ENV', `cannot deploy on Docker: ${status.why}`, {
          hint: 'build it where possible with: sudo dmmlab image build --offline (needs debootstrap), or deploy with --runtime netns',
        });
      }
      progress.info(`building the node image: ${status.why}`);
      await buildNodeImage({ offline: true, agentBundle: hostAgentBundle(), progress, docker, ...(signal ? { signal } : {}) });
    }
    for (const n of nodes) if (!n.image) out.set(n.name, status.tag);
  }
  const overrides = [...new Set(nodes.flatMap((n) => (n.image ? [n.image] : [])))];
  for (const image of overrides) {
    if (!(await imageExists(docker, image, ep))) {
      const users = nodes.filter((n) => n.image === image).map((n) => n.name);
      throw new DmmlabError('E_ENV', `image ${image} of node ${users.join(', ')} is not present locally`, {
        hint: `pull or build it first (docker pull ${image}), or remove the image: line to use the dmmlab node image`,
      });
    }
  }
  for (const n of nodes) if (n.image) out.set(n.name, n.image);
  return out;
}
