import { DmmlabError } from '../errors.js';

/** Refuses to go on without root, saying what needed it and why. */
export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new DmmlabError(
      'E_NOT_ROOT',
      `${what} needs root: it creates network namespaces, veth links, routes and tunnels, which only root (CAP_NET_ADMIN and CAP_SYS_ADMIN) may do`,
      { hint: 'run it with sudo, e.g. sudo npx dmmlab ...' },
    );
  }
}
