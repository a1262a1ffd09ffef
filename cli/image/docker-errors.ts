import { DmmlabError, errorText } from '../errors.js';
import { describeEndpoint, type DockerEndpoint } from './docker-endpoint.js';

const START_HINT = 'start the Docker daemon: sudo systemctl start docker (or sudo dockerd &, or scripts/start-dockerd.sh)';

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The daemon could not be reached at all (no socket, nobody listening, no route). */
export function isUnreachable(e: unknown): boolean {
  return ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE'].includes(errno(e) ?? '');
}

/** The message of a Docker API error without dockerode's "(HTTP code 500) server error -" prefix. */
export function apiMessage(e: unknown): string {
  const json = (e as { json?: unknown } | null)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  return errorText(e)
    .replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '')
    .trim();
}

/**
 * Turns an error from dockerode into an E_DOCKER DmmlabError that names the
 * endpoint (DOCKER_HOST or the socket path) and says what to do.
 */
export function dockerFailure(e: unknown, ep: DockerEndpoint, action: string): DmmlabError {
  if (e instanceof DmmlabError) return e;
  const where = describeEndpoint(ep);
  const code = errno(e);
  if (code === 'EACCES' || code === 'EPERM') {
    return new DmmlabError('E_DOCKER', `permission denied on the Docker socket ${where} (${action})`, {
      cause: e,
      hint: 'run as root, or add your user to the docker group (sudo usermod -aG docker $USER, then log in again)',
    });
  }
  if (isUnreachable(e)) {
    const why = code === 'ENOENT' ? 'the socket does not exist' : code === 'ECONNREFUSED' ? 'nothing listens there' : code;
    return new DmmlabError('E_DOCKER', `Docker daemon not reachable at ${where}: ${why} (${action})`, {
      cause: e,
      hint: ep.source === 'DOCKER_HOST' ? `check DOCKER_HOST, or unset it to use /var/run/docker.sock; ${START_HINT}` : START_HINT,
    });
  }
  return new DmmlabError('E_DOCKER', `Docker ${action} failed: ${apiMessage(e)}`, { cause: e });
}
