import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, FlowAnalysis, FlowPath, SignallingMessage } from '../../../cli/analyze/types.js';
import { evaluateTraffic, expectationName, isStateExpectation } from '../../../cli/verify/expectations.js';
import type { CheckResult } from '../../../cli/scenario/results.js';
import type { Expectation } from '../../../cli/scenario/schema.js';
import type { Plan } from '../../../cli/plan/types.js';
import { loadTopology } from '../../../cli/plan/load.js';

/**
 * evaluateTraffic on small hand-made analyses of a run on topologies/fig1.yaml
 * (anchors: mr11 2001:db8:1:8000::/56, mr12 2001:db8:1:8100::/56, mr2
 * 2001:db8:2:8000::/56; core is its only plain router).
 */
let plan: Plan;
beforeAll(async () => {
  plan = (await loadTopology(fileURLToPath(new URL('../../../topologies/fig1.yaml', import.meta.url)))).plan;
});

function path(nodes: string[], mobilityNodes: string[]): FlowPath {
  return { nodes, mobilityNodes, packets: 100, firstT: 1000, lastT: 2000, tunnels: [] };
}

/** f1: MN2 → MN1 at MR2 after two handovers, the second one slow; its path crosses core. */
function flow(over: Partial<FlowAnalysis> = {}): FlowAnalysis {
  const settled = path(['mn2', 'mr31', 'core', 'mr2', 'mn1'], ['mn2', 'mr31', 'mr2', 'mn1']);
  return {
    id: 'f1',
    kind: 'udp',
    from: 'mn2',
    to: 'mn1',
    sent: 1000,
    received: 990,
    lost: 10,
    lossPercent: 1,
    duplicates: 0,
    reordered: 2,
    sources: [{ address: '2001:db8:3:8000::10', packets: 990, firstT: 1000, lastT: 2000 }],
    keepsSource: true,
    paths: [settled],
    settledPath: settled,
    shortestPath: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
    pathStretch: 1.25,
    handovers: [
      { handover: 0, mn: 'mn1', from: ['mr11'], to: 'mr12', interruptionMs: 12.5, attachToFirstPacketMs: 20, lostDuring: 3 },
      { handover: 1, mn: 'mn1', from: ['mr12'], to: 'mr2', interruptionMs: 62.4, lostDuring: 7 },
      { handover: 2, mn: 'mn1', from: ['mr2'], to: 'mr11', lostDuring: 0 },
    ],
    receiverSeries: [],
    ...over,
  };
}

function msg(name: string, from: string, to: string, handover?: number): SignallingMessage {
  return { t: 0, name, from, to, fromAddress: '2001:db8::1', toAddress: '2001:db8::2', seq: 1, bytes: 72, ...(handover === undefined ? {} : { handover }) };
}

function analysis(
  flows: FlowAnalysis[] = [flow()],
  messages: SignallingMessage[] = [],
  sourceValidation: Analysis['sourceValidation'] = { checked: 0, violations: 0, forwarded: 0, examples: [], forwardedExamples: [] },
): Analysis {
  return {
    flows,
    signalling: {
      messages,
      totals: {},
      byHandover: [],
      releases: { count: 0, bytes: 0, byName: {} },
      refreshes: { count: 0, bytes: 0, byName: {} },
      undecodable: 0,
    },
    sourceValidation,
    captures: { files: 1, packets: 1000, interfaces: ['mn1:mr2'] },
    warnings: [],
  };
}

/** The one check an expectation of one field yields. */
function only(e: Expectation, a: Analysis = analysis(), p: Plan = plan): CheckResult {
  const r = evaluateTraffic(e, a, p);
  expect(r.checks, JSON.stringify(r.checks)).toHaveLength(1);
  expect(r.ok).toBe(r.checks[0]?.ok);
  return r.checks[0] as CheckResult;
}

