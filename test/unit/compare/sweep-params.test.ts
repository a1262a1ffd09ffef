import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { anchorRoundTrip } from '../../../cli/compare/closed-form.js';
import type { CompareReport, SweepReport } from '../../../cli/compare/schema.js';
import { closedFormLines, renderSweepMarkdown, renderSweepPlots } from '../../../cli/compare/sweep-md.js';
import { atHandoverRate, hasWaitAfterHandover, pointSteps, pointTopology, withInfraDelay } from '../../../cli/compare/sweep-points.js';
import { parseSweep } from '../../../cli/commands/compare.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Step } from '../../../cli/scenario/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const topology = (name: string) => readFileSync(path.join(ROOT, `topologies/${name}.yaml`), 'utf8');
const handover = (mn: string, to: string): Step => ({ handover: { mn, to, mode: 'break', predictive: false, wait: true } });
const pattern = (mn: string, away: string, home: string): Step[] => [
  { wait: '1s' },
  handover(mn, away),
  { wait: '1500ms' },
  handover(mn, home),
  { wait: '1500ms' },
];

describe('compare --sweep delay: every infrastructure link delayed, and the closed form', () => {
  it('puts the delay on every infrastructure link and none on the access links; the topology still plans', () => {
    const { plan } = parseTopology('x.yaml', withInfraDelay(topology('pmipv6'), 5));
    const infra = plan.links.filter((l) => l.kind === 'infra');
    expect(infra.length).toBe(4);
    for (const l of infra) expect(l.params.delay).toBe('5ms');
    for (const l of plan.links.filter((x) => x.kind === 'access')) expect(l.params.delay).toBeUndefined();
    // Delay 0 runs the placement's own file.
    expect(pointTopology({ param: 'delay', value: 0 }, topology('pmipv6'), ['mn'])).toBeUndefined();
    expect(pointSteps({ param: 'delay', value: 5 }, pattern('mn', 'mag2', 'mag1'), ['mn'])).toEqual(pattern('mn', 'mag2', 'mag1'));
  });

  it('expects one round trip between the new access router and the anchor: PMIPv6’s LMA, Mobile IPv6’s home agent, the flat node’s first MR', () => {
    const at = (name: string, steps: Step[]) => anchorRoundTrip(name, parseTopology('x.yaml', topology(name)).plan, steps);
    expect(at('pmipv6', pattern('mn', 'mag2', 'mag1'))).toEqual({ placement: 'pmipv6', anchor: 'lma', from: 'mag2', hops: 2, slope: 4 });
    expect(at('mipv6', pattern('mn', 'var1', 'ha'))).toEqual({ placement: 'mipv6', anchor: 'ha', from: 'var1', hops: 3, slope: 6 });
    expect(at('fig1', pattern('mn1', 'mr2', 'mr11'))).toEqual({ placement: 'fig1', anchor: 'mr11', from: 'mr2', hops: 2, slope: 4 });
    expect(at('fig1', [{ wait: '1s' }])).toBeUndefined();
  });

  const report = (values: number[], medians: Record<string, number[]>): SweepReport => ({
    version: 1,
    kind: 'sweep',
    name: 'one-move',
    file: 'one-move.yaml',
    param: 'delay',
    values,
    points: values.map((value, i) => ({
      value,
      dir: `delay-${value}`,
      report: {
        placements: Object.entries(medians).map(([name, m]) => ({
          name,
          interruptionMs: { median: m[i], p95: m[i] },
          signallingPerHandover: {},
          packetsThroughMr: {},
        })),
      } as unknown as CompareReport,
    })),
    closedForm: [{ placement: 'pmipv6', anchor: 'lma', from: 'mag2', hops: 2, slope: 4 }],
  });

  it('draws the closed form dashed from the first measured point, and tables both slopes', () => {
    const s = report([0, 5, 10], { pmipv6: [20, 50, 80], flat: [10, 11, 12] });
    expect(closedFormLines(s)).toEqual([
      {
        name: 'pmipv6: closed form',
        placement: 'pmipv6',
        points: [
          [0, 20],
          [5, 40],
          [10, 60],
        ],
      },
    ]);
    const svg = renderSweepPlots(s)['sweep-interruption.svg']!;
    expect(svg).toContain('data-series="pmipv6: closed form"');
    expect(svg).toMatch(/data-series="pmipv6: closed form"[^>]*stroke-dasharray/);
    expect(svg).not.toMatch(/data-series="flat"[^>]*stroke-dasharray/);
    // The dashed line takes its placement's colour.
    const colour = (series: string) => new RegExp(`data-series="${series}"[^>]*stroke="(#[0-9a-f]+)"`).exec(svg)?.[1];
    expect(colour('pmipv6: closed form')).toBe(colour('pmipv6'));
    const md = renderSweepMarkdown(s);
    expect(md).toContain('| pmipv6 | lma | mag2 | 2 | 4.0 | 6.00 |');
    expect(renderSweepPlots(s)['sweep-loss.svg']).not.toContain('closed form');
    // Without any placement's closed form, no section for it.
    expect(renderSweepMarkdown({ ...s, closedForm: [] })).not.toContain('## Closed form');
  });
});

