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
  200: '429daa7bed54dbb503fe4d23a6c2205b28db876b650dd812dff623d56e1b1be1',
  1000: '73f5b683f5221064b352fb3fdad89478ce1cf6b99c0579a39a63233348eccb32',
};

describe('golden plans of generated labs', () => {
  it.each(Object.keys(GENERATED).map(Number))('a generated lab of %i nodes plans as before', (size) => {
    const { plan } = parseTopology(`generated-${size}.yaml`, generateTopology({ name: 'golden', size, mnsPerNetwork: 4 }));
    const hash = createHash('sha256').update(JSON.stringify(plan)).digest('hex');
    if (process.env.DMMLAB_UPDATE_GOLDEN) console.log(`generated ${size}: ${hash}`);
    else expect(hash).toBe(GENERATED[size]);
  });
});
