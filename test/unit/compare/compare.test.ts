import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../../cli/compare/generate.js';
import { compareSchema, compareReportSchema, type CompareFile } from '../../../cli/compare/schema.js';
import { OUTER_HEADER_BYTES, summarizePlacement } from '../../../cli/compare/summarize.js';
import { renderCompareMarkdown } from '../../../cli/compare/compare-md.js';
import { parseYamlText } from '../../../cli/input/load-yaml.js';
import type { RunReport } from '../../../cli/report/report-schema.js';

const root = path.resolve(import.meta.dirname, '../../..');
const shipped = (): CompareFile => parseYamlText('compare/one-move.yaml', readFileSync(path.join(root, 'compare/one-move.yaml'), 'utf8'), compareSchema).value;

describe('mapping a pattern onto a placement', () => {
  it('replaces every part by the node the map names', () => {
    const c = shipped();
    const { generated, problems } = generateScenario(
      c,
      c.placements.find((x) => x.name === 'hierarchical')!,
      '/t/fig9.yaml',
    );
    expect(problems).toEqual([]);
    const s = generated!.scenario;
    expect(s.topology).toBe('/t/fig9.yaml');
    expect(s.steps[0]!.flow).toMatchObject({ from: 'mn21', to: 'mn11' });
    expect(s.steps.filter((x) => x.handover).map((x) => x.handover!.to)).toEqual(['mr31', 'mr1']);
    expect(generated!.name).toBe('one-move-hierarchical');
  });

  it('names an unmapped part, a map entry for no part, a step naming no part, and an expect step (nothing generated)', () => {
    const c = shipped();
    const p = { ...c.placements[0]!, map: { mn: 'mn1', cn: 'mn2', 'home-cell': 'mr11', elsewhere: 'mr2' } };
    const bad = {
      ...c,
      pattern: {
        ...c.pattern,
        steps: [
          ...c.pattern.steps,
          { handover: { mn: 'mn', to: 'moon', mode: 'break' as const, predictive: false, wait: true } },
          { expect: [{ clean: true }] },
        ],
      },
    };
    const { generated, problems } = generateScenario(bad, p, '/t/fig1.yaml');
    expect(generated).toBeUndefined();
    expect(problems.map((x) => `${x.field}: ${x.found}`)).toEqual([
      'map.away-cell: nothing',
      'map.elsewhere: "elsewhere"',
      'pattern.steps[9].handover.to: "moon"',
      'pattern.steps[10].expect: an expect step',
    ]);
  });
});

describe("a placement's figures", () => {
  const path_ = (nodes: string[], packets: number, tunnels: number) => ({
    nodes,
    packets,
    fromMs: 0,
    toMs: 1,
    tunnels: Array.from({ length: tunnels }, () => ({ link: 'a-b', outerSrc: '::1', outerDst: '::2' })),
  });
  const run = (interruptions: number[], ok: boolean): RunReport =>
    ({
      ok,
      lab: { runtime: 'netns' },
      handovers: interruptions.map((_, i) => ({
        index: i,
        mn: 'mn1',
        from: ['mr11'],
        to: 'mr2',
        atMs: 0,
        signalling: { PBU: 2, PBA: 2, HI: 1 },
        signallingBytes: 500 + i,
      })),
      flows: [
        {
          id: 'down',
          lossPercent: 1,
          lost: 5,
          settledPath: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
          settledMobilityPath: ['mn2', 'mr31', 'mr2', 'mn1'],
          shortestPath: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
          pathStretch: 1,
          latencyMs: { p50: 0.05, p95: 0.08, offsetRemovedMs: 0 },
          paths: [path_(['mn2', 'mr31', 'core', 'mr11', 'mn1'], 100, 1), path_(['mn2', 'mr31', 'core', 'mr2', 'mn1'], 300, 0)],
          handovers: interruptions.map((x, i) => ({ handover: i, interruptionMs: x, lostDuring: 1 })),
        },
      ],
    }) as unknown as RunReport;

  it("are the runs' own figures, pooled", () => {
    const reports = [run([10, 30], true), run([20], false)];
    const p = summarizePlacement({ name: 'flat', topology: 't', scenario: 's', outDir: 'o' }, reports, ['mr11', 'mr2', 'mr31', 'mr12']);
    expect(p.runs).toBe(2);
    expect(p.passed).toBe(1);
    expect(p.interruptions).toEqual([10, 20, 30]);
    expect(p.interruptionMs).toMatchObject({ median: 20, n: 3 });
    expect(p.signallingPerHandover).toEqual({ HI: 1, PBA: 2, PBU: 2 });
    expect(p.flows[0]).toMatchObject({ id: 'down', settledPath: ['mn2', 'mr31', 'mr2', 'mn1'], hops: 4, shortestHops: 4, pathStretch: 1 });
    expect(p.flows[0]!.tunnelOverheadBytes?.median).toBe(100 * OUTER_HEADER_BYTES);
    expect(p.flows[0]!.tunnelledPercent?.median).toBe(25);
    expect(p.packetsThroughMr).toEqual({ mr11: 100, mr2: 300, mr31: 400, mr12: 0 });
    const report = { version: 1 as const, kind: 'compare' as const, name: 'x', file: 'f', repeat: 2, runtime: 'netns', placements: [p] };
    expect(compareReportSchema.safeParse(report).success).toBe(true);
    expect(renderCompareMarkdown(report, 'cdf.svg')).toContain('| interruption median (p95) | 20.00 ms (p95 30.00 ms) |');
    // No placement synchronises anything: no such figure, and no row for it.
    expect(p.synchronisationPerHandover).toBeUndefined();
    expect(renderCompareMarkdown(report, 'cdf.svg')).not.toContain('synchronisation');
  });

  it('count the synchronisation of migrating home agents per handover, next to a placement without', () => {
    const synced = run([10, 20, 30], true);
    synced.handovers.forEach((h, i) => (h.synchronisation = { messages: 10, bytes: 1400 + i }));
    const p = summarizePlacement({ name: 'migrating', topology: 't', scenario: 's', outDir: 'o' }, [synced], []);
    expect(p.synchronisationPerHandover).toEqual({ messages: 10, bytes: 1401 });
    const other = summarizePlacement({ name: 'flat', topology: 't', scenario: 's', outDir: 'o' }, [run([10], true)], []);
    const report = { version: 1 as const, kind: 'compare' as const, name: 'x', file: 'f', repeat: 1, runtime: 'netns', placements: [p, other] };
    expect(compareReportSchema.safeParse(report).success).toBe(true);
    expect(renderCompareMarkdown(report, 'cdf.svg')).toContain('| of which LM replica / home agent synchronisation (messages, bytes) | 10.0, 1401 B | – |');
  });
});