describe('closed forms of the mns and rate sweeps', () => {
  const sweep = (
    param: 'mns' | 'rate',
    values: number[],
    placements: Record<string, { signalling: number; interruption: number; mrs: Record<string, number> }[]>,
  ): SweepReport => ({
    version: 1,
    kind: 'sweep',
    name: 'one-move',
    file: 'one-move.yaml',
    param,
    values,
    points: values.map((value, i) => ({
      value,
      dir: `${param}-${value}`,
      report: {
        placements: Object.entries(placements).map(([name, at]) => ({
          name,
          interruptionMs: { median: at[i]!.interruption, p95: at[i]!.interruption },
          signallingPerHandover: { PBU: at[i]!.signalling },
          packetsThroughMr: at[i]!.mrs,
        })),
      } as unknown as CompareReport,
    })),
  });

  it('mns: signalling per handover flat, the busiest MR’s packets in proportion to the nodes', () => {
    const s = sweep('mns', [1, 2, 4], {
      pmipv6: [
        { signalling: 4, interruption: 20, mrs: { lma: 1000, mag1: 500 } },
        { signalling: 4, interruption: 21, mrs: { lma: 2000, mag1: 1000 } },
        { signalling: 6, interruption: 25, mrs: { lma: 3600, mag1: 2000 } },
      ],
    });
    expect(closedFormLines(s, 'signalling')).toEqual([
      {
        name: 'pmipv6: closed form',
        placement: 'pmipv6',
        points: [
          [1, 4],
          [2, 4],
          [4, 4],
        ],
      },
    ]);
    expect(closedFormLines(s, 'busiest-mr')[0]!.points).toEqual([
      [1, 1000],
      [2, 2000],
      [4, 4000],
    ]);
    // No closed form for the interruption against the number of nodes.
    expect(closedFormLines(s)).toEqual([]);
    const plots = renderSweepPlots(s);
    expect(plots['sweep-busiest-mr.svg']).toMatch(/data-series="pmipv6: closed form"[^>]*stroke-dasharray/);
    expect(plots['sweep-signalling.svg']).toContain('data-series="pmipv6: closed form"');
    expect(plots['sweep-interruption.svg']).not.toContain('closed form');
    const md = renderSweepMarkdown(s);
    expect(md).toContain('## Closed form: the busiest MR carries each node’s flows');
    // Measured / expected at each point, and the largest departure (6 against 4 messages: 50 %).
    expect(md).toContain('| pmipv6 | 1000.0 / 1000.0 | 2000.0 / 2000.0 | 3600.0 / 4000.0 | 10 % |');
    expect(md).toContain('| pmipv6 | 4.0 / 4.0 | 4.0 / 4.0 | 6.0 / 4.0 | 50 % |');
  });

  it('rate: signalling and interruption flat while handovers do not overlap', () => {
    const s = sweep('rate', [1, 5], {
      flat: [
        { signalling: 7, interruption: 10, mrs: {} },
        { signalling: 5, interruption: 30, mrs: {} },
      ],
    });
    expect(closedFormLines(s, 'interruption')[0]!.points).toEqual([
      [1, 10],
      [5, 10],
    ]);
    expect(closedFormLines(s, 'signalling')[0]!.points).toEqual([
      [1, 7],
      [5, 7],
    ]);
    expect(closedFormLines(s, 'busiest-mr')).toEqual([]);
    expect(renderSweepMarkdown(s)).toContain('| flat | 10.0 / 10.0 | 30.0 / 10.0 | 200 % |');
  });
});

