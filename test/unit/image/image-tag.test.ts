import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeImageTagFor } from '../../../cli/image/build-image.js';
import { baseImageTag, baseManifest, nodeImageTag, type BaseSpec, type NodeImageInputs } from '../../../cli/image/image-tag.js';

const base: BaseSpec = { suite: 'bookworm', variant: 'minbase', arch: 'amd64', packages: ['tcpdump', 'iproute2', 'nodejs'] };
const node: NodeImageInputs = {
  dockerfile: 'ARG BASE=node:20-bookworm-slim\nFROM ${BASE}\n',
  packagesTxt: 'iproute2\ntcpdump\n',
  agentBundle: Buffer.from('console.log(1)\n'),
  buildArgs: { BASE: 'dmmlab/base:0123456789ab', INSTALL_PACKAGES: '0' },
};
const placeholder = fileURLToPath(new URL('../../fixtures/image/placeholder-agent.mjs', import.meta.url));

describe('nodeImageTag', () => {
  it('is dmmlab/node:<12 hex> and stable for the same inputs', () => {
    expect(nodeImageTag(node)).toMatch(/^dmmlab\/node:[0-9a-f]{12}$/);
    expect(nodeImageTag({ ...node, agentBundle: Buffer.from('console.log(1)\n') })).toBe(nodeImageTag(node));
    expect(nodeImageTag({ ...node, buildArgs: { INSTALL_PACKAGES: '0', BASE: 'dmmlab/base:0123456789ab' } })).toBe(nodeImageTag(node));
  });

  it.each<[string, Partial<NodeImageInputs>]>([
    ['the Dockerfile', { dockerfile: `${String(node.dockerfile)}LABEL a=b\n` }],
    ['packages.txt', { packagesTxt: 'iproute2\ntcpdump\nradvd\n' }],
    ['the agent bundle', { agentBundle: Buffer.from('console.log(2)\n') }],
    ['the base', { buildArgs: { BASE: 'dmmlab/base:ffffffffffff', INSTALL_PACKAGES: '0' } }],
    ['the online base', { buildArgs: { BASE: 'node:20-bookworm-slim', INSTALL_PACKAGES: '1' } }],
    ['INSTALL_PACKAGES', { buildArgs: { BASE: 'dmmlab/base:0123456789ab', INSTALL_PACKAGES: '1' } }],
  ])('changes when %s changes', (_what, change) => {
    expect(nodeImageTag({ ...node, ...change })).not.toBe(nodeImageTag(node));
  });
});

describe('baseImageTag', () => {
  it('is dmmlab/base:<12 hex>, ignoring package order and duplicates', () => {
    expect(baseImageTag(base)).toMatch(/^dmmlab\/base:[0-9a-f]{12}$/);
    expect(baseImageTag({ ...base, packages: ['nodejs', 'iproute2', 'tcpdump', 'tcpdump'] })).toBe(baseImageTag(base));
  });

  it.each<[string, Partial<BaseSpec>]>([
    ['the suite', { suite: 'trixie' }],
    ['the variant', { variant: 'buildd' }],
    ['the architecture', { arch: 'arm64' }],
    ['a package is added', { packages: [...base.packages, 'radvd'] }],
    ['a package is removed', { packages: ['tcpdump', 'iproute2'] }],
  ])('changes when %s changes', (_what, change) => {
    expect(baseImageTag({ ...base, ...change })).not.toBe(baseImageTag(base));
  });

  it('hashes a manifest that printf | sha256sum reproduces (images/README.md)', () => {
    const text = 'dmmlab-base/1\nsuite bookworm\nvariant minbase\narch amd64\npackages iproute2 nodejs tcpdump\n';
    expect(baseManifest(base)).toBe(text);
    expect(baseImageTag(base)).toBe(`dmmlab/base:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
  });
});

describe('nodeImageTagFor (images/node of this checkout)', () => {
  it('gives the offline and online recipes different, stable tags', async () => {
    const offline = await nodeImageTagFor({ offline: true, agentBundle: placeholder });
    const online = await nodeImageTagFor({ offline: false, agentBundle: placeholder });
    expect(offline).not.toBe(online);
    expect(await nodeImageTagFor({ offline: true, agentBundle: placeholder })).toBe(offline);
  });
});