describe('evaluateTraffic: flow counts', () => {
  it.each<[Partial<Expectation>, CheckResult]>([
    [{ sent: '>= 1000' }, { what: 'sent', expected: '>= 1000', measured: '1000', ok: true }],
    [{ sent: '> 1000' }, { what: 'sent', expected: '> 1000', measured: '1000', ok: false }],
    [{ received: 990 }, { what: 'received', expected: '== 990', measured: '990', ok: true }],
    [{ received: '>= 995' }, { what: 'received', expected: '>= 995', measured: '990', ok: false }],
    [{ lost: '<= 10' }, { what: 'lost', expected: '<= 10', measured: '10', ok: true }],
    [{ lost: 0 }, { what: 'lost', expected: '== 0', measured: '10', ok: false }],
    [{ lossPercent: '<= 1%' }, { what: 'loss', expected: '<= 1%', measured: '1%', ok: true }],
    [{ lossPercent: '< 1%' }, { what: 'loss', expected: '< 1%', measured: '1%', ok: false }],
    [{ duplicates: 0 }, { what: 'duplicates', expected: '== 0', measured: '0', ok: true }],
    [{ duplicates: '>= 1' }, { what: 'duplicates', expected: '>= 1', measured: '0', ok: false }],
    [{ reordered: '<= 2' }, { what: 'reordered', expected: '<= 2', measured: '2', ok: true }],
    [{ reordered: 0 }, { what: 'reordered', expected: '== 0', measured: '2', ok: false }],
    [{ pathStretch: '<= 1.5' }, { what: 'path stretch', expected: '<= 1.5', measured: '1.25', ok: true }],
    [{ pathStretch: '== 1' }, { what: 'path stretch', expected: '== 1', measured: '1.25', ok: false }],
  ])('%j', (fields, check) => {
    expect(only({ flow: 'f1', ...fields })).toEqual(check);
  });

  it('shows fractions with two decimals', () => {
    expect(only({ flow: 'f1', lossPercent: '< 5%' }, analysis([flow({ lossPercent: 1.23456 })]))).toEqual({
      what: 'loss',
      expected: '< 5%',
      measured: '1.23%',
      ok: true,
    });
  });

  it('checks every field given, and passes only if all hold', () => {
    const r = evaluateTraffic({ flow: 'f1', sent: 1000, lost: 0, duplicates: 0 }, analysis(), plan);
    expect(r).toMatchObject({ name: 'flow f1', at: 'end', ok: false });
    expect(r.checks.map((c) => [c.what, c.ok])).toEqual([
      ['sent', true],
      ['lost', false],
      ['duplicates', true],
    ]);
    expect(evaluateTraffic({ name: 'clean delivery', flow: 'f1', sent: 1000, duplicates: 0 }, analysis(), plan)).toMatchObject({
      name: 'clean delivery',
      ok: true,
    });
  });
});

describe('evaluateTraffic: handovers', () => {
  it('checks the worst handover, saying expected and measured', () => {
    // Handovers measured 12.5 ms and 62.4 ms (the third one not at all).
    expect(only({ flow: 'f1', interruption: '<= 50ms' })).toEqual({
      what: 'interruption (worst handover)',
      expected: '<= 50ms',
      measured: '62.40 ms',
      ok: false,
    });
    expect(only({ flow: 'f1', interruption: '<= 0.07s' })).toEqual({
      what: 'interruption (worst handover)',
      expected: '<= 0.07s',
      measured: '62.40 ms',
      ok: true,
    });
    expect(only({ flow: 'f1', interruption: '> 62400us' }).ok).toBe(false);
  });

  it('checks attachment to the first packet on the worst handover that measured it', () => {
    expect(only({ flow: 'f1', attachToFirstPacket: '<= 20ms' })).toEqual({
      what: 'attachment to first packet (worst handover)',
      expected: '<= 20ms',
      measured: '20 ms',
      ok: true,
    });
    const slower = flow({
      handovers: [
        { handover: 0, mn: 'mn1', from: [], to: 'mr11', attachToFirstPacketMs: 5 },
        { handover: 1, mn: 'mn1', from: ['mr11'], to: 'mr12', attachToFirstPacketMs: 31.25 },
      ].map((h) => ({ ...h, lostDuring: 0 })),
    });
    expect(only({ flow: 'f1', attachToFirstPacket: '< 30ms' }, analysis([slower]))).toEqual({
      what: 'attachment to first packet (worst handover)',
      expected: '< 30ms',
      measured: '31.25 ms',
      ok: false,
    });
  });

  it('fails a handover figure nothing measured', () => {
    expect(only({ flow: 'f1', interruption: '<= 50ms' }, analysis([flow({ handovers: [] })]))).toEqual({
      what: 'interruption (worst handover)',
      expected: '<= 50ms',
      measured: 'not measured',
      ok: false,
    });
    expect(
      only(
        { flow: 'f1', attachToFirstPacket: '<= 50ms' },
        analysis([flow({ handovers: [{ handover: 0, mn: 'mn1', from: ['mr11'], to: 'mr12', lostDuring: 0 }] })]),
      ).measured,
    ).toBe('not measured');
  });
});