describe('compare --sweep wan: only the links between two networks delayed', () => {
  it('delays the links whose ends are in different networks, none inside a network, no access link', () => {
    const text = pointTopology({ param: 'wan', value: 20 }, topology('fig1'), ['mn1'])!;
    const { plan } = parseTopology('x.yaml', text);
    const networkOf = new Map(plan.nodes.map((n) => [n.name, n.network]));
    const infra = plan.links.filter((l) => l.kind === 'infra');
    const between = infra.filter((l) => networkOf.get(l.a.node) !== networkOf.get(l.b.node));
    expect(between.length).toBeGreaterThan(0);
    for (const l of between) expect(l.params.delay).toBe('20ms');
    for (const l of infra.filter((x) => !between.includes(x))) expect(l.params.delay).toBeUndefined();
    for (const l of plan.links.filter((x) => x.kind === 'access')) expect(l.params.delay).toBeUndefined();
  });

  it('expects a round trip over the delayed hops only: the path’s links between networks', () => {
    const at = (name: string, steps: Step[]) => anchorRoundTrip(name, parseTopology('x.yaml', topology(name)).plan, steps, true);
    // mipv6: var1 → vr (inside the visited network), vr → internet, internet → ha: two of the three hops.
    expect(at('mipv6', pattern('mn', 'var1', 'ha'))).toEqual({ placement: 'mipv6', anchor: 'ha', from: 'var1', hops: 2, slope: 4 });
    // pmipv6: the MAGs and the LMA share one network; nothing between networks on the way.
    expect(at('pmipv6', pattern('mn', 'mag2', 'mag1'))?.hops).toBe(0);
    // fig1: mr2 → core → mr11, both links between networks.
    expect(at('fig1', pattern('mn1', 'mr2', 'mr11'))).toMatchObject({ hops: 2, slope: 4 });
  });
});

describe('compare --sweep rate: the time between handovers', () => {
  it('sets every wait right after a handover to 1/rate s, in repeat blocks too, and leaves the others', () => {
    const steps = [...pattern('mn', 'a', 'b'), { repeat: { times: 2, steps: [handover('mn', 'a'), { wait: '2s' }] } } as Step];
    const out = atHandoverRate(steps, 4);
    expect(out.map((s) => s.wait)).toEqual(['1s', undefined, '250ms', undefined, '250ms', undefined]);
    expect(out[5]!.repeat!.steps[1]!.wait).toBe('250ms');
    // The handovers followed by a wait are not waited for: the node moves every 1/rate s.
    expect(out.flatMap((s) => (s.handover ? [s.handover.wait] : []))).toEqual([false, false]);
    expect(out[5]!.repeat!.steps[0]!.handover!.wait).toBe(false);
    expect(hasWaitAfterHandover(steps)).toBe(true);
    expect(hasWaitAfterHandover([handover('mn', 'a')])).toBe(false);
    expect(pointTopology({ param: 'rate', value: 2 }, topology('fig1'), ['mn1'])).toBeUndefined();
  });
});

describe('--sweep values', () => {
  const fail = (m: string) => new Error(m);
  it('takes mns, delay (with or without ms) and rate within their ranges', () => {
    expect(parseSweep('mns=1,2,4', fail)).toEqual({ param: 'mns', values: [1, 2, 4] });
    expect(parseSweep('delay=0,5ms, 10', fail)).toEqual({ param: 'delay', values: [0, 5, 10] });
    expect(parseSweep('rate=0.5,1,2', fail)).toEqual({ param: 'rate', values: [0.5, 1, 2] });
    expect(parseSweep('wan=0,20ms', fail)).toEqual({ param: 'wan', values: [0, 20] });
  });
  it.each([
    ['latency=1,2', /expected mns=.*, or delay=.*, or wan=.*, or rate=/],
    ['wan=600', /of one-way delay per link between two networks/],
    ['mns=0,2', /mns=v1,v2,... \(distinct whole numbers from 1 to 50/],
    ['mns=1.5', /whole numbers/],
    ['delay=-1', /from 0 to 500/],
    ['rate=1,1', /distinct numbers from 0.01 to 20/],
    ['rate=', /found "rate="/],
    ['delay=5s', /of one-way delay/],
  ])('refuses %s, naming what it expected', (text, message) => {
    expect(() => parseSweep(text, fail)).toThrow(message);
  });
});

it('keeps a topology a delay sweep rewrote readable YAML with the same nodes', () => {
  const t = parse(withInfraDelay(topology('fig1'), 10)) as { nodes: Record<string, unknown> };
  expect(Object.keys(t.nodes)).toEqual(Object.keys((parse(topology('fig1')) as { nodes: Record<string, unknown> }).nodes));
});
