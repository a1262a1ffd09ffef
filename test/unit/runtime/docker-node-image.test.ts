import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { describe, expect, it, vi } from 'vitest';
import { DmmlabError } from '../../../cli/errors.js';
import { dockerEndpoint } from '../../../cli/image/docker-endpoint.js';
import type { PlanNode } from '../../../cli/plan/types.js';
import { silentProgress } from '../../../cli/util/progress.js';

const placeholder = fileURLToPath(new URL('../../fixtures/image/placeholder-agent.mjs', import.meta.url));
vi.mock('../../../cli/runtime/spawn-detached.js', () => ({ hostAgentBundle: () => placeholder }));
vi.mock('../../../cli/image/debootstrap.js', () => ({
  requireDebootstrap: () => {
    throw new Error('debootstrap is not installed');
  },
}));
const { ensureNodeImages, nodeImageStatus } = await import('../../../cli/runtime/docker-node-image.js');

/** A Docker client that knows only the given image references. */
function fakeDocker(present: string[]): Dockerode {
  return {
    getImage: (ref: string) => ({
      inspect: async () => {
        if (present.includes(ref)) return { Id: `sha256:${ref}` };
        throw Object.assign(new Error('no such image'), { statusCode: 404 });
      },
    }),
  } as unknown as Dockerode;
}

const node = (name: string, image?: string): PlanNode => ({
  name,
  roles: ['cn'],
  network: 'n',
  netns: `dmm-l-${name}`,
  agent: true,
  interfaces: [],
  routes: [],
  sysctls: {},
  ...(image ? { image } : {}),
});
const ep = dockerEndpoint({});

describe('the node image of the Docker runtime', () => {
  it('is unusable, and says why, when it is missing and neither a cached base nor debootstrap can make it', async () => {
    const s = await nodeImageStatus(fakeDocker([]), ep);
    expect(s).toMatchObject({ present: false, usable: false });
    expect(s.why).toMatch(/^image dmmlab\/node:[0-9a-f]{12} is missing and (debootstrap is not installed|building it offline needs root)/);
  });

  it('fails a deploy before anything is created, saying how to build it', async () => {
    const e = await ensureNodeImages([node('a')], fakeDocker([]), ep, silentProgress).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DmmlabError);
    expect((e as DmmlabError).code).toBe('E_ENV');
    expect((e as DmmlabError).message).toMatch(/^cannot deploy on Docker: image dmmlab\/node:\S+ is missing/);
    expect((e as DmmlabError).hint).toMatch(/dmmlab image build --offline/);
  });

  it('uses the default tag when present, and a node’s own image when it names one', async () => {
    const s = await nodeImageStatus(fakeDocker([]), ep);
    const images = await ensureNodeImages([node('a'), node('b', 'my/img:1')], fakeDocker([s.tag, 'my/img:1']), ep, silentProgress);
    expect(Object.fromEntries(images)).toEqual({ a: s.tag, b: 'my/img:1' });
  });
});