describe('evaluateTraffic: settled path', () => {
  it.each<[string[], CheckResult]>([
    // No plain router in the list: compared with the path without routers.
    [
      ['mn2', 'mr31', 'mr2', 'mn1'],
      { what: 'settled path (MRs and endpoints)', expected: 'mn2 → mr31 → mr2 → mn1', measured: 'mn2 → mr31 → mr2 → mn1', ok: true },
    ],
    [
      ['mn2', 'mr31', 'mr11', 'mn1'],
      { what: 'settled path (MRs and endpoints)', expected: 'mn2 → mr31 → mr11 → mn1', measured: 'mn2 → mr31 → mr2 → mn1', ok: false },
    ],
    [['mn2', 'mr31', 'mr2'], { what: 'settled path (MRs and endpoints)', expected: 'mn2 → mr31 → mr2', measured: 'mn2 → mr31 → mr2 → mn1', ok: false }],
    [
      ['mn2', 'mr31', 'mr2', 'mn1', 'mn1'],
      { what: 'settled path (MRs and endpoints)', expected: 'mn2 → mr31 → mr2 → mn1 → mn1', measured: 'mn2 → mr31 → mr2 → mn1', ok: false },
    ],
    // A plain router (core) in the list: compared with every node crossed.
    [
      ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
      { what: 'settled path', expected: 'mn2 → mr31 → core → mr2 → mn1', measured: 'mn2 → mr31 → core → mr2 → mn1', ok: true },
    ],
    [['mn2', 'core', 'mr2', 'mn1'], { what: 'settled path', expected: 'mn2 → core → mr2 → mn1', measured: 'mn2 → mr31 → core → mr2 → mn1', ok: false }],
  ])('%j', (expected, check) => {
    expect(only({ flow: 'f1', path: expected })).toEqual(check);
  });

  it('fails when no packet settled on a path', () => {
    expect(only({ flow: 'f1', path: ['mn2', 'mr31', 'mr2', 'mn1'] }, analysis([flow({ settledPath: undefined, paths: [] })]))).toEqual({
      what: 'settled path (MRs and endpoints)',
      expected: 'mn2 → mr31 → mr2 → mn1',
      measured: 'no packets',
      ok: false,
    });
  });

  it('looks at the settled path, not at the paths taken before it', () => {
    const early = path(['mn2', 'mr31', 'core', 'mr11', 'mn1'], ['mn2', 'mr31', 'mr11', 'mn1']);
    const f = flow();
    expect(only({ flow: 'f1', path: ['mn2', 'mr31', 'mr11', 'mn1'] }, analysis([{ ...f, paths: [early, f.settledPath as FlowPath] }])).ok).toBe(false);
  });
});

