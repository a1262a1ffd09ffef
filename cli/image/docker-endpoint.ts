/** The default Docker socket when DOCKER_HOST is not set. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Where the Docker daemon is expected, as the user would name it. */
export interface DockerEndpoint {
  /** `DOCKER_HOST` when that variable is set, else `socket` (the default socket). */
  source: 'DOCKER_HOST' | 'socket';
  /** The DOCKER_HOST value, or `unix:///var/run/docker.sock`. */
  address: string;
  /** The unix socket path, if the endpoint is a unix socket. */
  socketPath?: string;
}

/** The endpoint DOCKER_HOST names, or the default socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const host = env.DOCKER_HOST;
  if (!host) return { source: 'socket', address: `unix://${DEFAULT_DOCKER_SOCKET}`, socketPath: DEFAULT_DOCKER_SOCKET };
  if (host.startsWith('unix://')) return { source: 'DOCKER_HOST', address: host, socketPath: host.slice(7) || DEFAULT_DOCKER_SOCKET };
  return { source: 'DOCKER_HOST', address: host };
}

/** `unix:///var/run/docker.sock`, or `<value> (from DOCKER_HOST)`, for messages. */
export function describeEndpoint(ep: DockerEndpoint): string {
  return ep.source === 'DOCKER_HOST' ? `${ep.address} (from DOCKER_HOST)` : ep.address;
}
