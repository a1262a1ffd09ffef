import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../../cli/plan/load.js';

/**
 * The planner's whole output (names, addresses, MACs, interface indexes,
 * routes, sysctls) for the shipped topologies and the valid fixtures, against
 * golden files: a faster planner must plan the same labs. Regenerate on
 * purpose only: DMMLAB_UPDATE_GOLDEN=1 npx vitest run test/unit/plan/golden-plans.test.ts
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const TOPOLOGIES = [
  'topologies/fig1.yaml',
  'topologies/fig9.yaml',
  'topologies/smoke.yaml',
  ...['explicit-addressing', 'link-params', 'longest-names', 'parallel-links', 'plain-routing', 'pmipv6'].map((n) => `test/fixtures/topologies/valid/${n}.yaml`),
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
