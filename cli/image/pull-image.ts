import type Dockerode from 'dockerode';
import { DmmlabError, errorText } from '../errors.js';
import type { Progress } from '../util/progress.js';
import { apiMessage, dockerFailure, isUnreachable } from './docker-errors.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import { followDockerStream, streamError } from './docker-stream.js';
import { imageExists } from './image-exists.js';

const NETWORK_TROUBLE =
  /dial tcp|no such host|lookup |i\/o timeout|connection refused|network is unreachable|TLS handshake|Client\.Timeout|context deadline exceeded|proxyconnect/i;

const OFFLINE_HINT = 'build the image offline from Debian packages instead: add --offline (needs root and debootstrap)';

function pullError(ref: string, detail: string, cause?: unknown): DmmlabError {
  const unreachable = NETWORK_TROUBLE.test(detail);
  const head = unreachable ? `cannot pull ${ref}: the image registry is unreachable` : `cannot pull ${ref}`;
  return new DmmlabError('E_DOCKER', `${head} (${detail})`, { cause, hint: OFFLINE_HINT });
}

/**
 * Makes sure the online recipe's base image is local, pulling it if not. A
 * failed pull says whether the registry was unreachable and suggests --offline.
 */
export async function ensurePulled(docker: Dockerode, ep: DockerEndpoint, ref: string, progress: Progress): Promise<{ pulled: boolean }> {
  if (await imageExists(docker, ref, ep)) return { pulled: false };
  progress.phase('pull');
  progress.info(`pulling ${ref}`);
  let events;
  try {
    const stream = await docker.pull(ref);
    events = await followDockerStream(stream, (ev) => {
      if (ev.status && !ev.progress) progress.tick();
    });
  } catch (e) {
    if (isUnreachable(e) || (e as { code?: unknown })?.code === 'EACCES') throw dockerFailure(e, ep, `pull of ${ref}`);
    throw pullError(ref, apiMessage(e) || errorText(e), e);
  }
  const err = streamError(events);
  if (err) throw pullError(ref, err);
  progress.done(`pulled ${ref}`);
  return { pulled: true };
}