describe('evaluateTraffic: source addresses', () => {
  const home11 = '2001:db8:1:8000::10';
  const home2 = '2001:db8:2:8000::10';
  const src = (address: string, packets: number) => ({ address, packets, firstT: 0, lastT: 0 });

  it('checks that the flow kept its source address', () => {
    expect(only({ flow: 'f1', keepsSource: true })).toEqual({
      what: 'inner source address',
      expected: 'one address for the whole flow',
      measured: '2001:db8:3:8000::10 (990)',
      ok: true,
    });
    expect(only({ flow: 'f1', keepsSource: false })).toMatchObject({ expected: 'changes', ok: false });
    const changed = flow({ keepsSource: false, sources: [src(home11, 400), src(home2, 590)] });
    expect(only({ flow: 'f1', keepsSource: true }, analysis([changed]))).toEqual({
      what: 'inner source address',
      expected: 'one address for the whole flow',
      measured: `${home11} (400), ${home2} (590)`,
      ok: false,
    });
    expect(only({ flow: 'f1', keepsSource: false }, analysis([changed])).ok).toBe(true);
    expect(only({ flow: 'f1', keepsSource: true }, analysis([flow({ sources: [] })])).measured).toBe('none');
  });

  it.each<[string, string, boolean]>([
    [home11, 'mr11', true],
    ['2001:db8:1:80ff:ffff::1', 'mr11', true],
    ['2001:db8:1:8100::1', 'mr11', false],
    ['2001:db8:1:8100::1', 'mr12', true],
    [home2, 'mr2', true],
    [home2, 'mr11', false],
    ['2001:db8:1::1', 'mr11', false],
  ])('source %s anchored at %s: %s', (address, mr, ok) => {
    const anchor = plan.nodes.find((n) => n.name === mr)?.anchor;
    expect(only({ flow: 'f1', sourceAnchoredAt: mr }, analysis([flow({ sources: [src(address, 10)] })]))).toEqual({
      what: 'inner source address',
      expected: `a home address anchored at ${mr} (${anchor})`,
      measured: address,
      ok,
    });
  });

  it("uses the plan's anchor of the MR", () => {
    const a = analysis([flow({ sources: [src(home11, 10)] })]);
    expect(only({ flow: 'f1', sourceAnchoredAt: 'mr11' }, a).ok).toBe(true);
    const moved: Plan = { ...plan, nodes: plan.nodes.map((n) => (n.name === 'mr11' ? { ...n, anchor: '2001:db8:1:9000::/56' } : n)) };
    expect(only({ flow: 'f1', sourceAnchoredAt: 'mr11' }, a, moved)).toEqual({
      what: 'inner source address',
      expected: 'a home address anchored at mr11 (2001:db8:1:9000::/56)',
      measured: home11,
      ok: false,
    });
  });

  it('judges the address the flow started with', () => {
    const a = analysis([flow({ keepsSource: false, sources: [src(home11, 10), src(home2, 10)] })]);
    expect(only({ flow: 'f1', sourceAnchoredAt: 'mr11' }, a).ok).toBe(true);
    expect(only({ flow: 'f1', sourceAnchoredAt: 'mr2' }, a)).toMatchObject({ measured: home11, ok: false });
  });

  it('fails when the receiver saw no source', () => {
    expect(only({ flow: 'f1', sourceAnchoredAt: 'mr11' }, analysis([flow({ sources: [] })]))).toMatchObject({ measured: 'none', ok: false });
  });

  it('fails for a node that anchors nothing', () => {
    expect(only({ flow: 'f1', sourceAnchoredAt: 'lm1' })).toEqual({
      what: 'inner source address',
      expected: 'a home address anchored at lm1 (?)',
      measured: '2001:db8:3:8000::10',
      ok: false,
    });
  });
});

describe('evaluateTraffic: a flow missing from the capture', () => {
  it('fails with one check saying so, whatever else the expectation asks', () => {
    const r = evaluateTraffic({ flow: 'f9', lost: 0, interruption: '<= 50ms', path: ['mn2', 'mn1'] }, analysis(), plan);
    expect(r).toEqual({
      name: 'flow f9',
      at: 'end',
      ok: false,
      checks: [{ what: 'flow f9', expected: 'measured in the capture', measured: 'no packets of it in the capture', ok: false }],
      durationMs: expect.any(Number) as number,
    });
  });
});

