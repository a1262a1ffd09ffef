import type Dockerode from 'dockerode';
import { dockerFailure } from '../image/docker-errors.js';
import type { DockerEndpoint } from '../image/docker-endpoint.js';
import type { Resource } from '../state/lab-state.js';
import { mapLimit } from '../util/exec.js';
import { LAB_LABEL } from './docker-node-spec.js';
import type { Failure } from '../errors.js';

type ContainerResource = Extract<Resource, { kind: 'container' }>;

/** Containers removed at once: dockerd serialises part of the work, so more only queues. */
const REMOVE_CONCURRENCY = 8;

function statusCode(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Containers carrying the lab label, by name (without Docker's leading slash). */
export async function labelledContainers(docker: Dockerode, lab?: string): Promise<Map<string, Dockerode.ContainerInfo>> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [lab === undefined ? LAB_LABEL : `${LAB_LABEL}=${lab}`] },
    abortSignal: AbortSignal.timeout(10_000),
  });
  const out = new Map<string, Dockerode.ContainerInfo>();
  for (const c of list) for (const n of c.Names) out.set(n.replace(/^\//, ''), c);
  return out;
}

/**
 * Force-removes the recorded containers that exist and carry the label of
 * the lab they were recorded for (a container of the same name that is not
 * the lab's is never touched). Not-found counts as done. A second pass
 * catches a create that a killed deploy left in flight.
 */
export async function removeContainers(docker: Dockerode, ep: DockerEndpoint, resources: readonly ContainerResource[], defaultLab: string): Promise<Failure[]> {
  if (resources.length === 0) return [];
  const failures: Failure[] = [];
  for (let pass = 0; pass < 2; pass++) {
    let present: Map<string, Dockerode.ContainerInfo>;
    try {
      present = await labelledContainers(docker);
    } catch (e) {
      return resources.map((r) => ({ what: `container ${r.name}`, error: dockerFailure(e, ep, 'list containers') }));
    }
    const targets = resources.filter((r) => present.get(r.name)?.Labels[LAB_LABEL] === (r.lab ?? defaultLab));
    if (targets.length === 0) break;
    failures.length = 0;
    await mapLimit(targets, REMOVE_CONCURRENCY, async (r) => {
      try {
        await docker.getContainer(present.get(r.name)!.Id).remove({ force: true, v: true });
      } catch (e) {
        const code = statusCode(e);
        // 404: already gone; 409 "removal already in progress": someone else is finishing it.
        if (code !== 404 && code !== 409) failures.push({ what: `container ${r.name}`, error: dockerFailure(e, ep, `remove container ${r.name}`) });
      }
    });
  }
  return failures;
}
