import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseTopology } from '../../../cli/plan/load.js';
import { generateTopology } from '../../support/generate-topology.js';

/**
 * The planner's whole output (names, addresses, MACs, interface indexes,
 * routes, sysctls) for the shipped topologies and the valid fixtures, against
 * golden files: a faster planner must plan the same labs. Regenerate on
 * purpose only: DMMLAB_UPDATE_GOLDEN=1 npx vitest run test/unit/plan/golden-plans.test.ts
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const TOPOLOGIES = [
  'topologies/fig1.yaml',
  'topologies/fig1-hosts.yaml',
  'topologies/fig9.yaml',
  'topologies/smoke.yaml',
  ...['explicit-addressing', 'link-params', 'longest-names', 'parallel-links', 'plain-routing', 'pmipv6'].map(
    (n) => `test/fixtures/topologies/valid/${n}.yaml`,
  ),
];

describe('golden plans', () => {
  it.each(TOPOLOGIES)('%s plans as before', (file) => {
    const abs = path.join(ROOT, file);
    const { plan } = parseTopology(file, readFileSync(abs, 'utf8'), { lab: 'golden' });
    const golden = path.join(ROOT, 'test/fixtures/plans', `${path.basename(file, '.yaml')}.json`);
    const text = JSON.stringify(plan, null, 1) + '\n';
    if (process.env.DMMLAB_UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

/** Generated labs are too big for a readable golden file: their plans are pinned by hash. */
const GENERATED: Record<number, string> = {
  200: 'dc6880420103c0485965b1ed482c54be85c3638b8d9253153f453f86e3c7a0ac',
  1000: '706628742a47760e1be34820a9b8783c29de53a618b43c912b0b24cfe9b43c87',
};

describe('golden plans of generated labs', () => {
  it.each(Object.keys(GENERATED).map(Number))('a generated lab of %i nodes plans as before', (size) => {
    const { plan } = parseTopology(`generated-${size}.yaml`, generateTopology({ name: 'golden', size, mnsPerNetwork: 4 }));
    const hash = createHash('sha256').update(JSON.stringify(plan)).digest('hex');
    if (process.env.DMMLAB_UPDATE_GOLDEN) console.log(`generated ${size}: ${hash}`);
    else expect(hash).toBe(GENERATED[size]);
  });
});