describe('evaluateTraffic: signalling', () => {
  const messages = [
    msg('HI', 'mr2', 'mr11', 0),
    msg('HAck', 'mr11', 'mr2', 0),
    msg('PBU', 'mr2', 'lm1', 0),
    msg('PBU', 'mr2', 'lm1', 0),
    msg('PBU', 'mr12', 'lm1', 1),
    msg('PBA', 'lm1', 'mr12', 1),
    msg('LRI', 'mr11', 'mr31', 1),
    msg('LRI', 'mr11', 'mr32'),
    msg('LMQ', 'mr31', 'lm1'),
  ];
  const a = analysis([], messages);

  it.each<[NonNullable<Expectation['signalling']>, CheckResult]>([
    // No count means at least one.
    [{ message: 'HI' }, { what: 'HI messages', expected: '>= 1', measured: '1', ok: true }],
    [{ message: 'LMR' }, { what: 'LMR messages', expected: '>= 1', measured: '0', ok: false }],
    [
      { message: 'LMR', count: 0 },
      { what: 'LMR messages', expected: '== 0', measured: '0', ok: true },
    ],
    [
      { message: 'PBU', count: 3 },
      { what: 'PBU messages', expected: '== 3', measured: '3', ok: true },
    ],
    [
      { message: 'PBU', count: 2 },
      { what: 'PBU messages', expected: '== 2', measured: '3', ok: false },
    ],
    // Filters, alone and together.
    [
      { message: 'PBU', from: 'mr2' },
      { what: 'PBU messages from mr2', expected: '>= 1', measured: '2', ok: true },
    ],
    [
      { message: 'PBU', from: 'mr2', count: '<= 1' },
      { what: 'PBU messages from mr2', expected: '<= 1', measured: '2', ok: false },
    ],
    [
      { message: 'PBU', to: 'lm1', count: 3 },
      { what: 'PBU messages to lm1', expected: '== 3', measured: '3', ok: true },
    ],
    [
      { message: 'PBU', handover: 1, count: 1 },
      { what: 'PBU messages during handover 1', expected: '== 1', measured: '1', ok: true },
    ],
    [
      { message: 'PBU', handover: 2 },
      { what: 'PBU messages during handover 2', expected: '>= 1', measured: '0', ok: false },
    ],
    [
      { message: 'HI', from: 'mr2', to: 'mr11', handover: 0, count: 1 },
      { what: 'HI messages from mr2 to mr11 during handover 0', expected: '== 1', measured: '1', ok: true },
    ],
    [
      { message: 'HI', from: 'mr11', to: 'mr2' },
      { what: 'HI messages from mr11 to mr2', expected: '>= 1', measured: '0', ok: false },
    ],
    // A message outside every handover window counts only when no handover is asked for.
    [
      { message: 'LRI', from: 'mr11', count: 2 },
      { what: 'LRI messages from mr11', expected: '== 2', measured: '2', ok: true },
    ],
    [
      { message: 'LRI', from: 'mr11', handover: 1, count: 1 },
      { what: 'LRI messages from mr11 during handover 1', expected: '== 1', measured: '1', ok: true },
    ],
    [
      { message: 'LMQ', handover: 0, count: 0 },
      { what: 'LMQ messages during handover 0', expected: '== 0', measured: '0', ok: true },
    ],
  ])('%j', (signalling, check) => {
    expect(only({ signalling }, a)).toEqual(check);
  });

  it('names the expectation after the message and the handover', () => {
    expect(evaluateTraffic({ signalling: { message: 'HI', handover: 0 } }, a, plan).name).toBe('signalling HI in handover 0');
    expect(evaluateTraffic({ signalling: { message: 'LMQ' } }, a, plan).name).toBe('signalling LMQ');
    expect(evaluateTraffic({ name: 'context transfer', signalling: { message: 'HI' } }, a, plan).name).toBe('context transfer');
  });

  it('checks the flow and the signalling of one expectation together', () => {
    const r = evaluateTraffic({ flow: 'f1', lost: 0, signalling: { message: 'HI', count: 1 } }, analysis([flow()], messages), plan);
    expect(r.checks.map((c) => [c.what, c.ok])).toEqual([
      ['lost', false],
      ['HI messages', true],
    ]);
    expect(r.ok).toBe(false);
  });
});

describe('expectation kinds', () => {
  it('tells state checks from traffic checks', () => {
    expect(isStateExpectation({ clean: true })).toBe(true);
    expect(isStateExpectation({ attached: { mn: 'mn1', ar: 'mr2' } })).toBe(true);
    expect(isStateExpectation({ binding: { mn: 'mn1', anchor: 'mr11', at: 'mr2' } })).toBe(true);
    expect(isStateExpectation({ released: { mn: 'mn1', anchor: 'mr11' } })).toBe(true);
    expect(isStateExpectation({ flow: 'f1', lost: 0 })).toBe(false);
    expect(isStateExpectation({ signalling: { message: 'HI' } })).toBe(false);
  });

  it.each<[Expectation, string]>([
    [{ flow: 'f1', lost: 0 }, 'flow f1'],
    [{ clean: true }, 'no stale state'],
    [{ attached: { mn: 'mn1', ar: 'mr2' } }, 'mn1 attached to mr2'],
    [{ binding: { mn: 'mn1', anchor: 'mr11', at: 'mr2' } }, "binding of mn1's mr11 prefix at mr2"],
    [{ released: { mn: 'mn1', anchor: 'mr11' } }, "mn1's mr11 prefix released"],
  ])('names %j "%s"', (e, name) => {
    expect(expectationName(e)).toBe(name);
  });
});
