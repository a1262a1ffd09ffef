import type Dockerode from 'dockerode';
import { dockerFailure } from './docker-errors.js';
import { dockerEndpoint, type DockerEndpoint } from './docker-endpoint.js';

function statusCode(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The image's id if `ref` exists locally, else undefined. Other failures throw E_DOCKER. */
export async function localImageId(docker: Dockerode, ref: string, ep: DockerEndpoint = dockerEndpoint()): Promise<string | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return info.Id;
  } catch (e) {
    if (statusCode(e) === 404) return undefined;
    throw dockerFailure(e, ep, `inspect image ${ref}`);
  }
}

/** Whether `ref` exists locally. */
export async function imageExists(docker: Dockerode, ref: string, ep?: DockerEndpoint): Promise<boolean> {
  return (await localImageId(docker, ref, ep)) !== undefined;
}

/**
 * Removes an image that a forced rebuild left untagged, if nothing uses it;
 * returns whether it went. Never throws: a leftover image is only disk space.
 */
export async function removeStaleImage(docker: Dockerode, id: string): Promise<boolean> {
  try {
    const info = await docker.getImage(id).inspect();
    if ((info.RepoTags ?? []).some((t) => t !== '<none>:<none>')) return false;
    await docker.getImage(id).remove({ noprune: false });
    return true;
  } catch {
    return false;
  }
}
