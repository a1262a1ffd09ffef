import Dockerode from 'dockerode';
import { dockerFailure, isUnreachable } from './docker-errors.js';
import { DEFAULT_DOCKER_SOCKET, describeEndpoint, dockerEndpoint, type DockerEndpoint } from './docker-endpoint.js';

export { dockerEndpoint, describeEndpoint, type DockerEndpoint } from './docker-endpoint.js';

/**
 * A Dockerode client for DOCKER_HOST (unix, tcp with DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH, ssh: parsed by docker-modem) or /var/run/docker.sock.
 */
export function createDockerClient(ep: DockerEndpoint = dockerEndpoint()): Dockerode {
  if (ep.source === 'socket' || ep.socketPath) return new Dockerode({ socketPath: ep.socketPath ?? DEFAULT_DOCKER_SOCKET });
  return new Dockerode();
}

export type DockerPing =
  | { ok: true; /** Daemon version, e.g. 20.10.24. */ version: string; /** Daemon API version. */ apiVersion: string; endpoint: DockerEndpoint }
  | { ok: false; /** What went wrong, naming the socket or DOCKER_HOST. */ reason: string; /** What to do about it. */ hint: string; endpoint: DockerEndpoint };

export interface PingOptions {
  /** Client to ask; default createDockerClient(). */
  docker?: Dockerode;
  /** Endpoint named in messages; default dockerEndpoint(). */
  endpoint?: DockerEndpoint;
  /** Give up after this long (default 3000 ms). */
  timeoutMs?: number;
}

/** Asks the daemon for its version within a short timeout; never throws. */
export async function pingDocker(opts: PingOptions = {}): Promise<DockerPing> {
  const endpoint = opts.endpoint ?? dockerEndpoint();
  const timeoutMs = opts.timeoutMs ?? 3000;
  let docker: Dockerode;
  try {
    docker = opts.docker ?? createDockerClient(endpoint);
  } catch (e) {
    const f = dockerFailure(e, endpoint, 'connect');
    return { ok: false, reason: f.message, hint: f.hint ?? '', endpoint };
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // dockerode 4 accepts { abortSignal } on version(); the typings do not say so.
    const client = docker as unknown as { version(o: { abortSignal: AbortSignal }): Promise<Dockerode.DockerVersion> };
    const v = await client.version({ abortSignal: signal });
    return { ok: true, version: v.Version, apiVersion: v.ApiVersion, endpoint };
  } catch (e) {
    if (signal.aborted && !isUnreachable(e)) {
      return {
        ok: false,
        reason: `Docker daemon at ${describeEndpoint(endpoint)} did not answer within ${timeoutMs} ms`,
        hint: 'check that dockerd is healthy (journalctl -u docker, or its log file) or restart it',
        endpoint,
      };
    }
    const f = dockerFailure(e, endpoint, 'connect');
    return { ok: false, reason: f.message, hint: f.hint ?? '', endpoint };
  }
}
