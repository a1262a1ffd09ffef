import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, type ImportEdge } from '../../support/import-graph.js';

/**
 * The layers of the code, lowest first (docs/architecture.md draws the same
 * list). A file may import files of its own layer and of the layers listed
 * before it, never after: the arrows all point down, so each folder can be
 * read, tested and replaced knowing only what is below it. Imports of types
 * count as well: they are arrows a reader has to follow.
 */
const LAYERS: [string, RegExp][] = [
  ['shared', /^shared\//],
  // The agent, in order: helpers, its per-node services, roles, then the process around them.
  ['agent/util', /^agent\/util\//],
  ['agent/core', /^agent\/(events|domain|timers)\.ts$/],
  ['agent/kernel', /^agent\/kernel\//],
  ['agent/io', /^agent\/io\//],
  ['agent/signalling', /^agent\/signalling\//],
  ['agent/context', /^agent\/context\.ts$/],
  ['agent/flows', /^agent\/flows\//],
  ['agent/roles', /^agent\/roles\//],
  ['agent/control', /^agent\/control\//],
  ['agent/process', /^agent\/(node-agent|host|main)\.ts$/],
  // The orchestrator, in pipeline order.
  ['cli/base', /^cli\/(errors\.ts|util\/)/],
  ['cli/input', /^cli\/input\//],
  ['cli/topology', /^cli\/topology\//],
  ['cli/plan', /^cli\/plan\//],
  ['cli/model', /^cli\/model\//],
  ['cli/state', /^cli\/state\//],
  ['cli/kernel', /^cli\/kernel\//],
  ['cli/links', /^cli\/links\//],
  ['cli/image', /^cli\/image\//],
  ['cli/runtime', /^cli\/runtime\//],
  ['cli/agents', /^cli\/agents\//],
  ['cli/export', /^cli\/export\//],
  ['cli/lab', /^cli\/lab\//],
  ['cli/capture', /^cli\/capture\//],
  ['cli/scenario', /^cli\/scenario\//],
  ['cli/analyze', /^cli\/analyze\//],
  ['cli/verify', /^cli\/verify\//],
  ['cli/report', /^cli\/report\//],
  ['cli/run', /^cli\/run\//],
  ['cli/compare', /^cli\/compare\//],
  ['cli/api', /^cli\/(api|schemas)\.ts$/],
  ['cli/output', /^cli\/output\//],
  ['cli/tui', /^cli\/tui\//],
  ['cli/commands', /^cli\/commands\//],
  ['cli/main', /^cli\/main\.ts$/],
];

const root = path.resolve(import.meta.dirname, '../../..');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'agent', 'cli', 'shared'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|tsx)$/.test(f));
const edges = importGraph(root, files);

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, re]) => re.test(file));
  return i;
}

describe('import layers', () => {
  it('places every source file in a layer', () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no arrow that runs back up', () => {
    const up = edges
      .filter((e) => layerOf(e.to) > layerOf(e.from))
      .map((e) => `${e.from} (${LAYERS[layerOf(e.from)]![0]}) → ${e.to} (${LAYERS[layerOf(e.to)]![0]})`);
    expect(up).toEqual([]);
  });

  it('keeps the agent, the orchestrator and the shared code apart', () => {
    const side = (f: string) => f.split('/')[0];
    const crossing = (e: ImportEdge) => side(e.from) !== side(e.to) && side(e.to) !== 'shared';
    expect(edges.filter(crossing).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(edges)).toEqual([]);
  });

  it('finds a back arrow and a cycle when there is one (the check can fail)', () => {
    const fake: ImportEdge[] = [
      { from: 'cli/plan/resolve.ts', to: 'cli/lab/deploy.ts' },
      { from: 'cli/lab/deploy.ts', to: 'cli/plan/resolve.ts' },
    ];
    expect(fake.filter((e) => layerOf(e.to) > layerOf(e.from))).toHaveLength(1);
    expect(importCycles(fake)).toEqual([['cli/lab/deploy.ts', 'cli/plan/resolve.ts']]);
  });
});
